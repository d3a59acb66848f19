"""The token endpoint: the password grant (RFC 6749 §4.3) answered with an OpenID Connect id_token,
and, when the profile enables refresh tokens, the rotating refresh_token grant (§6)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from reference_server.endpoint import Call
from reference_server.oauth import NO_STORE, OAuthError, param_names
from reference_server.ott_idp.accounts import sign_in, user_key
from reference_server.ott_idp.clients import authenticate_client, may_use_password_grant
from reference_server.ott_idp.params import read_params
from reference_server.reply import Reply

SCOPES = {"openid", "email", "profile"}
# Parameters the token endpoint understands; anything else is ignored (RFC 6749 §3.2).
TOKEN_PARAMS = {"grant_type", "username", "password", "scope", "refresh_token", "client_id", "client_secret"}


async def grant(call: Call) -> Reply:
    """The password grant, or the refresh_token grant when the profile enables it."""
    form = await read_params(call)
    client_id = authenticate_client(call, form)
    unknown_params = sorted(set(form) - TOKEN_PARAMS)
    if unknown_params and call.deviations.reject_unknown_params:
        raise OAuthError("invalid_request", f"unknown parameter: {param_names(unknown_params[:1])}")
    if unknown_params and call.deviations.answer_unknown_params_empty:
        return Reply(200, {}, dict(NO_STORE))
    grant_type = form.get("grant_type")
    if not grant_type:
        if not call.deviations.grant_type_defaults_to_password:
            raise OAuthError("invalid_request", "grant_type is required")
        grant_type = "password"
    if grant_type == "refresh_token" and call.settings.issue_refresh_token:
        return _refresh(call, client_id, form.get("refresh_token") or "")
    if grant_type != "password" and not call.deviations.any_grant_as_password:
        raise OAuthError("unsupported_grant_type", "only the password grant is supported")
    if not may_use_password_grant(call, client_id):
        raise OAuthError("unauthorized_client", "this client may not use the password grant")
    username, password = form.get("username") or "", form.get("password") or ""
    if not username or not password:
        raise OAuthError("invalid_request", "username and password are required")
    scopes = (form.get("scope") or "").split()
    if "openid" not in scopes and not call.deviations.openid_scope_optional:
        raise OAuthError("invalid_scope", "the openid scope is required")
    unknown = sorted(set(scopes) - SCOPES)
    if unknown and not call.deviations.grant_unknown_scopes:
        # Scope values are input: named by count only, never echoed (RFC 6749 §5.2's character set).
        raise OAuthError(
            "invalid_scope", f"unsupported scope ({len(unknown)} value(s)); supported: openid email profile"
        )
    user = sign_in(call, username, password)
    return Reply(200, _issue(call, client_id, user, scopes), dict(NO_STORE))


def _refresh(call: Call, client_id: str, refresh_token: str) -> Reply:
    if call.deviations.refuse_refresh_grant:
        raise OAuthError("unsupported_grant_type", "refresh_token grant is not enabled")
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required")
    grant = call.store.pop(f"ott:rt:{refresh_token}")  # rotated: each refresh token works once
    if grant is None or grant["client_id"] != client_id:
        raise OAuthError("invalid_grant", "unknown, used or foreign refresh token")
    user = call.store.get(grant["user_key"])
    if user is None:
        raise OAuthError("invalid_grant", "the account no longer exists")
    if call.deviations.refresh_id_token_new_sub:
        user = {**user, "sub": "u-" + secrets.token_hex(12)}
    return Reply(200, _issue(call, client_id, user, grant["scopes"]), dict(NO_STORE))


def _issue(call: Call, client_id: str, user: dict[str, Any], scopes: list[str]) -> dict[str, Any]:
    """An access token, a signed id_token and (when enabled) a refresh token for ``user``."""
    settings, store = call.settings, call.store
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": call.state.public_url,
        "sub": user["sub"],
        "aud": client_id,
        "iat": now,
        "exp": now + settings.id_token_ttl_s,
    }
    if "email" in scopes:
        claims.update(email=user["email"], email_verified=True)
    if "profile" in scopes and user.get("name"):
        claims["name"] = user["name"]
    access_token = secrets.token_urlsafe(32)
    store.put(
        f"ott:at:{access_token}", {"sub": user["sub"], "client_id": client_id}, settings.access_token_ttl_s
    )
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_s,
        "id_token": call.state.key.sign(claims, {"typ": "JWT"}),
    }
    if settings.issue_refresh_token:
        refresh = secrets.token_urlsafe(32)
        grant = {
            "user_key": user_key(user["email"], call.deviations),
            "client_id": client_id,
            "scopes": scopes,
        }
        store.put(f"ott:rt:{refresh}", grant, settings.refresh_token_ttl_s)
        body["refresh_token"] = refresh
    return body
