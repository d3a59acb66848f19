"""`device_signon`, variant ``dsra``: the IAS token endpoints the DSRA flow ends in.

I1 POST sign-on with the sign-on/activation token D2 delivered · password sign-on (how the companion
app gets its own token; PROPOSED JSON body) · refresh ([NG-RT]: both tokens re-issued).
"""

from __future__ import annotations

import secrets
from typing import Any

from reference_server.abuse import Guard
from reference_server.device_signon.api import (
    IAS_BAD_CREDENTIALS,
    IAS_BAD_REQUEST,
    IAS_CANCELLED,
    IAS_SUSPENDED,
    IAS_THROTTLED,
    IAS_TOKEN_INVALID,
    ApiError,
    bearer,
    json_body,
    verified_claims,
)
from reference_server.device_signon.settings import Deviations, Settings
from reference_server.device_signon.shared import account, check_password, now, retry_after
from reference_server.endpoint import Call
from reference_server.oauth import NO_STORE
from reference_server.reply import Reply
from reference_server.state import ServerState


def issue_ias_tokens(
    state: ServerState,
    settings: Settings,
    acct: dict[str, Any],
    client_id: str,
    fixed_exp: int | None = None,
) -> dict[str, Any]:
    """IAS access + refresh tokens ([NG-RT] claims; NumericDate seconds, RFC 7519)."""
    t = int(now())
    common = {
        "ver": "1.0",
        "iss": f"{state.public_url}/ias",
        "iat": t,
        "tenantId": settings.tenant_id,
        "accountId": acct["account_id"],
        "userId": acct["user_id"],
        "deviceId": client_id,
    }
    access = {
        **common,
        "typ": "DevAuthN",
        "exp": t + settings.access_token_ttl_s,
        "jti": secrets.token_hex(16),
    }
    fixed = fixed_exp or t + settings.fixed_refresh_ttl_s
    refresh_exp = min(t + settings.refresh_token_ttl_s, fixed)
    refresh_jti = secrets.token_hex(16)
    refresh = {**common, "typ": "RefreshAuthN", "exp": refresh_exp, "fixed_exp": fixed, "jti": refresh_jti}
    state.store.put(
        f"dso:iasrt:{refresh_jti}",
        {"account_id": acct["account_id"], "client_id": client_id, "fixed_exp": fixed},
        max(1, refresh_exp - t),
    )
    return {
        "access_token": state.key.sign(access, {"typ": "JWT"}),
        "refresh_token": state.key.sign(refresh, {"typ": "JWT"}),
        "token_type": "bearer",
        "expires_in": settings.access_token_ttl_s,
        "refresh_expires_in": refresh_exp - t,
        "fixed_refresh_expires_in": fixed - t,
        "client_id": client_id,
        "accountId": acct["account_id"],
    }


def _active(deviations: Deviations, acct: dict[str, Any] | None) -> dict[str, Any]:
    if acct is None:
        raise ApiError(403, IAS_CANCELLED, "account cancelled")
    if acct["status"] == "suspended" and not deviations.ignore_account_suspension:
        raise ApiError(403, IAS_SUSPENDED, "account suspended")
    return acct


def _grant_of_dsra_token(call: Call, token: str) -> dict[str, Any] | None:
    """What a fault lets an approved registration's dsraToken stand in for: an activation grant."""
    rec = call.store.get(f"dso:dsra:{token}")
    if not rec or rec["state"] not in ("APPROVED", "TOKEN_ISSUED"):
        return None
    return {
        "client_id": f"PUB_{secrets.token_hex(8)}",
        "account_id": rec["account_id"],
        "dsra": token,
        "expires_at": now() + call.settings.activation_token_ttl_s,
    }


