"""Client authentication on both endpoints: HTTP Basic (RFC 6749 §2.3.1), one method per request."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from reference_server.endpoint import Call
from reference_server.oauth import OAuthError, client_credentials, invalid_client, secrets_equal
from reference_server.ott_idp.accounts import client_key
from reference_server.ott_idp.settings import CONTRACT

REALM = "ott_idp"


def authenticate_client(call: Call, form: Mapping[str, str]) -> str:
    """The authenticated client's id, or invalid_client (401 with a Basic challenge)."""
    request = call.request
    try:
        creds = client_credentials(request, form, REALM, not call.deviations.accept_two_auth_methods)
    except OAuthError as err:
        anonymous = err.error == "invalid_client" and "authorization" not in request.headers
        if anonymous and call.deviations.accept_anonymous_client:
            return call.state.section(CONTRACT)["client_id"]
        raise
    client = call.store.get(client_key(creds.client_id))
    # Compare even for unknown clients, so the answer time does not reveal which ids exist.
    expected = client["secret"] if client else secrets.token_hex(16)
    if not secrets_equal(creds.secret, expected) or client is None:
        raise invalid_client("client authentication failed", REALM)
    return creds.client_id
