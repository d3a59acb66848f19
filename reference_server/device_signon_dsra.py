"""`device_signon`, variant ``dsra``: Nagra OPF DSRA registration codes, approval and IAS sign-on.

D1 GET registration code · D2 PUT poll for the sign-on/activation token (204 until approved) ·
D3 PUT companion approval (IAS access token) · D4 PUT operator-portal approval (Keycloak-style
operator token + ``nv-tenant-id``) · I1 POST IAS sign-on with the activation token · IAS password
sign-on (the companion's own token) and refresh. Where the docs are silent this follows the
PROPOSED state machine and 31xxx codes of specs/device-and-ropc.md §1.9:

    ISSUED --approve--> APPROVED --D2 success--> TOKEN_ISSUED --I1--> CONSUMED
      +-- reject --> REJECTED          (any state but CONSUMED) -- expiry --> 403 31001
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reference_server.device_signon import (
    CONTRACT,
    Settings,
    account,
    approval_failed,
    approval_throttled,
    check_password,
    new_code,
    normalise_code,
    now,
    number,
    primary_account_id,
    retry_after,
    well_formed,
)
from reference_server.oauth import NO_STORE, OAuthError, client_credentials, read_form, secrets_equal
from reference_server.reply import Reply
from reference_server.state import ServerState, state_of

OPERATOR_ROLE = "dsra-operator"
IDENTITY_KEYS = ("clientId", "deviceInformation", "managedDeviceInformation")
# DSRA codes (PROPOSED, §1.9) and IAS codes (20002/20020 from [NG-ERR]; the others PROPOSED).
BAD_TOKEN, EXPIRED, ALREADY_APPROVED, DELIVERED, REJECTED, TOO_FAST = 31000, 31001, 31002, 31003, 31004, 31005
BAD_DEVICE, NO_UNIQUE_CODE, UNKNOWN_ACCOUNT, BAD_REQUEST, UNKNOWN_CODE, THROTTLED = (
    31006,
    31007,
    31008,
    31009,
    31010,
    31011,
)
IAS_BAD_CREDENTIALS, IAS_SUSPENDED, IAS_TOKEN_INVALID, IAS_THROTTLED, IAS_BAD_REQUEST = (
    20000,
    20002,
    20020,
    20029,
    20030,
)


class ApiError(Exception):
    """A DSRA/IAS error: HTTP status + numeric code (JSON ``{"code", "message"}``)."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def reply(self, correlation: str | None) -> Reply:
        headers = {**NO_STORE, **self.headers}
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if correlation:
            body["correlationId"] = correlation
        return Reply(self.status, body, headers)


def _send(state: ServerState, request: Request, endpoint: str, reply: Reply) -> Response:
    correlation = request.headers.get("x-correlation-id")
    if correlation:
        reply.headers["x-correlation-id"] = correlation
    return state.respond(endpoint, reply)


def _fail(state: ServerState, request: Request, endpoint: str, err: ApiError) -> Response:
    return _send(state, request, endpoint, err.reply(request.headers.get("x-correlation-id")))


def _common(request: Request, settings: Settings, allowed: tuple[str, ...]) -> None:
    if request.method not in allowed and settings.dsra_strict_methods:
        raise ApiError(405, BAD_REQUEST, "method not allowed", {"Allow": ", ".join(allowed)})
    if "x-correlation-id" in request.headers and not settings.dsra_accept_correlation_id:
        raise ApiError(400, BAD_REQUEST, "unexpected header x-correlation-id")


