"""`device_signon`, variant ``rfc8628``: the OAuth 2.0 device authorization grant (RFC 8628).

Device authorization endpoint (§3.1-3.2), token endpoint polling with the device_code grant
(§3.4-3.5) and refresh (RFC 6749 §6, rotation per RFC 9700 §4.14.2), a userinfo endpoint (RFC 6750
bearer) and RFC 8414 metadata. The verification page (§3.3) lives in ``page``. Public clients
identify with ``client_id``; confidential clients authenticate with HTTP Basic (or client_secret in
the body).
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.requests import Request

from reference_server.abuse import client_guard
from reference_server.device_signon.settings import Deviations, Settings
from reference_server.device_signon.shared import account, display_code, new_code, now, number
from reference_server.endpoint import Call, ProtocolError
from reference_server.oauth import NO_STORE, OAuthError, client_credentials, secrets_equal
from reference_server.reply import Reply
from reference_server.state import ServerState

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REALM = "device_signon"
SCOPES = {"openid", "profile", "email", "offline_access"}
MAX_FORM_FIELDS = 1000


async def _form(request: Request, reject_duplicates: bool) -> FormData:
    """The urlencoded body (the polling hot path: parsed directly, no multipart machinery)."""
    body = await request.body()
    is_form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    if body and not is_form:
        raise OAuthError("invalid_request", "send application/x-www-form-urlencoded")
    try:
        # As many fields as Starlette's own form parser allows: a million-field body is refused early.
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "malformed form body") from None
    if reject_duplicates and len(pairs) > 1:
        repeated = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        if repeated:
            raise OAuthError("invalid_request", f"parameter sent more than once: {', '.join(repeated)}")
    return FormData(pairs)


def _invalid_client(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401, {"WWW-Authenticate": f'Basic realm="{REALM}"'})


def _client(call: Call, form: Any) -> str:
    """The client_id per RFC 6749 §2.3 / RFC 8628 §3.1: Basic or body secret, else client_id alone."""
    deviations: Deviations = call.deviations
    if call.request.headers.get("authorization") is not None or "client_secret" in form:
        creds = client_credentials(call.request, form, REALM)
        guard = client_guard(call, "device_signon:client", creds.client_id)
        client = call.store.get(f"dso:client:{creds.client_id}")
        secret = client.get("secret") if client else None
        if not secrets_equal(creds.secret, secret or secrets.token_hex(16)) or not secret:
            guard.failed(creds.client_id)
            raise _invalid_client("client authentication failed")
        return creds.client_id
    client_id = form.get("client_id")
    if not client_id:
        raise _invalid_client("client_id is required")
    client = call.store.get(f"dso:client:{client_id}")
    if client is None:
        if not deviations.accept_unknown_clients:
            raise _invalid_client("unknown client")
        client = {"secret": None, "name": client_id}
    if client.get("secret") and not deviations.confidential_without_secret:
        raise _invalid_client("this client must authenticate")
    return client_id


# --- device authorization (§3.1, §3.2) ------------------------------------------------------------


async def device_authorization(call: Call) -> Reply:
    settings: Settings = call.settings
    form = await _form(call.request, not call.deviations.device_accepts_duplicate_params)
    client_id = _client(call, form)
    scopes = (form.get("scope") or "").split()
    unknown = sorted(set(scopes) - SCOPES)
    if unknown and not call.deviations.accept_unknown_scopes:
        raise OAuthError("invalid_scope", f"unsupported scope: {' '.join(unknown)}")
    t, ttl = now(), settings.code_ttl_s
    keep = ttl + settings.retain_expired_s
    device_code = secrets.token_urlsafe(settings.device_code_bytes)
    for _ in range(settings.code_generation_attempts):
        user_code = new_code(settings.user_code_alphabet, settings.code_length)
        if call.store.add(f"dso:uc:{user_code}", device_code, keep):
            break
    else:
        raise OAuthError("server_error", "could not generate a unique user code", 503)
    call.store.put(
        f"dso:dc:{device_code}",
        {
            "client_id": client_id,
            "scope": " ".join(scopes),
            "user_code": user_code,
            "state": "pending",
            "created": t,
            "expires_at": t + ttl,
            "interval": settings.polling_period_s,
            "last_poll": None,
            "account_id": None,
            "grant": None,
        },
        keep,
    )
    shown = display_code(user_code)
    if call.deviations.case_sensitive_user_codes:
        shown = shown.lower()
    uri = call.state.public_url + settings.verification_path
    body = {
        "device_code": device_code,
        "user_code": shown,
        "verification_uri": uri,
        "verification_uri_complete": f"{uri}?user_code={shown}",
        "expires_in": number(ttl),
        "interval": number(settings.polling_period_s),
    }
    return Reply(200, body, dict(NO_STORE))


# --- token endpoint (§3.4, §3.5; RFC 6749 §6) ----------------------------------------------------


def _issue(
    state: ServerState, settings: Settings, client_id: str, account_id: str, scope: str, grant: str
) -> dict[str, Any]:
    acct = account(state, account_id) or {}
    t = int(now())
    access = secrets.token_urlsafe(32)
    record = {"account_id": account_id, "client_id": client_id, "scope": scope, "grant": grant}
    state.store.put(f"dso:oat:{access}", record, settings.access_token_ttl_s)
    state.store.put(
        f"dso:grant:{grant}",
        {"client_id": client_id, "account_id": account_id},
        settings.refresh_token_ttl_s + settings.access_token_ttl_s,
    )
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_s,
    }
    if scope:
        body["scope"] = scope
    if settings.issue_refresh_token:
        refresh_token = secrets.token_urlsafe(32)
        state.store.put(f"dso:ort:{refresh_token}", record, settings.refresh_token_ttl_s)
        body["refresh_token"] = refresh_token
    scopes = scope.split()
    if "openid" in scopes:
        claims: dict[str, Any] = {
            "iss": state.public_url,
            "sub": acct.get("user_id"),
            "aud": client_id,
            "iat": t,
            "exp": t + settings.access_token_ttl_s,
        }
        if "email" in scopes:
            claims.update(email=acct.get("username"), email_verified=True)
        if "profile" in scopes and acct.get("name"):
            claims["name"] = acct["name"]
        body["id_token"] = state.key.sign(claims, {"typ": "JWT"})
    return body


@dataclass
class _Poll:
    """What one token poll decided about a device code (the store's atomic update sets it)."""

    decision: str = "unknown"
    rec: dict[str, Any] | None = None


def _poll_step(call: Call, client_id: str, t: float, grant: str, seen: _Poll):
    """The atomic device_code transition: decide, consume an approved code, widen on slow_down."""
    deviations: Deviations = call.deviations
    widen = 3.0 if deviations.sticky_slow_down else 1.0

    def step(rec: dict[str, Any] | None) -> dict[str, Any] | None:
        seen.rec = rec
        if rec is None:
            seen.decision = "unknown"
            return None
        if rec["client_id"] != client_id and not deviations.device_code_for_any_client:
            seen.decision = "wrong_client"
        elif rec["state"] == "consumed":
            seen.decision = "issue" if deviations.reusable_device_codes else "replay"
        elif t >= rec["expires_at"]:
            seen.decision = "expired"
        elif rec["state"] == "denied":
            seen.decision = "denied"
        elif rec["state"] == "approved":
            rec.update(state="consumed", grant=grant)
            seen.decision = "issue"
        else:
            too_fast = rec["last_poll"] is not None and t - rec["last_poll"] < rec["interval"]
            if too_fast and not deviations.no_slow_down:
                rec["interval"] += call.settings.slow_down_increment_s * widen
                seen.decision = "slow_down"
            else:
                seen.decision = "pending"
            rec["last_poll"] = t
        return rec

    return step


def _device_grant(call: Call, client_id: str, form: Any) -> dict[str, Any]:
    device_code = form.get("device_code")
    if not device_code:
        raise OAuthError("invalid_request", "device_code is required")
    grant = secrets.token_hex(12)
    seen = _Poll()
    call.store.update(f"dso:dc:{device_code}", _poll_step(call, client_id, now(), grant, seen))
    rec = seen.rec
    if seen.decision == "pending":
        raise OAuthError("authorization_pending", "the user has not yet approved")
    if seen.decision == "slow_down":
        raise OAuthError("slow_down", f"poll at most every {round(rec['interval'], 3)} s")
    if seen.decision == "denied":
        raise OAuthError("access_denied", "the user denied the request")
    if seen.decision == "expired":
        raise OAuthError("expired_token", "the device code has expired")
    if seen.decision == "unknown":
        raise OAuthError("invalid_grant", "unknown device_code")
    if seen.decision == "wrong_client":
        raise OAuthError("invalid_grant", "the device_code was issued to another client")
    if seen.decision == "replay":
        if rec.get("grant") and not call.deviations.keep_tokens_on_replay:
            call.store.pop(f"dso:grant:{rec['grant']}")
        raise OAuthError("invalid_grant", "the device_code was already used")
    return _issue(
        call.state, call.settings, rec["client_id"], rec["account_id"], rec["scope"], rec["grant"] or grant
    )


def _refresh_grant(call: Call, client_id: str, form: Any) -> dict[str, Any]:
    deviations: Deviations = call.deviations
    store = call.store
    presented = form.get("refresh_token")
    if not presented:
        raise OAuthError("invalid_request", "refresh_token is required")
    key = f"dso:ort:{presented}"
    rec = store.get(key)
    if rec is None:
        used = store.get(f"dso:ortused:{presented}")
        if used:  # a rotated-out token came back: revoke the whole grant (RFC 9700 §4.14.2)
            store.pop(f"dso:grant:{used['grant']}")
        raise OAuthError("invalid_grant", "invalid, expired or already used refresh token")
    if rec["client_id"] != client_id and not deviations.refresh_for_any_client:
        raise OAuthError("invalid_grant", "the refresh token was issued to another client")
    original = rec["scope"].split()
    requested = (form.get("scope") or "").split() or original
    if not set(requested) <= set(original) and not deviations.refresh_widens_scope:
        raise OAuthError("invalid_scope", "the requested scope exceeds the original grant")
    if store.get(f"dso:grant:{rec['grant']}") is None:
        raise OAuthError("invalid_grant", "the grant was revoked")
    if not deviations.reusable_refresh_tokens:
        if store.pop(key) is None:
            raise OAuthError("invalid_grant", "the refresh token was already used")
        store.put(f"dso:ortused:{presented}", {"grant": rec["grant"]}, call.settings.refresh_token_ttl_s)
    body = _issue(
        call.state, call.settings, rec["client_id"], rec["account_id"], " ".join(requested), rec["grant"]
    )
    if deviations.refreshed_token_unusable:
        store.pop(f"dso:oat:{body['access_token']}")
    return body


async def token(call: Call) -> Reply:
    deviations: Deviations = call.deviations
    request = call.request
    if request.method != "POST" and not deviations.token_serves_get:
        raise OAuthError("invalid_request", "the token endpoint accepts POST only", 405, {"Allow": "POST"})
    if request.method == "POST":
        form: Any = await _form(request, not deviations.token_accepts_duplicate_params)
    else:
        form = request.query_params
    client_id = _client(call, form)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type == DEVICE_GRANT:
        body = _device_grant(call, client_id, form)
    elif grant_type == "refresh_token" and call.settings.issue_refresh_token:
        body = _refresh_grant(call, client_id, form)
    else:
        raise OAuthError("unsupported_grant_type", f"unsupported grant_type {grant_type[:40]}")
    return Reply(200, body, dict(NO_STORE))


# --- userinfo (RFC 6750) and metadata (RFC 8414) --------------------------------------------------


class BearerChallenge(ProtocolError):
    """A userinfo 401 (RFC 6750 §3): a bare challenge without credentials, invalid_token with bad ones."""

    def __init__(self, invalid_token: bool) -> None:
        super().__init__("invalid_token" if invalid_token else "no credentials")
        self.invalid_token = invalid_token

    def reply(self) -> Reply:
        if not self.invalid_token:
            return Reply(
                401, None, {"WWW-Authenticate": f'Bearer realm="{REALM}"', "Cache-Control": "no-store"}
            )
        challenge = (
            f'Bearer realm="{REALM}", error="invalid_token", error_description="invalid or expired token"'
        )
        body = {"error": "invalid_token", "error_description": "invalid or expired token"}
        return Reply(401, body, {"WWW-Authenticate": challenge, "Cache-Control": "no-store"})


async def userinfo(call: Call) -> Reply:
    header = call.request.headers.get("authorization")
    if header is None:
        raise BearerChallenge(invalid_token=False)
    scheme, _, value = header.partition(" ")
    value = value.strip()
    rec = call.store.get(f"dso:oat:{value}") if scheme.lower() == "bearer" and value else None
    if rec is not None and call.store.get(f"dso:grant:{rec['grant']}") is None:
        rec = None
    acct = account(call.state, rec["account_id"]) if rec else None
    if acct is None:
        raise BearerChallenge(invalid_token=True)
    claims: dict[str, Any] = {"sub": acct["user_id"]}
    scopes = rec["scope"].split()
    if "email" in scopes or "openid" not in scopes:
        claims.update(email=acct["username"], email_verified=True)
    if acct.get("name") and ("profile" in scopes or "openid" not in scopes):
        claims["name"] = acct["name"]
    claims["preferred_username"] = acct["username"]
    return Reply(200, claims, {"Cache-Control": "no-store"})


async def metadata(call: Call) -> Reply:
    settings: Settings = call.settings
    base = call.state.public_url
    grants = [DEVICE_GRANT] + (["refresh_token"] if settings.issue_refresh_token else [])
    doc = {
        "issuer": base,
        "device_authorization_endpoint": base + settings.device_authorization_path,
        "token_endpoint": base + settings.token_path,
        "userinfo_endpoint": base + settings.userinfo_path,
        "jwks_uri": base + settings.jwks_path,
        "grant_types_supported": grants,
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted(SCOPES),
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    return Reply(200, doc)
