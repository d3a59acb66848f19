"""`device_signon`, variant ``dsra``: Nagra OPF DSRA registration codes and their approval.

D1 GET registration code · D2 PUT poll for the sign-on/activation token (204 until approved) ·
D3 PUT companion approval (IAS access token) · D4 PUT operator-portal approval (Keycloak-style
operator token + ``nv-tenant-id``) and the operator's client-credentials token. The IAS sign-on
with the activation token lives in ``ias``. Where the docs are silent this follows the PROPOSED
state machine of specs/device-and-ropc.md §1.9:

    ISSUED --approve--> APPROVED --D2 success--> TOKEN_ISSUED --I1--> CONSUMED
      +-- reject --> REJECTED          (any state but CONSUMED) -- expiry --> 403 31001
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from reference_server.abuse import client_guard
from reference_server.device_signon.api import (
    ALREADY_APPROVED,
    BAD_DEVICE,
    BAD_REQUEST,
    BAD_TOKEN,
    DELIVERED,
    EXPIRED,
    NO_UNIQUE_CODE,
    OPERATOR_ROLE,
    REJECTED,
    THROTTLED,
    TOO_FAST,
    UNKNOWN_ACCOUNT,
    UNKNOWN_CODE,
    ApiError,
    bearer,
    companion,
    json_body,
    operator,
)
from reference_server.device_signon.settings import Deviations, Settings
from reference_server.device_signon.shared import (
    account,
    approval_failed,
    approval_throttled,
    new_code,
    normalise_code,
    now,
    number,
    primary_account_id,
    retry_after,
    well_formed,
)
from reference_server.endpoint import Call
from reference_server.oauth import NO_STORE, OAuthError, client_credentials, read_form, secrets_equal
from reference_server.reply import Reply
from reference_server.state import ServerState

IDENTITY_KEYS = ("clientId", "deviceInformation", "managedDeviceInformation")
OPERATOR_REALM = "operator"


# --- D1 --------------------------------------------------------------------------------------------


def _unique_code(call: Call, token: str, keep: float) -> tuple[str, float | None]:
    """A registration code nobody holds, bound to ``token``: fresh, unless a fault reuses the last.

    A reused code keeps the expiry it was first issued with (returned beside it), so the fault
    breaks freshness alone and never brings an expired code back to life.
    """
    settings, store = call.settings, call.store
    reused = store.get("dso:dsra:lastcode") if call.deviations.reuse_registration_code else None
    if reused is not None:
        store.put(f"dso:dsracode:{reused['code']}", token, keep)
        return reused["code"], reused["expires_at"]
    for _ in range(settings.code_generation_attempts):
        candidate = new_code(settings.dsra_code_alphabet, settings.code_length)
        if store.add(f"dso:dsracode:{candidate}", token, keep):
            return candidate, None
    raise ApiError(409, NO_UNIQUE_CODE, "could not generate a unique device registration code")


async def registration_code(call: Call) -> Reply:
    settings: Settings = call.settings
    t, ttl = now(), settings.code_ttl_s
    keep = ttl + settings.retain_expired_s
    token = (
        str(uuid.uuid1())
        if call.deviations.time_based_dsra_tokens
        else secrets.token_urlsafe(settings.dsra_token_bytes)
    )
    code, expires_at = _unique_code(call, token, keep)
    if call.deviations.dsra_token_embeds_code:
        token = base64.urlsafe_b64encode(f"{code}:".encode() + secrets.token_bytes(32)).decode().rstrip("=")
        call.store.put(f"dso:dsracode:{code}", token, keep)
    if expires_at is None:
        expires_at = t + ttl
        if call.deviations.reuse_registration_code:
            call.store.put("dso:dsra:lastcode", {"code": code, "expires_at": expires_at}, ttl)
    call.store.put(
        f"dso:dsra:{token}",
        {
            "state": "ISSUED",
            "code": code,
            "created": t,
            "expires_at": expires_at,
            "period": settings.polling_period_s,
            "last_poll": None,
            "account_id": None,
        },
        keep,
    )
    body = {
        "deviceRegistrationCode": code,
        "dsraToken": token,
        "expiresAfterMillis": int(round(ttl * 1000)),
        "pollingPeriodSeconds": number(settings.polling_period_s),
    }
    return Reply(200, body, dict(NO_STORE))


# --- D2 --------------------------------------------------------------------------------------------


def _identity(call: Call, body: dict[str, Any]) -> tuple[str, Any]:
    """The one device identity of a D2 body: (kind, value)."""
    deviations: Deviations = call.deviations
    present = [k for k in IDENTITY_KEYS if body.get(k) not in (None, "", {})]
    if not present:
        if not deviations.device_identity_optional:
            raise ApiError(400, BAD_DEVICE, f"one of {', '.join(IDENTITY_KEYS)} is required")
        return "deviceInformation", {}
    if len(present) > 1:
        raise ApiError(400, BAD_DEVICE, f"send exactly one of {', '.join(IDENTITY_KEYS)}")
    kind, value = present[0], body[present[0]]
    if kind == "clientId":
        if not isinstance(value, str):
            raise ApiError(400, BAD_DEVICE, "clientId must be a string")
        known = call.store.get(f"dso:device:{value}") is not None
        if not known and not deviations.accept_unknown_client_id:
            raise ApiError(400, BAD_DEVICE, "unknown clientId")
    elif not isinstance(value, dict):
        raise ApiError(400, BAD_DEVICE, f"{kind} must be a JSON object")
    elif kind == "managedDeviceInformation" and not deviations.casn_optional:
        casn = value.get("caSN")
        if not isinstance(casn, str) or not casn:
            raise ApiError(400, BAD_DEVICE, "managedDeviceInformation must carry caSN")
    return kind, value


def _client_id_for(call: Call, kind: str, value: Any, account_id: str) -> str:
    """The device's clientId: kept when it has one, else new (per registration)."""
    deviations: Deviations = call.deviations
    if kind == "clientId" and not deviations.replace_known_client_id:
        client_id = value
    elif kind == "deviceInformation" and deviations.reuse_client_id_for_same_device_info:
        digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        client_id = f"PUB_{digest[:16]}"
    else:
        client_id = f"PUB_{secrets.token_hex(8)}"
    call.store.put(f"dso:device:{client_id}", {"account_id": account_id, "kind": kind, "info": value})
    return client_id