def _bearer(request: Request, require_scheme: bool = True) -> str | None:
    """The bearer token; None when there is no Authorization header, "" when it is malformed."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, sep, value = header.strip().partition(" ")
    if sep and scheme.lower() == "bearer":
        return value.strip()
    return "" if require_scheme or sep else header.strip()


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, BAD_REQUEST, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, BAD_REQUEST, "the body must be a JSON object")
    return data


def _claims(state: ServerState, token: str, typ: str) -> dict[str, Any] | None:
    """Verified claims of one of our JWTs of type ``typ``, or None."""
    if not token or token.count(".") != 2:
        return None
    try:
        claims = jwt.decode(
            token, state.key.private.public_key(), algorithms=["RS256"], options={"require": ["exp"]}
        )
    except jwt.PyJWTError:
        return None
    return claims if claims.get("typ") == typ else None


def _companion(state: ServerState, token: str) -> dict[str, Any] | None:
    claims = _claims(state, token, "DevAuthN")
    return claims if claims and account(state, claims.get("accountId")) else None


def _operator(state: ServerState, token: str) -> dict[str, Any] | None:
    claims = _claims(state, token, "Bearer")
    if not claims or OPERATOR_ROLE not in claims.get("realm_access", {}).get("roles", []):
        return None
    return claims if state.store.get(f"dso:opclient:{claims.get('azp')}") else None


# --- D1 --------------------------------------------------------------------------------------------


async def registration_code(request: Request) -> Response:
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.dsra_code"
    try:
        _common(request, settings, ("GET",))
        store, t, ttl = state.store, now(), settings.code_ttl_s
        keep = ttl + settings.retain_expired_s
        token = secrets.token_urlsafe(settings.dsra_token_bytes)
        code = None if settings.dsra_fresh_codes else store.get("dso:dsra:lastcode")
        if code is not None:
            store.put(f"dso:dsracode:{code}", token, keep)
        else:
            for _ in range(settings.code_generation_attempts):
                candidate = new_code(settings.dsra_code_alphabet, settings.code_length)
                if store.add(f"dso:dsracode:{candidate}", token, keep):
                    code = candidate
                    break
            else:
                raise ApiError(409, NO_UNIQUE_CODE, "could not generate a unique device registration code")
        if not settings.dsra_fresh_codes:
            store.put("dso:dsra:lastcode", code, ttl)
        store.put(
            f"dso:dsra:{token}",
            {
                "state": "ISSUED",
                "code": code,
                "created": t,
                "expires_at": t + ttl,
                "period": settings.polling_period_s,
                "last_poll": None,
                "account_id": None,
            },
            keep,
        )
        millis = int(round(ttl * 1000))
        body = {
            "deviceRegistrationCode": code,
            "dsraToken": token,
            "expiresAfterMillis": millis if settings.dsra_code_expires_is_number else str(millis),
            "pollingPeriodSeconds": number(settings.polling_period_s),
        }
        return _send(state, request, endpoint, Reply(200, body, dict(NO_STORE)))
    except ApiError as err:
        return _fail(state, request, endpoint, err)


# --- D2 --------------------------------------------------------------------------------------------


def _identity(state: ServerState, settings: Settings, body: dict[str, Any]) -> tuple[str, Any]:
    present = [k for k in IDENTITY_KEYS if body.get(k) not in (None, "", {})]
    if not present:
        if settings.dsra_require_device_identity:
            raise ApiError(400, BAD_DEVICE, f"one of {', '.join(IDENTITY_KEYS)} is required")
        return "deviceInformation", {}
    if len(present) > 1:
        raise ApiError(400, BAD_DEVICE, f"send exactly one of {', '.join(IDENTITY_KEYS)}")
    kind, value = present[0], body[present[0]]
    if kind == "clientId":
        if not isinstance(value, str):
            raise ApiError(400, BAD_DEVICE, "clientId must be a string")
        if settings.dsra_reject_unknown_client_id and state.store.get(f"dso:device:{value}") is None:
            raise ApiError(400, BAD_DEVICE, "unknown clientId")
    elif not isinstance(value, dict):
        raise ApiError(400, BAD_DEVICE, f"{kind} must be a JSON object")
    elif (
        kind == "managedDeviceInformation"
        and settings.dsra_require_casn
        and (not isinstance(value.get("caSN"), str) or not value["caSN"])
    ):
        raise ApiError(400, BAD_DEVICE, "managedDeviceInformation must carry caSN")
    return kind, value


def _client_id_for(state: ServerState, settings: Settings, kind: str, value: Any, account_id: str) -> str:
    if kind == "clientId" and settings.dsra_keep_client_id:
        client_id = value
    elif kind == "deviceInformation" and not settings.dsra_new_client_per_device_info:
        digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        client_id = f"PUB_{digest[:16]}"
    else:
        client_id = f"PUB_{secrets.token_hex(8)}"
    state.store.put(f"dso:device:{client_id}", {"account_id": account_id, "kind": kind, "info": value})
    return client_id


async def poll(request: Request) -> Response:
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.dsra_poll"
    try:
        _common(request, settings, ("PUT",))
        token = _bearer(request, settings.dsra_require_bearer_scheme)
        if token is None:
            raise ApiError(settings.dsra_missing_token_status, BAD_TOKEN, "missing DSRA token")
        if not token:
            raise ApiError(401, BAD_TOKEN, "use 'Authorization: Bearer <dsraToken>'")
        body_error: ApiError | None = None
        identity: tuple[str, Any] = ("", None)
        try:
            identity = _identity(state, settings, await _json(request))
        except ApiError as err:
            body_error = err
        t = now()
        seen: dict[str, Any] = {}

        def step(rec: dict[str, Any] | None) -> dict[str, Any] | None:
            seen["rec"] = rec
            if rec is None:
                seen["d"] = "unknown"
                return None
            if body_error is not None:
                seen["d"] = "bad"
                return rec
            expired = t >= rec["created"] + (rec["expires_at"] - rec["created"]) * settings.dsra_expiry_factor
            st = rec["state"]
            if st == "ISSUED":
                if expired and settings.dsra_expire_pending:
                    seen["d"] = "expired"
                elif (
                    settings.dsra_enforce_polling_period
                    and rec["last_poll"] is not None
                    and t - rec["last_poll"] < rec["period"]
                ):
                    seen["d"] = "fast"
                else:
                    seen["d"] = "pending"
                rec["last_poll"] = t
            elif st == "APPROVED":
                if expired and settings.dsra_expire_approved:
                    seen["d"] = "expired"
                else:
                    rec["state"], seen["d"] = "TOKEN_ISSUED", "issue"
            elif st in ("TOKEN_ISSUED", "CONSUMED"):
                seen["d"] = "issue" if not settings.dsra_single_delivery and not expired else "delivered"
            else:
                seen["d"] = "rejected"
            return rec

        state.store.update(f"dso:dsra:{token}", step)
        decision, rec = seen["d"], seen["rec"]
        if decision == "unknown":
            if settings.dsra_reject_unknown_token:
                raise ApiError(401, BAD_TOKEN, "invalid DSRA token")
            decision = "pending"
        if decision == "bad":
            assert body_error is not None
            raise body_error
        if decision == "pending":
            status = settings.dsra_pending_status
            return _send(state, request, endpoint, Reply(status, None, dict(NO_STORE)))
        if decision == "fast":
            period = rec["period"]
            raise ApiError(
                429,
                TOO_FAST,
                "polling faster than pollingPeriodSeconds",
                {"Retry-After": retry_after(period)},
            )
        if decision == "expired":
            raise ApiError(403, EXPIRED, "the DSRA token has expired")
        if decision == "delivered":
            raise ApiError(403, DELIVERED, "the sign-on/activation token was already delivered")
        if decision == "rejected":
            raise ApiError(403, REJECTED, "the sign-on request was rejected")
        client_id = _client_id_for(state, settings, identity[0], identity[1], rec["account_id"])
        activation = secrets.token_urlsafe(settings.activation_token_bytes)
        state.store.put(
            f"dso:sat:{activation}",
            {
                "client_id": client_id,
                "account_id": rec["account_id"],
                "dsra": token,
                "expires_at": t + settings.activation_token_ttl_s,
            },
            settings.activation_token_ttl_s + settings.retain_expired_s,
        )
        body = {"clientId": client_id, "signOnActivationToken": activation}
        return _send(state, request, endpoint, Reply(settings.dsra_success_status, body, dict(NO_STORE)))
    except ApiError as err:
        return _fail(state, request, endpoint, err)


# --- D3 / D4 / reject ------------------------------------------------------------------------------


def _decide(
    state: ServerState,
    settings: Settings,
    raw_code: Any,
    who: str,
    bind_to: str | None,
    *,
    missing_status: int = 400,
    unknown_status: int = 404,
    action: str = "approve",
) -> None:
    """Move a live registration to APPROVED (bound to ``bind_to``) or REJECTED, or raise why not."""
    if not isinstance(raw_code, str) or not raw_code.strip():
        raise ApiError(missing_status, BAD_REQUEST, "deviceRegistrationCode is required")
    if settings.dsra_approval_rate_limit and approval_throttled(state, settings, who):
        raise ApiError(
            429,
            THROTTLED,
            "too many failed approvals; try again later",
            {"Retry-After": retry_after(settings.approval_window_s)},
        )
    code = normalise_code(raw_code, settings.dsra_normalise_codes)
    if not well_formed(code, settings.dsra_code_alphabet, settings.code_length):
        approval_failed(state, settings, who)
        raise ApiError(400, BAD_REQUEST, "malformed deviceRegistrationCode")
    token = state.store.get(f"dso:dsracode:{code}")
    if token is None:
        approval_failed(state, settings, who)
        raise ApiError(unknown_status, UNKNOWN_CODE, "unknown deviceRegistrationCode")
    t = now()
    seen: dict[str, str] = {}

    def step(rec: dict[str, Any] | None) -> dict[str, Any] | None:
        if rec is None:
            seen["d"] = "unknown"
            return None
        st = rec["state"]
        if st == "ISSUED":
            if t >= rec["expires_at"] and settings.approve_check_expiry:
                seen["d"] = "expired"
            elif action == "reject":
                seen["d"] = "ok"
                if settings.dsra_reject_works:
                    rec["state"] = "REJECTED"
            else:
                rec.update(state="APPROVED", account_id=bind_to, approved_at=t)
                seen["d"] = "ok"
        elif st == "APPROVED":
            seen["d"] = "ok" if not settings.approve_once else "approved"
        elif st in ("TOKEN_ISSUED", "CONSUMED"):
            seen["d"] = "ok" if not settings.approve_refuse_delivered else "delivered"
        else:
            seen["d"] = "rejected"
        return rec

    state.store.update(f"dso:dsra:{token}", step)
    decision = seen["d"]
    if decision == "unknown":
        raise ApiError(unknown_status, UNKNOWN_CODE, "unknown deviceRegistrationCode")
    if decision == "expired":
        raise ApiError(403, EXPIRED, "the device registration code has expired")
    if decision == "approved":
        raise ApiError(403, ALREADY_APPROVED, "the device registration code is already approved")
    if decision == "delivered":
        raise ApiError(403, DELIVERED, "the device is already registered")
    if decision == "rejected":
        raise ApiError(403, REJECTED, "the sign-on request was rejected")


async def _companion_decision(request: Request, action: str) -> Response:
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = f"device_signon.dsra_{action}"
    try:
        _common(request, settings, ("PUT",))
        token = _bearer(request)
        if token is None:
            raise ApiError(settings.approve_missing_token_status, BAD_TOKEN, "missing access token")
        claims = _companion(state, token)
        if claims is None and settings.approve_accept_operator_token and _operator(state, token):
            claims = {"accountId": primary_account_id(state)}
        if claims is None:
            # A valid token of the other kind (an operator's) is refused by its own rule (403), an
            # unknown one as invalid: two behaviours, so a fault can break one without the other.
            status = 403 if _operator(state, token) else settings.approve_invalid_token_status
            raise ApiError(status, BAD_TOKEN, "invalid or expired access token")
        account_id = claims["accountId"]
        body = await _json(request)
        bind_to = account_id if settings.bind_to_approver else primary_account_id(state)
        _decide(
            state,
            settings,
            body.get("deviceRegistrationCode"),
            f"acct:{account_id}",
            bind_to,
            missing_status=settings.approve_missing_code_status,
            unknown_status=settings.approve_unknown_code_status,
            action=action,
        )
        status = settings.approve_status if action == "approve" else 202
        return _send(state, request, endpoint, Reply(status, None, dict(NO_STORE)))
    except ApiError as err:
        return _fail(state, request, endpoint, err)


async def approve(request: Request) -> Response:
    return await _companion_decision(request, "approve")


async def reject(request: Request) -> Response:
    return await _companion_decision(request, "reject")


async def operator_approve(request: Request) -> Response:
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.dsra_operator_approve"
    try:
        _common(request, settings, ("PUT",))
        token = _bearer(request)
        if token is None:
            raise ApiError(400, BAD_TOKEN, "missing operator token")
        operator = _operator(state, token)
        if operator is None and settings.operator_accept_device_token:
            device = _companion(state, token)
            operator = {"azp": "device", "tenantId": device["tenantId"]} if device else None
        if operator is None:
            # As on D3: a companion's valid token is refused by its own rule, an unknown one as invalid.
            status = 403 if _companion(state, token) else settings.operator_invalid_token_status
            raise ApiError(status, BAD_TOKEN, "invalid operator token")
        tenant = request.headers.get("nv-tenant-id")
        if not tenant:
            if settings.operator_require_tenant:
                raise ApiError(400, BAD_REQUEST, "the nv-tenant-id header is required")
            tenant = operator["tenantId"]
        if settings.operator_check_tenant and tenant != operator.get("tenantId"):
            raise ApiError(403, BAD_TOKEN, "nv-tenant-id does not match the operator token")
        body = await _json(request)
        account_id = body.get("accountId")
        if not account_id:
            if settings.operator_require_account:
                raise ApiError(400, BAD_REQUEST, "accountId is required")
            account_id = primary_account_id(state)
        elif not isinstance(account_id, str) or account(state, account_id) is None:
            raise ApiError(400, UNKNOWN_ACCOUNT, "unknown accountId")
        _decide(
            state,
            settings,
            body.get("deviceRegistrationCode"),
            f"op:{operator['azp']}",
            account_id if settings.operator_bind_to_account else primary_account_id(state),
            unknown_status=settings.operator_unknown_code_status,
        )
        return _send(state, request, endpoint, Reply(settings.operator_approve_status, None, dict(NO_STORE)))
    except ApiError as err:
        return _fail(state, request, endpoint, err)


async def operator_token(request: Request) -> Response:
    """Keycloak-style client-credentials token for the operator portal (RFC 6749 §4.4)."""
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.operator_token"
    realm = "operator"
    try:
        form = await read_form(request)
        creds = client_credentials(request, form, realm)
        client = state.store.get(f"dso:opclient:{creds.client_id}")
        expected = client["secret"] if client else secrets.token_hex(16)
        if not secrets_equal(creds.secret, expected) or client is None:
            raise OAuthError(
                "invalid_client",
                "client authentication failed",
                401,
                {"WWW-Authenticate": f'Basic realm="{realm}"'},
            )
        if form.get("grant_type") != "client_credentials":
            raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
        t = int(now())
        claims = {
            "iss": f"{state.public_url}/auth/realms/operator",
            "typ": "Bearer",
            "azp": creds.client_id,
            "tenantId": client["tenant"] or settings.tenant_id,
            "realm_access": {"roles": [OPERATOR_ROLE]},
            "iat": t,
            "exp": t + settings.operator_token_ttl_s,
            "jti": secrets.token_hex(12),
        }
        body = {
            "access_token": state.key.sign(claims, {"typ": "JWT"}),
            "token_type": "Bearer",
            "expires_in": settings.operator_token_ttl_s,
        }
        return state.respond(endpoint, Reply(200, body, dict(NO_STORE)))
    except OAuthError as err:
        return state.respond(endpoint, err.reply())


# --- IAS -------------------------------------------------------------------------------------------


def issue_ias_tokens(
    state: ServerState,
    settings: Settings,
    acct: dict[str, Any],
    client_id: str,
    fixed_exp: int | None = None,
) -> dict[str, Any]:
    """IAS access + refresh tokens ([NG-RT] claims; NumericDate seconds, RFC 7519)."""
    t = int(now())
    exp = t + settings.access_token_ttl_s
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
        "exp": exp * 1000 if settings.ias_exp_in_millis else exp,
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


def _active(settings: Settings, acct: dict[str, Any] | None) -> dict[str, Any]:
    if acct is None:
        raise ApiError(403, 20001, "account cancelled")
    if acct["status"] == "suspended" and settings.ias_check_account_status:
        raise ApiError(403, IAS_SUSPENDED, "account suspended")
    return acct


async def activation_sign_on(request: Request) -> Response:
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.ias_activation"
    try:
        token = _bearer(request)
        if token is None:
            raise ApiError(
                settings.ias_missing_token_status, IAS_TOKEN_INVALID, "missing sign-on/activation token"
            )
        key = f"dso:sat:{token}"
        grant = (
            (state.store.pop(key) if settings.ias_activation_single_use else state.store.get(key))
            if token
            else None
        )
        if grant is None and token and settings.ias_accept_dsra_token:
            rec = state.store.get(f"dso:dsra:{token}")
            if rec and rec["state"] in ("APPROVED", "TOKEN_ISSUED"):
                grant = {
                    "client_id": f"PUB_{secrets.token_hex(8)}",
                    "account_id": rec["account_id"],
                    "dsra": token,
                }
                grant["expires_at"] = now() + settings.activation_token_ttl_s
        if grant is None:
            raise ApiError(401, IAS_TOKEN_INVALID, "invalid or already used sign-on/activation token")
        if settings.ias_activation_expiry and now() >= grant["expires_at"]:
            raise ApiError(401, IAS_TOKEN_INVALID, "the sign-on/activation token has expired")
        acct = _active(settings, account(state, grant["account_id"]))
        state.store.update(f"dso:dsra:{grant['dsra']}", lambda r: {**r, "state": "CONSUMED"} if r else None)
        body = issue_ias_tokens(state, settings, acct, grant["client_id"])
        if not settings.ias_echo_client_id:
            body["client_id"] = f"PUB_{secrets.token_hex(8)}"
        return _send(state, request, endpoint, Reply(settings.ias_activation_status, body, dict(NO_STORE)))
    except ApiError as err:
        return _fail(state, request, endpoint, err)


async def password_sign_on(request: Request) -> Response:
    """``signOnByUserNamePassword`` (PROPOSED JSON body): how the companion app gets its own token."""
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.ias_password"
    try:
        body = await _json(request)
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
            raise ApiError(400, IAS_BAD_REQUEST, "username and password are required")
        acct, throttled = check_password(state, settings, username, password, settings.ias_check_password)
        if throttled:
            raise ApiError(
                429,
                IAS_THROTTLED,
                "too many failed sign-ins; try again later",
                {"Retry-After": retry_after(settings.password_window_s)},
            )
        if acct is None:
            raise ApiError(401, IAS_BAD_CREDENTIALS, "invalid username or password")
        if acct["status"] == "suspended":
            raise ApiError(403, IAS_SUSPENDED, "account suspended")
        client_id = body.get("clientId")
        device = state.store.get(f"dso:device:{client_id}") if isinstance(client_id, str) else None
        if device is None or device["account_id"] != acct["account_id"]:
            client_id = f"PUB_{secrets.token_hex(8)}"
            info = body.get("deviceInformation") if isinstance(body.get("deviceInformation"), dict) else {}
            state.store.put(
                f"dso:device:{client_id}",
                {"account_id": acct["account_id"], "kind": "password", "info": info},
            )
        tokens = issue_ias_tokens(state, settings, acct, client_id)
        return _send(state, request, endpoint, Reply(settings.ias_password_status, tokens, dict(NO_STORE)))
    except ApiError as err:
        return _fail(state, request, endpoint, err)


async def refresh(request: Request) -> Response:
    """IAS refresh ([NG-RT]): both tokens re-issued; form body, or the legacy query string."""
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.ias_refresh"
    try:
        params: Any = request.query_params
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = await request.form()
            if "refresh_token" in form or "grant_type" in form:
                params = form
        if params.get("grant_type") != "refresh_token" or not params.get("refresh_token"):
            raise ApiError(400, IAS_BAD_REQUEST, "grant_type=refresh_token and refresh_token are required")
        presented = str(params["refresh_token"])
        claims = _claims(state, presented, "RefreshAuthN")
        key = f"dso:iasrt:{claims['jti']}" if claims else ""
        rec = None
        if claims:
            rec = state.store.pop(key) if settings.ias_refresh_single_use else state.store.get(key)
        if rec is None:
            raise ApiError(401, IAS_TOKEN_INVALID, "invalid, expired or already used refresh token")
        acct = _active(settings, account(state, rec["account_id"]))
        body = issue_ias_tokens(state, settings, acct, rec["client_id"], rec["fixed_exp"])
        if not settings.ias_rotate_refresh:
            body["refresh_token"] = presented
            state.store.put(key, rec, max(1, claims["exp"] - int(now())))
        return _send(state, request, endpoint, Reply(200, body, dict(NO_STORE)))
    except ApiError as err:
        return _fail(state, request, endpoint, err)


def routes(settings: Settings) -> list[Route]:
    lax = ["GET", "PUT", "POST", "DELETE"]  # the handlers answer 405 themselves (a fault can relax it)
    return [
        Route(settings.dsra_code_path, registration_code, methods=lax),
        Route(settings.dsra_poll_path, poll, methods=lax),
        Route(settings.dsra_approve_path, approve, methods=lax),
        Route(settings.dsra_reject_path, reject, methods=lax),
        Route(settings.dsra_operator_approve_path, operator_approve, methods=lax),
        Route(settings.operator_token_path, operator_token, methods=["POST"]),
        Route(settings.ias_activation_path, activation_sign_on, methods=["POST"]),
        Route(settings.ias_password_path, password_sign_on, methods=["POST"]),
        Route(settings.ias_refresh_path, refresh, methods=["POST"]),
    ]
