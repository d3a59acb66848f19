"""What every contract module of the reference server shares: store, keys, faults, profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reference_server.endpoint import EndpointName
from reference_server.faults import ActiveFaults
from reference_server.keys import SigningKey
from reference_server.limits import Limits
from reference_server.reply import Reply
from reference_server.store import MemoryStore, Store
from reference_server.variants import ActiveVariants


@dataclass
class ServerState:
    public_url: str  # base URL clients reach us at; the OIDC issuer
    profile: dict[str, Any]  # the profile: contract sections (clients, accounts) + [reference_server]
    store: Store = field(default_factory=MemoryStore)
    key: SigningKey = field(default_factory=SigningKey.generate)
    faults: ActiveFaults = field(default_factory=ActiveFaults)
    variants: ActiveVariants = field(default_factory=ActiveVariants)  # conforming alternatives served
    base_settings: dict[str, Any] = field(default_factory=dict)  # contract -> Settings
    base_deviations: dict[str, Any] = field(default_factory=dict)  # contract -> Deviations (all off)
    limits: Limits = field(default_factory=Limits)  # what one client may send (reference_server/limits.py)

    def settings(self, contract: str) -> Any:
        """The contract's settings as configured, with active ``configure=`` faults applied."""
        return self.faults.settings(contract, self.base_settings[contract])

    def deviations(self, contract: str) -> Any:
        """The contract's deliberate deviations: none unless a ``deviate=`` fault is active."""
        base = self.base_deviations.get(contract)
        return None if base is None else self.faults.deviations(contract, base)

    def section(self, contract: str) -> dict[str, Any]:
        return self.profile.get(contract, {})

    def respond(self, endpoint: EndpointName, reply: Reply) -> Response:
        """The only way handlers answer: variants, then the fault seam, see every reply here."""
        return self.faults.shape(endpoint, self.variants.shape(endpoint, reply, self), self).render()


def state_of(request: Request) -> ServerState:
    return request.app.state.server
