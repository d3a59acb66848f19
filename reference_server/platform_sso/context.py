"""One request through the REST API v2: throttle, method, access token, service provider,
device headers and platform identity, in that order (the ``before`` checks of the shared
``reference_server.endpoint.endpoint``); then the endpoint's own logic.

Handlers are plain ``async def fn(call) -> Reply`` functions, so another contract (partner_sso)
can mount the same logic under its own contract key and settings: ``endpoints_for(contract)``
declares the same endpoint names for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reference_server import endpoint as shared
from reference_server.endpoint import Check, EndpointName, Endpoints
from reference_server.platform_sso import headers, identity, throttle
from reference_server.platform_sso import pfs as partner_framework
from reference_server.platform_sso.errors import HtmlError, PassError
from reference_server.platform_sso.settings import CONTRACT, Deviations, Settings
from reference_server.reply import Reply

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="adobe-pass", error="invalid_token"'}
ANONYMOUS = "anonymous"  # the client of token-less calls, only when a fault lets them through

NAMES = (
    "dcr_register", "dcr_token", "configuration", "sessions_create", "sessions_resume", "sessions_retrieve",
    "authenticate", "mvpd_login", "mvpd_logout", "landing", "profiles", "profiles_mvpd", "profiles_code",
    "decisions_authorize", "decisions_preauthorize", "logout", "media_token_jwks", "not_found",
)  # fmt: skip
_DECLARED: dict[str, Endpoints] = {}


def endpoints_for(contract: str, *extra: str) -> Endpoints:
    """The REST API v2 endpoint names (plus ``extra`` ones) under ``contract``'s key, declared once."""
    if contract not in _DECLARED:
        _DECLARED[contract] = Endpoints(contract, *NAMES, *extra)
    return _DECLARED[contract]


ENDPOINTS = endpoints_for(CONTRACT)


@dataclass
class Call(shared.Call):
    settings: Settings
    deviations: Deviations
    sp: str = ""
    client: dict[str, Any] | None = None
    device: str | None = None  # store key of AP-Device-Identifier
    device_info: dict[str, Any] | None = None
    identity: str | None = None  # platform identity key from Adobe-Subject-Token
    pfs: partner_framework.Pfs = partner_framework.ABSENT  # AP-Partner-Framework-Status (pfs=True)

    @property
    def client_id(self) -> str:
        return self.client["client_id"] if self.client else ANONYMOUS


Handler = Callable[[Call], Awaitable[Reply]]


def token_key(access_token: str) -> str:
    return "psso:at:" + hashlib.sha256(access_token.encode()).hexdigest()


def authorize(call: Call) -> None:
    """Bearer access token (401), then service provider (400) and its link to the application (401)."""
    s, d, store = call.settings, call.deviations, call.store
    challenge = {} if d.omit_bearer_challenge else BEARER_CHALLENGE
    scheme, _, token = call.request.headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    everything = {"client_id": ANONYMOUS, "service_providers": list(s.service_providers)}
    if not token:
        if not d.serve_without_access_token:
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
            if not d.serve_unknown_access_token:
                raise PassError(
                    "invalid_access_token_client_application",
                    "the access token is unknown or expired",
                    headers=challenge,
                )
            client = everything
        call.client = client
    sp = call.request.path_params.get("sp", "")
    call.sp = sp
    if sp not in s.service_providers and not d.skip_service_provider_check:
        raise PassError("invalid_parameter_service_provider", f"unknown service provider {sp!r}")
    if sp not in call.client.get("service_providers", ()) and not d.skip_application_link_check:
        raise PassError(
            "invalid_access_token_service_provider",
            "the registered application is not linked to this service provider",
        )


DEVICE_INFO_KEYS = {
    "primaryHardwareType", "model", "version", "manufacturer", "vendor", "osName", "osFamily", "osVendor",
    "osVersion", "browserName", "browserVendor", "browserVersion", "userAgent", "displayWidth",
    "displayHeight", "displayPpi", "diagonalScreenSize", "connectionIp", "connectionPort", "connectionType",
    "connectionSecure", "applicationId",
}  # fmt: skip


def _device_headers(call: Call, device_id: str, device_info: str) -> None:
    d, h = call.deviations, call.request.headers
    if device_id != "ignore":
        call.device = headers.device_key(
            h.get("ap-device-identifier"), validate_format=not d.opaque_device_identifier
        )
        if call.device is None and device_id == "required":
            if not d.default_missing_device_identifier:
                raise PassError("invalid_header_device_identifier", "AP-Device-Identifier is required")
            call.device = "unknown-device"
    if device_info != "ignore":
        raw = h.get("x-device-info")
        if raw is None and d.require_device_info and device_id == "required":
            raise PassError("invalid_header_device_info", "X-Device-Info is required")
        if d.ignore_malformed_device_info:
            try:
                call.device_info = headers.device_info(raw)
            except PassError:
                call.device_info = None
        else:
            call.device_info = headers.device_info(raw)
        if call.device_info and d.reject_unknown_device_info_keys:
            unknown = sorted(set(call.device_info) - DEVICE_INFO_KEYS)
            if unknown:
                raise PassError("invalid_header_device_info", f"unknown X-Device-Info keys: {unknown}")


# --- the common checks, in the order they run ------------------------------------------------------


async def _throttle(call: Call) -> Reply | None:
    return throttle.check(call.request, call.settings, call.store)


def _method(allowed: Sequence[str], html_errors: bool) -> Check:
    """A wrong method: an HTML 405 on user-agent endpoints, else an EEC 405 with Allow."""
    methods = tuple(allowed)

    async def check(call: Call) -> None:
        if call.request.method in methods:
            return None
        if html_errors:
            raise HtmlError(405, "Method not allowed", f"Use {', '.join(methods)}.")
        if call.deviations.wrong_method_not_found:
            raise PassError("not_found")
        raise PassError("method_not_allowed", headers={"Allow": ", ".join(methods)})

    return check


async def _access_token(call: Call) -> None:
    authorize(call)


def _device(device_id: str, device_info: str) -> Check:
    async def check(call: Call) -> None:
        _device_headers(call, device_id, device_info)

    return check


async def _platform_identity(call: Call) -> None:
    call.identity = identity.identity_of(call.request, call.settings, call.deviations)


async def _partner_framework(call: Call) -> None:
    raw = call.request.headers.get(partner_framework.HEADER)
    call.pfs = partner_framework.judge(raw, call.settings)


def endpoint(
    name: EndpointName,
    fn: Handler,
    methods: Sequence[str],
    *,
    auth: bool = True,
    device_id: str = "ignore",  # "required" | "optional" (validated when present) | "ignore"
    device_info: str = "ignore",  # "validate" (when present) | "ignore"
    subject: bool = False,  # read the platform identity (Adobe-Subject-Token)
    pfs: bool = False,  # judge AP-Partner-Framework-Status into call.pfs
    html_errors: bool = False,  # user-agent endpoints answer errors as text/html
    throttled: bool = True,
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running ``fn`` after the REST API v2 common checks."""
    before: list[Check] = [_throttle] if throttled else []
    before.append(_method(methods, html_errors))
    if auth:
        before.append(_access_token)
    before.append(_device(device_id, device_info))
    if subject:
        before.append(_platform_identity)
    if pfs:
        before.append(_partner_framework)
    return shared.endpoint(name, fn, before=before, call_type=Call)
