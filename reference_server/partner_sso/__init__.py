"""`partner_sso`: Adobe Pass REST API v2 with Apple partner single sign-on (docs/partner_sso.md).

The platform_sso core (DCR, configuration, sessions, profiles, decisions, logout; it knows appleSSO
profiles and the ``AP-Partner-Framework-Status`` header) mounted under ``[partner_sso]``'s base URLs
with its own settings and faults, plus the two partner endpoints: Sessions Partner (the SAML
authentication request, or a fallback to the basic flow) and Profiles Partner (an appleSSO profile
from the MVPD's signed SAML response). Spec: ../shared/specs/adobe-pass-v2.md §2.7, §4.9, §4.10, §7.3.

Endpoint names (the fault seam): the core's names plus ``sessions_partner`` and ``profiles_partner``.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from reference_server.endpoint import route
from reference_server.partner_sso.profiles_partner import profiles_partner
from reference_server.partner_sso.sessions_partner import sessions_partner
from reference_server.platform_sso import Deviations, api_routes, endpoints_for
from reference_server.platform_sso import Settings as CoreSettings
from reference_server.platform_sso.authn import seed_accounts
from reference_server.platform_sso.context import endpoint
from reference_server.state import ServerState

__all__ = ["CONTRACT", "ENDPOINTS", "Deviations", "Settings", "routes", "seed"]

CONTRACT = "partner_sso"
ENDPOINTS = endpoints_for(CONTRACT, "sessions_partner", "profiles_partner")
DEVICE = {"device_id": "required", "device_info": "validate"}


class Settings(CoreSettings):
    """The REST API v2 settings, read from ``[partner_sso]`` and ``[reference_server.partner_sso]``."""

    @classmethod
    def from_profile(cls, profile: dict[str, Any], contract: str = CONTRACT) -> CoreSettings:
        return super().from_profile(profile, contract)


def seed(state: ServerState) -> None:
    """MVPD test accounts of ``[partner_sso]``, if any (platform_sso seeds its own)."""
    seed_accounts(state.store, state.section(CONTRACT).get("accounts", []))


def routes(state: ServerState) -> list[Route]:
    s = state.base_settings[CONTRACT]
    api = s.api_base
    partner_routes = [
        route(
            f"{api}/{{sp}}/sessions/sso/{{partner}}",
            endpoint(ENDPOINTS.sessions_partner, sessions_partner, ("POST",), pfs=True, **DEVICE),
        ),
        route(
            f"{api}/{{sp}}/profiles/sso/{{partner}}",
            endpoint(ENDPOINTS.profiles_partner, profiles_partner, ("POST",), pfs=True, **DEVICE),
        ),
    ]
    # The absolute routes (MVPD pages, landing, media-token JWKS) exist once: platform_sso's when served.
    return api_routes(CONTRACT, s, aux="platform_sso" not in state.profile, extra=partner_routes)