@dataclass
class _Poll:
    """What one poll decided about a registration (the store's atomic update sets it)."""

    decision: str = "unknown"
    rec: dict[str, Any] | None = None


def _poll_step(call: Call, t: float, body_ok: bool, seen: _Poll):
    """The atomic D2 transition: decide, move APPROVED to TOKEN_ISSUED, remember the poll time."""
    deviations: Deviations = call.deviations
    factor = 0.5 if deviations.expire_registrations_at_half_life else 1.0

    def step(rec: dict[str, Any] | None) -> dict[str, Any] | None:
        seen.rec = rec
        if rec is None:
            seen.decision = "unknown"
            return None
        if not body_ok:
            seen.decision = "bad"
            return rec
        expired = t >= rec["created"] + (rec["expires_at"] - rec["created"]) * factor
        st = rec["state"]
        if st == "ISSUED":
            too_fast = rec["last_poll"] is not None and t - rec["last_poll"] < rec["period"]
            if expired and not deviations.keep_pending_after_expiry:
                seen.decision = "expired"
            elif too_fast and not deviations.ignore_polling_period:
                seen.decision = "fast"
            else:
                seen.decision = "pending"
            rec["last_poll"] = t
        elif st == "APPROVED":
            if expired and not deviations.deliver_after_expiry:
                seen.decision = "expired"
            else:
                rec["state"] = "TOKEN_ISSUED"
                seen.decision = "issue"
        elif st in ("TOKEN_ISSUED", "CONSUMED"):
            redeliver = deviations.redeliver_activation_token and not expired
            seen.decision = "issue" if redeliver else "delivered"
        else:
            seen.decision = "rejected"
        return rec

    return step


_POLL_REFUSALS = {
    "expired": (EXPIRED, "the DSRA token has expired"),
    "delivered": (DELIVERED, "the sign-on/activation token was already delivered"),
    "rejected": (REJECTED, "the sign-on request was rejected"),
}


