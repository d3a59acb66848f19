"""One request through the REST API v2: throttle, method, access token, service provider,
device headers and platform identity, in that order; then the endpoint's own logic.

Every answer (success or error) leaves through ``state.respond("<contract>.<endpoint>", ...)``,
the fault seam. Handlers are plain ``async def fn(call) -> Reply`` functions, so another contract
(partner_sso) can mount the same logic under its own contract key and settings.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reference_server.oauth import OAuthError
from reference_server.platform_sso import headers, identity, throttle
from reference_server.platform_sso.errors import HtmlError, PassError
from reference_server.platform_sso.settings import Settings
from reference_server.reply import Reply
from reference_server.state import ServerState, state_of
from reference_server.store import Store

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="adobe-pass", error="invalid_token"'}
ANONYMOUS = "anonymous"  # the client of token-less calls, only when a fault lets them through


@dataclass
class Call:
    request: Request
    state: ServerState
    settings: Settings
    contract: str
    name: str
    sp: str = ""
    client: dict[str, Any] | None = None
    device: str | None = None  # store key of AP-Device-Identifier
    device_info: dict[str, Any] | None = None
    identity: str | None = None  # platform identity key from Adobe-Subject-Token

    @property
    def endpoint(self) -> str:
        return f"{self.contract}.{self.name}"

    @property
    def store(self) -> Store:
        return self.state.store

    @property
    def client_id(self) -> str:
        return self.client["client_id"] if self.client else ANONYMOUS

    @property
    def peer(self) -> str | None:
        return self.request.client.host if self.request.client else None


Handler = Callable[[Call], Awaitable[Reply]]


def token_key(access_token: str) -> str:
    return "psso:at:" + hashlib.sha256(access_token.encode()).hexdigest()


def authorize(call: Call) -> None:
    """Bearer access token (401), then service provider (400) and its link to the application (401)."""
    s, store = call.settings, call.store
    challenge = BEARER_CHALLENGE if s.bearer_challenge else {}
    scheme, _, token = call.request.headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    everything = {"client_id": ANONYMOUS, "service_providers": list(s.service_providers)}
    if not token:
        if s.require_access_token:
            raise PassError(
                "invalid_access_token_client_application",
                "Authorization: Bearer <token> is required",
                headers=challenge,
            )
        call.client = everything
    else:
        grant = store.get(token_key(token))
        client = store.get(f"psso:client:{grant['client_id']}") if grant else None
        if client is None:
            if s.validate_access_token:
                raise PassError(
                    "invalid_access_token_client_application",
                    "the access token is unknown or expired",
                    headers=challenge,
                )
            client = everything
        call.client = client
    sp = call.request.path_params.get("sp", "")
    call.sp = sp
    if sp not in s.service_providers and s.check_service_provider:
        raise PassError("invalid_parameter_service_provider", f"unknown service provider {sp!r}")
    if sp not in call.client.get("service_providers", ()) and s.check_application_link:
        raise PassError(
            "invalid_access_token_service_provider",
            "the registered application is not linked to this service provider",
        )


def _device_headers(call: Call, device_id: str, device_info: str) -> None:
    s, h = call.settings, call.request.headers
    if device_id != "ignore":
        call.device = headers.device_key(
            h.get("ap-device-identifier"), validate_format=s.validate_device_identifier_format
        )
        if call.device is None and device_id == "required":
            if s.require_device_identifier:
                raise PassError("invalid_header_device_identifier", "AP-Device-Identifier is required")
            call.device = "unknown-device"
    if device_info != "ignore":
        raw = h.get("x-device-info")
        if raw is None and not s.tolerate_missing_device_info and device_id == "required":
            raise PassError("invalid_header_device_info", "X-Device-Info is required")
        if s.validate_device_info:
            call.device_info = headers.device_info(raw)
        else:
            try:
                call.device_info = headers.device_info(raw)
            except PassError:
                call.device_info = None
        if call.device_info and not s.tolerate_unknown_device_info_keys:
            unknown = sorted(set(call.device_info) - DEVICE_INFO_KEYS)
            if unknown:
                raise PassError("invalid_header_device_info", f"unknown X-Device-Info keys: {unknown}")


DEVICE_INFO_KEYS = {
    "primaryHardwareType", "model", "version", "manufacturer", "vendor", "osName", "osFamily", "osVendor",
    "osVersion", "browserName", "browserVendor", "browserVersion", "userAgent", "displayWidth",
    "displayHeight", "displayPpi", "diagonalScreenSize", "connectionIp", "connectionPort", "connectionType",
    "connectionSecure", "applicationId",
}  # fmt: skip


def html_page(title: str, text: str, status: int = 200, extra: str = "") -> Reply:
    body = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body><main>"
        f'<h1>{html.escape(title)}</h1><p class="message">{html.escape(text)}</p>{extra}'
        "</main></body></html>\n"
    )
    return Reply(status, body, {"Cache-Control": "no-store"})


def endpoint(
    contract: str,
    name: str,
    fn: Handler,
    methods: Sequence[str],
    *,
    auth: bool = True,
    device_id: str = "ignore",  # "required" | "optional" (validated when present) | "ignore"
    device_info: str = "ignore",  # "validate" (when present) | "ignore"
    subject: bool = False,  # read the platform identity (Adobe-Subject-Token)
    html_errors: bool = False,  # user-agent endpoints answer errors as text/html
    throttled: bool = True,
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running ``fn`` after the common checks, answering through the fault seam."""
    allowed = tuple(methods)

    async def handler(request: Request) -> Response:
        state = state_of(request)
        call = Call(request, state, state.settings(contract), contract, name)
        s = call.settings
        try:
            limited = throttle.check(request, s, state.store) if throttled else None
            if limited is not None:
                return state.respond(call.endpoint, limited)
            if request.method not in allowed:
                if html_errors:
                    raise HtmlError(405, "Method not allowed", f"Use {', '.join(allowed)}.")
                if s.reject_wrong_method:
                    raise PassError("method_not_allowed", headers={"Allow": ", ".join(allowed)})
                raise PassError("not_found")
            if auth:
                authorize(call)
            _device_headers(call, device_id, device_info)
            if subject:
                call.identity = identity.identity_of(request, s)
            reply = await fn(call)
        except PassError as err:
            reply = err.reply()
        except OAuthError as err:
            reply = err.reply()
        except HtmlError as err:
            reply = html_page(err.title, err.text, err.status)
        return state.respond(call.endpoint, reply)

    handler.__name__ = handler.__qualname__ = f"{contract}_{name}"
    return handler


def route(path: str, handler: Callable[[Request], Awaitable[Response]]) -> Route:
    """Every method reaches the handler, so that a wrong one gets an EEC 405, not Starlette's."""
    return Route(path, handler, methods=ALL_METHODS)