async def activation_sign_on(call: Call) -> Reply:
    deviations: Deviations = call.deviations
    token = bearer(call.request)
    if token is None:
        raise ApiError(401, IAS_TOKEN_INVALID, "missing sign-on/activation token")
    grant = None
    if token:
        key = f"dso:sat:{token}"
        grant = call.store.get(key) if deviations.reusable_activation_tokens else call.store.pop(key)
    if grant is None and token and deviations.accept_dsra_token_at_sign_on:
        grant = _grant_of_dsra_token(call, token)
    if grant is None:
        raise ApiError(401, IAS_TOKEN_INVALID, "invalid or already used sign-on/activation token")
    if now() >= grant["expires_at"] and not deviations.accept_expired_activation_tokens:
        raise ApiError(401, IAS_TOKEN_INVALID, "the sign-on/activation token has expired")
    acct = _active(deviations, account(call.state, grant["account_id"]))
    call.store.update(f"dso:dsra:{grant['dsra']}", lambda r: {**r, "state": "CONSUMED"} if r else None)
    body = issue_ias_tokens(call.state, call.settings, acct, grant["client_id"])
    return Reply(201, body, dict(NO_STORE))


async def password_sign_on(call: Call) -> Reply:
    """``signOnByUserNamePassword`` (PROPOSED JSON body): how the companion app gets its own token."""
    settings: Settings = call.settings
    body = await json_body(call.request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise ApiError(400, IAS_BAD_REQUEST, "username and password are required")
    verify = not call.deviations.skip_ias_password_check
    # Against spraying: failures per client address over all usernames (check_password limits each one).
    guard = Guard.of(call.state, call.request, "device_signon:password")
    wait = guard.retry_after()
    if wait is not None:
        raise ApiError(
            429, IAS_THROTTLED, "too many failed sign-ins; try again later", {"Retry-After": str(wait)}
        )
    acct, throttled = check_password(call.state, settings, username, password, verify)
    if throttled:
        raise ApiError(
            429,
            IAS_THROTTLED,
            "too many failed sign-ins; try again later",
            {"Retry-After": retry_after(settings.password_window_s)},
        )
    if acct is None:
        guard.failed()
        raise ApiError(401, IAS_BAD_CREDENTIALS, "invalid username or password")
    if acct["status"] == "suspended":
        raise ApiError(403, IAS_SUSPENDED, "account suspended")
    client_id = body.get("clientId")
    device = call.store.get(f"dso:device:{client_id}") if isinstance(client_id, str) else None
    if device is None or device["account_id"] != acct["account_id"]:
        client_id = f"PUB_{secrets.token_hex(8)}"
        info = body.get("deviceInformation") if isinstance(body.get("deviceInformation"), dict) else {}
        call.store.put(
            f"dso:device:{client_id}", {"account_id": acct["account_id"], "kind": "password", "info": info}
        )
    return Reply(201, issue_ias_tokens(call.state, settings, acct, client_id), dict(NO_STORE))


async def refresh(call: Call) -> Reply:
    """IAS refresh ([NG-RT]): both tokens re-issued; form body, or the legacy query string."""
    deviations: Deviations = call.deviations
    request = call.request
    params: Any = request.query_params
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        if "refresh_token" in form or "grant_type" in form:
            params = form
    if params.get("grant_type") != "refresh_token" or not params.get("refresh_token"):
        raise ApiError(400, IAS_BAD_REQUEST, "grant_type=refresh_token and refresh_token are required")
    presented = str(params["refresh_token"])
    claims = verified_claims(call.state, presented, "RefreshAuthN")
    key = f"dso:iasrt:{claims['jti']}" if claims else ""
    rec = None
    if claims:
        rec = call.store.get(key) if deviations.reusable_ias_refresh_tokens else call.store.pop(key)
    if rec is None:
        raise ApiError(401, IAS_TOKEN_INVALID, "invalid, expired or already used refresh token")
    acct = _active(deviations, account(call.state, rec["account_id"]))
    body = issue_ias_tokens(call.state, call.settings, acct, rec["client_id"], rec["fixed_exp"])
    if deviations.keep_ias_refresh_token:
        body["refresh_token"] = presented
        call.store.put(key, rec, max(1, claims["exp"] - int(now())))
    return Reply(200, body, dict(NO_STORE))
