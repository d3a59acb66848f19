"""The conventions of the DSRA and IAS JSON APIs: numeric error codes, bearer tokens, JSON bodies,
the tokens we sign, and the ``x-correlation-id`` echo. Shared by ``dsra`` and ``ias``.

DSRA codes are the PROPOSED 31xxx codes of specs/device-and-ropc.md §1.9; IAS codes 20002/20020 are
from [NG-ERR], the others PROPOSED.
"""

from __future__ import annotations

from typing import Any

import jwt
from starlette.requests import Request

from reference_server import jsonbody
from reference_server.device_signon.shared import account
from reference_server.endpoint import Call, Check, ProtocolError
from reference_server.oauth import NO_STORE
from reference_server.reply import Reply
from reference_server.state import ServerState

OPERATOR_ROLE = "dsra-operator"
CORRELATION = "x-correlation-id"

BAD_TOKEN, EXPIRED, ALREADY_APPROVED, DELIVERED, REJECTED, TOO_FAST = 31000, 31001, 31002, 31003, 31004, 31005
BAD_DEVICE, NO_UNIQUE_CODE, UNKNOWN_ACCOUNT, BAD_REQUEST, UNKNOWN_CODE, THROTTLED = (
    31006,
    31007,
    31008,
    31009,
    31010,
    31011,
)
IAS_BAD_CREDENTIALS, IAS_CANCELLED, IAS_SUSPENDED, IAS_TOKEN_INVALID, IAS_THROTTLED, IAS_BAD_REQUEST = (
    20000,
    20001,
    20002,
    20020,
    20029,
    20030,
)


class ApiError(ProtocolError):
    """A DSRA/IAS error: HTTP status + numeric code (JSON ``{"code", "message"}``)."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def reply(self) -> Reply:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        return Reply(self.status, body, {**NO_STORE, **self.headers})


def echo_correlation(call: Call, reply: Reply) -> None:
    """The ``after`` hook of every DSRA/IAS endpoint: echo x-correlation-id (errors carry it too)."""
    correlation = call.request.headers.get(CORRELATION)
    if not correlation:
        return
    if reply.status >= 400 and isinstance(reply.body, dict) and "code" in reply.body:
        reply.body["correlationId"] = correlation
    reply.headers[CORRELATION] = correlation


def dsra_checks(*allowed: str) -> list[Check]:
    """The ``before`` checks of the DSRA endpoints: their methods, and x-correlation-id accepted."""

    async def method(call: Call) -> None:
        if call.request.method not in allowed and not call.deviations.serve_any_method:
            raise ApiError(405, BAD_REQUEST, "method not allowed", {"Allow": ", ".join(allowed)})

    async def correlation(call: Call) -> None:
        if CORRELATION in call.request.headers and call.deviations.reject_correlation_id:
            raise ApiError(400, BAD_REQUEST, "unexpected header x-correlation-id")

    return [method, correlation]


def bearer(request: Request, require_scheme: bool = True) -> str | None:
    """The bearer token; None when there is no Authorization header, "" when it is malformed."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, sep, value = header.strip().partition(" ")
    if sep and scheme.lower() == "bearer":
        return value.strip()
    return "" if require_scheme or sep else header.strip()


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = jsonbody.loads(raw, jsonbody.max_depth_of(request))
    except ValueError:  # TooDeep included
        raise ApiError(400, BAD_REQUEST, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, BAD_REQUEST, "the body must be a JSON object")
    return data


def verified_claims(state: ServerState, token: str, typ: str) -> dict[str, Any] | None:
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


def companion(state: ServerState, token: str) -> dict[str, Any] | None:
    """Claims of a companion app's IAS access token whose account exists, or None."""
    claims = verified_claims(state, token, "DevAuthN")
    return claims if claims and account(state, claims.get("accountId")) else None


def operator(state: ServerState, token: str) -> dict[str, Any] | None:
    """Claims of an operator-portal token of a known operator client, or None."""
    claims = verified_claims(state, token, "Bearer")
    if not claims or OPERATOR_ROLE not in claims.get("realm_access", {}).get("roles", []):
        return None
    return claims if state.store.get(f"dso:opclient:{claims.get('azp')}") else None