async def poll(call: Call) -> Reply:
    settings: Settings = call.settings
    token = bearer(call.request, not call.deviations.accept_bare_dsra_token)
    if token is None:
        raise ApiError(401, BAD_TOKEN, "missing DSRA token")
    if not token:
        raise ApiError(401, BAD_TOKEN, "use 'Authorization: Bearer <dsraToken>'")
    body_error: ApiError | None = None
    identity: tuple[str, Any] = ("", None)
    try:
        identity = _identity(call, await json_body(call.request))
    except ApiError as err:
        body_error = err
    t = now()
    seen = _Poll()
    call.store.update(f"dso:dsra:{token}", _poll_step(call, t, body_error is None, seen))
    rec = seen.rec
    if seen.decision == "unknown":
        raise ApiError(401, BAD_TOKEN, "invalid DSRA token")
    if seen.decision == "bad" and body_error is not None:
        raise body_error
    if seen.decision == "pending":
        return Reply(204, None, dict(NO_STORE))
    if seen.decision == "fast":
        raise ApiError(
            429,
            TOO_FAST,
            "polling faster than pollingPeriodSeconds",
            {"Retry-After": retry_after(rec["period"])},
        )
    if seen.decision in _POLL_REFUSALS:
        code, message = _POLL_REFUSALS[seen.decision]
        raise ApiError(403, code, message)
    client_id = _client_id_for(call, identity[0], identity[1], rec["account_id"])
    activation = secrets.token_urlsafe(settings.activation_token_bytes)
    call.store.put(
        f"dso:sat:{activation}",
        {
            "client_id": client_id,
            "account_id": rec["account_id"],
            "dsra": token,
            "expires_at": t + settings.activation_token_ttl_s,
        },
        settings.activation_token_ttl_s + settings.retain_expired_s,
    )
    return Reply(200, {"clientId": client_id, "signOnActivationToken": activation}, dict(NO_STORE))


# --- D3 / D4 / reject ------------------------------------------------------------------------------


def _decision_step(call: Call, t: float, action: str, bind_to: str | None, seen: dict[str, str]):
    """The atomic D3/D4 transition: ISSUED becomes APPROVED (bound) or REJECTED, or why not."""
    deviations: Deviations = call.deviations

    def step(rec: dict[str, Any] | None) -> dict[str, Any] | None:
        if rec is None:
            seen["d"] = "unknown"
            return None
        st = rec["state"]
        if st == "ISSUED":
            if t >= rec["expires_at"] and not deviations.approve_expired_codes:
                seen["d"] = "expired"
            elif action == "reject":
                seen["d"] = "ok"
                if not deviations.ignore_reject:
                    rec["state"] = "REJECTED"
            else:
                rec.update(state="APPROVED", account_id=bind_to, approved_at=t)
                seen["d"] = "ok"
        elif st == "APPROVED":
            seen["d"] = "ok" if deviations.approve_approved_codes else "approved"
        elif st in ("TOKEN_ISSUED", "CONSUMED"):
            seen["d"] = "ok" if deviations.approve_delivered_codes else "delivered"
        else:
            seen["d"] = "rejected"
        return rec

    return step


_DECISION_REFUSALS = {
    "expired": (EXPIRED, "the device registration code has expired"),
    "approved": (ALREADY_APPROVED, "the device registration code is already approved"),
    "delivered": (DELIVERED, "the device is already registered"),
    "rejected": (REJECTED, "the sign-on request was rejected"),
}


def _decide(call: Call, raw_code: Any, who: str, bind_to: str | None, action: str = "approve") -> None:
    """Move a live registration to APPROVED (bound to ``bind_to``) or REJECTED, or raise why not."""
    settings: Settings = call.settings
    state: ServerState = call.state
    if not isinstance(raw_code, str) or not raw_code.strip():
        raise ApiError(400, BAD_REQUEST, "deviceRegistrationCode is required")
    if not call.deviations.no_approval_rate_limit and approval_throttled(state, settings, who):
        raise ApiError(
            429,
            THROTTLED,
            "too many failed approvals; try again later",
            {"Retry-After": retry_after(settings.approval_window_s)},
        )
    code = normalise_code(raw_code, not call.deviations.exact_registration_codes_only)
    if not well_formed(code, settings.dsra_code_alphabet, settings.code_length):
        approval_failed(state, settings, who)
        raise ApiError(400, BAD_REQUEST, "malformed deviceRegistrationCode")
    token = call.store.get(f"dso:dsracode:{code}")
    if token is None:
        approval_failed(state, settings, who)
        raise ApiError(404, UNKNOWN_CODE, "unknown deviceRegistrationCode")
    seen: dict[str, str] = {}
    call.store.update(f"dso:dsra:{token}", _decision_step(call, now(), action, bind_to, seen))
    decision = seen["d"]
    if decision == "unknown":
        raise ApiError(404, UNKNOWN_CODE, "unknown deviceRegistrationCode")
    if decision in _DECISION_REFUSALS:
        code_number, message = _DECISION_REFUSALS[decision]
        raise ApiError(403, code_number, message)


