"""`platform_sso`: Adobe Pass REST API v2 with single sign-on through a platform identity.

The REST API v2 core (DCR, configuration, sessions, user-agent authentication with a stand-in
MVPD login page, profiles, decisions, logout, Enhanced Error Codes, throttling) plus platform
identity SSO: a valid ``Adobe-Subject-Token`` (JWS or JWE) shares the profile an application
obtained with every application and device presenting the same platform identifier.
Spec: ../shared/specs/adobe-pass-v2.md; choices on its documented inconsistencies are noted in
each module. ``api_routes(contract, settings)`` lets another contract (partner_sso) mount the same
core under its own contract key.

Endpoint names (the fault seam): ``ENDPOINTS`` (``context.NAMES``); another contract gets the same
names under its own key from ``endpoints_for(contract)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reference_server.endpoint import ALL_METHODS, route
from reference_server.platform_sso import authn, config, dcr, decisions, logout, profiles, sessions
from reference_server.platform_sso.context import ENDPOINTS, Call, Handler, endpoint, endpoints_for
from reference_server.platform_sso.errors import PassError
from reference_server.platform_sso.settings import CONTRACT, Deviations, Mvpd, Settings
from reference_server.reply import Reply
from reference_server.state import ServerState

__all__ = [
    "CONTRACT",
    "ENDPOINTS",
    "Deviations",
    "Mvpd",
    "Settings",
    "api_routes",
    "endpoints_for",
    "routes",
    "seed",
]

DEVICE = {"device_id": "required", "device_info": "validate"}


def seed(state: ServerState) -> None:
    """The MVPD test accounts of the profile (applications register themselves through DCR)."""
    authn.seed_accounts(state.store, state.section(CONTRACT).get("accounts", []))


async def _not_found(call: Call) -> Reply:
    raise PassError("not_found")


def api_routes(
    contract: str,
    s: Settings,
    *,
    catch_all: bool = True,
    aux: bool = True,
    extra: Sequence[Route] = (),
) -> list[Route]:
    """The REST API v2 core under ``contract``'s endpoint names and settings.

    ``aux``: also the absolute routes (stand-in MVPD pages, landing pages, media-token JWKS), which
    only one mount may serve; ``extra``: routes of the mounting contract, placed before the EEC 404
    catch-all.
    """
    api, o = s.api_base, s.dcr_base
    names = endpoints_for(contract)

    def ep(name: str, fn: Handler, methods: Sequence[str], **kw: Any) -> Callable:
        return endpoint(getattr(names, name), fn, methods, **kw)

    resume = ep("sessions_resume", sessions.resume, ("POST",))
    retrieve = ep("sessions_retrieve", sessions.retrieve, ("GET",))

    async def session_by_code(request: Request) -> Response:
        """GET retrieves, POST resumes, anything else gets retrieve's 405."""
        return await (resume if request.method == "POST" else retrieve)(request)

    routes = [
        route(f"{o}/client/register", ep("dcr_register", dcr.register, ("POST",), auth=False)),
        route(f"{o}/client/token", ep("dcr_token", dcr.token, ("POST",), auth=False)),
        route(
            f"{api}/authenticate/{{sp}}/{{code}}",
            ep("authenticate", authn.authenticate, ("GET",), auth=False, html_errors=True),
        ),
        route(f"{api}/sessions/{{sp}}/{{code}}", retrieve),  # the samples' path (§8 #3)
        route(
            f"{api}/{{sp}}/configuration",
            ep("configuration", config.configuration, ("GET",), device_id="optional", device_info="validate"),
        ),
        route(
            f"{api}/{{sp}}/configuration/",
            ep("configuration", config.configuration, ("GET",), device_id="optional", device_info="validate"),
        ),
        route(
            f"{api}/{{sp}}/sessions",
            ep("sessions_create", sessions.create, ("POST",), subject=True, **DEVICE),
        ),
        route(f"{api}/{{sp}}/sessions/{{code}}", session_by_code),
        route(
            f"{api}/{{sp}}/profiles",
            ep("profiles", profiles.all_profiles, ("GET",), subject=True, pfs=True, **DEVICE),
        ),
        route(f"{api}/{{sp}}/profiles/code/{{code}}", ep("profiles_code", profiles.for_code, ("GET",))),
        route(
            f"{api}/{{sp}}/profiles/{{mvpd}}",
            ep("profiles_mvpd", profiles.for_mvpd, ("GET",), subject=True, pfs=True, **DEVICE),
        ),
        route(
            f"{api}/{{sp}}/decisions/authorize/{{mvpd}}",
            ep("decisions_authorize", decisions.authorize, ("POST",), subject=True, pfs=True, **DEVICE),
        ),
        route(
            f"{api}/{{sp}}/decisions/preauthorize/{{mvpd}}",
            ep("decisions_preauthorize", decisions.preauthorize, ("POST",), subject=True, pfs=True, **DEVICE),
        ),
        route(f"{api}/{{sp}}/logout/{{mvpd}}", ep("logout", logout.logout, ("GET",), subject=True, **DEVICE)),
    ]
    if aux:
        routes.extend(_aux_routes(ep))
    routes.extend(extra)
    if catch_all:  # unknown /api/v2 paths answer an EEC 404 too
        routes.append(route(f"{api}/{{rest:path}}", ep("not_found", _not_found, ALL_METHODS, auth=False)))
    return routes


def _aux_routes(ep: Callable[..., Callable]) -> list[Route]:
    return [
        route(
            "/mvpd/{mvpd}/login",
            ep(
                "mvpd_login", authn.mvpd_login, ("GET", "POST"), auth=False, html_errors=True, throttled=False
            ),
        ),
        route(
            "/mvpd/{mvpd}/logout",
            ep("mvpd_logout", authn.mvpd_logout, ("GET",), auth=False, html_errors=True, throttled=False),
        ),
        route(
            "/landing/{page:path}",
            ep("landing", authn.landing, ("GET",), auth=False, html_errors=True, throttled=False),
        ),
        route(
            "/media-token/jwks.json",
            ep("media_token_jwks", decisions.media_token_jwks, ("GET",), auth=False, throttled=False),
        ),
    ]


def routes(state: ServerState) -> list[Route]:
    # The EEC 404 for unknown /api/v2 paths would shadow routes a later contract (partner_sso)
    # mounts under the same base, so it is left out only when that contract shares this base.
    s = state.base_settings[CONTRACT]
    partner = state.profile.get("partner_sso")
    shared = partner is not None and _path(partner.get("api_base_url", "/api/v2")) == s.api_base
    return api_routes(CONTRACT, s, catch_all=not shared)


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")
