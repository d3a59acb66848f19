"""Client authentication on both endpoints: HTTP Basic (RFC 6749 §2.3.1), one method per request."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping

from reference_server.endpoint import Call
from reference_server.oauth import OAuthError, client_credentials, invalid_client, secrets_equal
from reference_server.ott_idp.accounts import client_key
from reference_server.ott_idp.settings import CONTRACT

REALM = "ott_idp"


def authenticate_client(call: Call, form: Mapping[str, str]) -> str:
    """The authenticated client's id, or invalid_client (401 with a Basic challenge).

    Wrong secrets count per client id; at client_max_failures the id is locked for client_window_s,
    refusing even the right secret (RFC 6749 §2.3.1: protect against brute force, OTT-THROTTLE-001).
    """
    request = call.request
    try:
        creds = client_credentials(request, form, REALM, not call.deviations.accept_two_auth_methods)
    except OAuthError as err:
        anonymous = err.error == "invalid_client" and "authorization" not in request.headers
        if anonymous and call.deviations.accept_anonymous_client:
            return call.state.section(CONTRACT)["client_id"]
        if (
            anonymous
            and call.deviations.accept_client_without_secret
            and call.store.get(client_key(str(form.get("client_id", ""))))
        ):
            return str(form["client_id"])
        raise
    client_id, secret = creds.client_id, creds.secret
    if creds.method == "basic" and call.deviations.basic_not_form_decoded:
        client_id, secret = _raw_basic(request.headers["authorization"])
    settings, store = call.settings, call.store
    locked_key = f"ott:client-locked:{client_id}"
    if settings.client_max_failures and store.get(locked_key):
        raise OAuthError(
            "invalid_client",
            "too many failed client authentications; try again later",
            429,
            {"Retry-After": str(max(1, round(settings.client_window_s)))},
        )
    client = store.get(client_key(client_id))
    if client is not None and not secret and call.deviations.accept_client_without_secret:
        return client_id
    # Compare even for unknown clients, so the answer time does not reveal which ids exist.
    expected = client["secret"] if client else secrets.token_hex(16)
    if not secrets_equal(secret, expected) or client is None:
        if settings.client_max_failures:
            count = store.incr(f"ott:client-failures:{client_id}", settings.client_window_s * 30)
            if count >= settings.client_max_failures:
                store.put(locked_key, True, settings.client_window_s)
                store.pop(f"ott:client-failures:{client_id}")
        raise invalid_client("client authentication failed", REALM)
    store.pop(f"ott:client-failures:{client_id}")
    return client_id


def may_use_password_grant(call: Call, client_id: str) -> bool:
    """Whether the client is enabled for the password grant (RFC 6749 §5.2 unauthorized_client)."""
    client = call.store.get(client_key(client_id)) or {}
    return bool(client.get("ropc", True)) or call.deviations.password_grant_for_any_client


def _raw_basic(header: str) -> tuple[str, str]:
    """The Basic id and secret exactly as sent, without the form decoding RFC 6749 §2.3.1 asks for."""
    decoded = base64.b64decode(header.partition(" ")[2].strip()).decode("utf-8", "replace")
    client_id, _, secret = decoded.partition(":")
    return client_id, secret