def _companion_claims(call: Call) -> dict[str, Any]:
    """The approving companion's claims, from its IAS access token."""
    token = bearer(call.request)
    if token is None:
        raise ApiError(400, BAD_TOKEN, "missing access token")
    claims = companion(call.state, token)
    if claims is None and call.deviations.companion_accepts_operator_token and operator(call.state, token):
        claims = {"accountId": primary_account_id(call.state)}
    if claims is not None:
        return claims
    # A valid token of the other kind (an operator's) is refused by its own rule, an unknown one as
    # invalid: two behaviours with their own wording, so a fault can break one without the other.
    if operator(call.state, token):
        raise ApiError(403, BAD_TOKEN, "an operator token cannot approve for a user")
    raise ApiError(403, BAD_TOKEN, "invalid or expired access token")


async def _companion_decision(call: Call, action: str) -> Reply:
    account_id = _companion_claims(call)["accountId"]
    body = await json_body(call.request)
    bind_primary = call.deviations.bind_approval_to_primary_account
    bind_to = primary_account_id(call.state) if bind_primary else account_id
    _decide(call, body.get("deviceRegistrationCode"), f"acct:{account_id}", bind_to, action)
    return Reply(202, None, dict(NO_STORE))


async def approve(call: Call) -> Reply:
    return await _companion_decision(call, "approve")


async def reject(call: Call) -> Reply:
    return await _companion_decision(call, "reject")


def _operator_claims(call: Call) -> dict[str, Any]:
    """The operator's claims, from its portal token."""
    token = bearer(call.request)
    if token is None:
        raise ApiError(400, BAD_TOKEN, "missing operator token")
    claims = operator(call.state, token)
    if claims is None and call.deviations.portal_accepts_device_token:
        device = companion(call.state, token)
        claims = {"azp": "device", "tenantId": device["tenantId"]} if device else None
    if claims is not None:
        return claims
    # As on D3: a companion's valid token is refused by its own rule, an unknown one as invalid.
    if companion(call.state, token):
        raise ApiError(403, BAD_TOKEN, "a device token cannot use the operator portal")
    raise ApiError(403, BAD_TOKEN, "invalid operator token")


async def operator_approve(call: Call) -> Reply:
    deviations: Deviations = call.deviations
    claims = _operator_claims(call)
    tenant = call.request.headers.get("nv-tenant-id")
    if not tenant:
        if not deviations.tenant_header_optional:
            raise ApiError(400, BAD_REQUEST, "the nv-tenant-id header is required")
        tenant = claims["tenantId"]
    if tenant != claims.get("tenantId") and not deviations.ignore_tenant_mismatch:
        raise ApiError(403, BAD_TOKEN, "nv-tenant-id does not match the operator token")
    body = await json_body(call.request)
    account_id = body.get("accountId")
    if not account_id:
        if not deviations.account_id_optional:
            raise ApiError(400, BAD_REQUEST, "accountId is required")
        account_id = primary_account_id(call.state)
    elif not isinstance(account_id, str) or account(call.state, account_id) is None:
        raise ApiError(400, UNKNOWN_ACCOUNT, "unknown accountId")
    if deviations.bind_portal_approval_to_primary_account:
        account_id = primary_account_id(call.state)
    _decide(call, body.get("deviceRegistrationCode"), f"op:{claims['azp']}", account_id)
    return Reply(202, None, dict(NO_STORE))


async def operator_token(call: Call) -> Reply:
    """Keycloak-style client-credentials token for the operator portal (RFC 6749 §4.4)."""
    state: ServerState = call.state
    form = await read_form(call.request)
    creds = client_credentials(call.request, form, OPERATOR_REALM)
    guard = client_guard(call, "device_signon:client", creds.client_id)
    client = call.store.get(f"dso:opclient:{creds.client_id}")
    expected = client["secret"] if client else secrets.token_hex(16)
    if not secrets_equal(creds.secret, expected) or client is None:
        guard.failed(creds.client_id)
        raise OAuthError(
            "invalid_client",
            "client authentication failed",
            401,
            {"WWW-Authenticate": f'Basic realm="{OPERATOR_REALM}"'},
        )
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
    ttl = call.settings.operator_token_ttl_s
    t = int(now())
    claims = {
        "iss": f"{state.public_url}/auth/realms/operator",
        "typ": "Bearer",
        "azp": creds.client_id,
        "tenantId": client["tenant"] or call.settings.tenant_id,
        "realm_access": {"roles": [OPERATOR_ROLE]},
        "iat": t,
        "exp": t + ttl,
        "jti": secrets.token_hex(12),
    }
    body = {"access_token": state.key.sign(claims, {"typ": "JWT"}), "token_type": "Bearer", "expires_in": ttl}
    return Reply(200, body, dict(NO_STORE))
