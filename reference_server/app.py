"""Compose the reference server: one Starlette app serving every contract the profile names."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reference_server.faults import ActiveFaults
from reference_server.limits import BodyLimit, Limits
from reference_server.state import ServerState
from reference_server.store import MemoryStore, Store
from reference_server.variants import ActiveVariants

# contract key -> package; each has Settings.from_profile, Deviations, seed(state) and routes(state).
CONTRACT_MODULES = {
    "ott_idp": "reference_server.ott_idp",
    "device_signon": "reference_server.device_signon",
    "platform_sso": "reference_server.platform_sso",
    "partner_sso": "reference_server.partner_sso",
}


def available_contracts() -> list[str]:
    found = []
    for key, module in CONTRACT_MODULES.items():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        found.append(key)
    return found


def build_app(
    profile: dict[str, Any],
    public_url: str,
    faults: Iterable[str] = (),
    store: Store | None = None,
    variants: Iterable[str] = (),
    limits: Limits | None = None,
) -> Starlette:
    # Variants are part of what the server is: their profile, settings and deviations are its base.
    active = ActiveVariants(variants)
    profile = active.profile(profile)
    contracts = [c for c in available_contracts() if c in profile]
    modules = {c: importlib.import_module(CONTRACT_MODULES[c]) for c in contracts}
    state = ServerState(
        public_url=public_url.rstrip("/"),
        profile=profile,
        store=store or MemoryStore(),
        faults=ActiveFaults(faults),
        variants=active,
        base_settings={c: active.settings(c, m.Settings.from_profile(profile)) for c, m in modules.items()},
        base_deviations={
            c: active.deviations(c, m.Deviations()) for c, m in modules.items() if hasattr(m, "Deviations")
        },
        limits=limits or Limits(),
    )
    routes: list[Any] = [Route("/health", _health, methods=["GET"])]
    for module in modules.values():
        routes.extend(module.routes(state))
    # Inside Starlette's error middleware, so a body over the limit is a 413 and never its 500.
    body_limit = Middleware(BodyLimit, max_body_bytes=state.limits.max_body_bytes)
    app = Starlette(routes=routes, middleware=[body_limit])
    app.state.server = state
    app.state.reset = lambda: reset(state, modules.values())
    reset(state, modules.values())
    return app


def reset(state: ServerState, modules: Iterable[Any]) -> None:
    """Forget every flow and re-create the profile's clients and accounts."""
    state.store.clear()
    for module in modules:
        module.seed(state)


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})
