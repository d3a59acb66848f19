"""Named faults: the one seam where the reference server is made to misbehave on purpose.

A fault breaks exactly one behaviour, so that the project's tests can show the suite notices.
It takes one of three forms, in this order of preference:

- ``reply=``: a transform of one endpoint's reply just before it is sent (dropping a header,
  answering 202 where 204 is due, re-signing an id_token with a wrong issuer). The endpoint is a
  checked constant (``reference_server.endpoint.Endpoints``): a misspelt one fails at import.
- ``deviate=``: switches of the contract's ``Deviations``, for what a reply cannot fake (throttling,
  expiry, single use, state kept between requests). A clean server runs with every switch off; they
  live apart from ``Settings`` so that settings stay what a real deployment configures.
- ``configure=``: a deployment setting set wrongly (a brute-force limit of 0, a lifetime).

Each contract declares its faults in its own module in this package.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reference_server.endpoint import DECLARED, EndpointName
from reference_server.reply import Reply

ReplyTransform = Callable[[Reply, Any], None]  # (reply, server state) -> reshapes the reply in place

CONTRACTS = ("ott_idp", "device_signon", "platform_sso", "partner_sso")


@dataclass(frozen=True)
class Fault:
    name: str
    contract: str
    targets: tuple[str, ...]
    description: str
    deviate: dict[str, Any] = field(default_factory=dict)
    configure: dict[str, Any] = field(default_factory=dict)
    endpoint: EndpointName | None = None
    reply: ReplyTransform | None = None


REGISTRY: dict[str, Fault] = {}


def register(
    name: str,
    contract: str,
    targets: Iterable[str],
    description: str,
    *,
    deviate: dict[str, Any] | None = None,
    configure: dict[str, Any] | None = None,
    endpoint: EndpointName | None = None,
    reply: ReplyTransform | None = None,
) -> Fault:
    if name in REGISTRY:
        raise ValueError(f"fault {name!r} registered twice")
    if sum(bool(x) for x in (deviate, configure, reply)) != 1:
        raise ValueError(f"fault {name!r} needs exactly one of reply=, deviate= or configure=")
    if reply is not None:
        if not isinstance(endpoint, EndpointName) or str(endpoint) not in DECLARED:
            raise ValueError(f"fault {name!r}: reply= needs a declared endpoint constant, got {endpoint!r}")
        if endpoint.contract != contract:
            raise ValueError(f"fault {name!r} of {contract} reshapes {endpoint}, another contract's endpoint")
    fault = Fault(
        name,
        contract,
        tuple(targets),
        description,
        dict(deviate or {}),
        dict(configure or {}),
        endpoint,
        reply,
    )
    REGISTRY[name] = fault
    return fault


class UnknownFault(ValueError):
    pass


_loaded = False


def load_contract_modules(package: str, registry: dict[str, Any], what: str) -> None:
    """Import ``package.<contract>`` for every contract (its entries register on import), then check
    that each entry's deviate=/configure= name real Deviations/Settings fields: a typo fails here.
    Shared by faults and conforming variants, which are registered the same way."""
    for contract in CONTRACTS:
        try:
            importlib.import_module(f"{package}.{contract}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{contract}":
                raise
    for entry in registry.values():
        module = importlib.import_module(f"reference_server.{entry.contract}")
        for kind, cls in (("deviate", getattr(module, "Deviations", None)), ("configure", module.Settings)):
            known = {f.name for f in dataclasses.fields(cls)} if cls is not None else set()
            unknown = sorted(set(getattr(entry, kind)) - known)
            if unknown:
                raise ValueError(f"{what} {entry.name!r}: {kind}= names unknown fields {unknown}")


def load_all() -> dict[str, Fault]:
    """Every contract's faults, loaded and checked once."""
    global _loaded
    if not _loaded:
        load_contract_modules("reference_server.faults", REGISTRY, "fault")
        _loaded = True
    return REGISTRY


def for_contract(contract: str | None = None) -> list[Fault]:
    return [f for f in load_all().values() if contract is None or f.contract == contract]


class ActiveFaults:
    """The faults switched on in one server; may change between runs (selftest)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.set(names)

    def set(self, names: Iterable[str]) -> None:
        registry = load_all()
        faults = []
        for name in names:
            if name not in registry:
                raise UnknownFault(f"unknown fault {name!r} (see `conformance faults`)")
            faults.append(registry[name])
        self._faults = faults

    @property
    def names(self) -> list[str]:
        return [f.name for f in self._faults]

    def _apply(self, contract: str, base: Any, kind: str) -> Any:
        overrides: dict[str, Any] = {}
        for f in self._faults:
            if f.contract == contract:
                overrides.update(getattr(f, kind))
        return dataclasses.replace(base, **overrides) if overrides else base

    def settings(self, contract: str, base: Any) -> Any:
        """The contract's settings with every active ``configure=`` fault applied."""
        return self._apply(contract, base, "configure")

    def deviations(self, contract: str, base: Any) -> Any:
        """The contract's deviations (all off when clean) with every active ``deviate=`` fault applied."""
        return self._apply(contract, base, "deviate")

    def shape(self, endpoint: EndpointName, reply: Reply, state: Any) -> Reply:
        for f in self._faults:
            if f.reply is not None and f.endpoint == endpoint:
                f.reply(reply, state)
        return reply
