"""What every contract module of the reference server shares: store, keys, faults, profile."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reference_server.faults import ActiveFaults, Reply
from reference_server.keys import SigningKey
from reference_server.store import MemoryStore, Store


@dataclass
class ServerState:
    public_url: str  # base URL clients reach us at; the OIDC issuer
    profile: dict[str, Any]  # the profile: contract sections (clients, accounts) + [reference_server]
    store: Store = field(default_factory=MemoryStore)
    key: SigningKey = field(default_factory=SigningKey.generate)
    faults: ActiveFaults = field(default_factory=ActiveFaults)
    base_settings: dict[str, Any] = field(default_factory=dict)  # contract -> settings dataclass

    def settings(self, contract: str) -> Any:
        """The contract's settings as configured, with active faults' overrides applied."""
        return self.faults.settings(contract, self.base_settings[contract])

    def section(self, contract: str) -> dict[str, Any]:
        return self.profile.get(contract, {})

    def respond(self, endpoint: str, reply: Reply) -> Response:
        """The only way handlers answer: the fault seam sees every reply here."""
        reply = self.faults.shape(endpoint, reply, self)
        body, media_type = reply.body, reply.media_type
        if isinstance(body, (dict, list)):
            content = json.dumps(body, separators=(",", ":")).encode()
            media_type = media_type or "application/json"
        elif isinstance(body, str):
            content = body.encode()
            media_type = media_type or "text/html; charset=utf-8"
        else:
            content = body or b""
        return Response(content, status_code=reply.status, headers=reply.headers, media_type=media_type)


def state_of(request: Request) -> ServerState:
    return request.app.state.server
