"""Named faults: the one seam where the reference server is made to misbehave on purpose.

A fault breaks exactly one behaviour, so that the project's tests can show the suite notices.
It does so in one of two ways, both applied here and nowhere else:

- ``settings``: overrides of a contract's settings (the same knobs an operator could turn),
  e.g. switching off the brute-force limit;
- ``reply``: a transform of one endpoint's reply just before it is sent, e.g. dropping a header
  or re-signing an id_token with a wrong issuer.

Each contract declares its faults in its own module in this package.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """What a handler wants to send; faults may reshape it before it becomes a Response."""

    status: int
    body: Any = None  # dict/list -> JSON, str -> text/html, bytes -> raw, None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = None


ReplyTransform = Callable[[Reply, Any], None]  # (reply, server state) -> mutates reply


@dataclass(frozen=True)
class Fault:
    name: str
    contract: str
    targets: tuple[str, ...]
    description: str
    settings: dict[str, Any] = field(default_factory=dict)
    endpoint: str | None = None
    reply: ReplyTransform | None = None


REGISTRY: dict[str, Fault] = {}


def register(
    name: str,
    contract: str,
    targets: Iterable[str],
    description: str,
    *,
    settings: dict[str, Any] | None = None,
    endpoint: str | None = None,
    reply: ReplyTransform | None = None,
) -> Fault:
    if name in REGISTRY:
        raise ValueError(f"fault {name!r} registered twice")
    if (reply is None) == (not settings):
        raise ValueError(f"fault {name!r} needs exactly one of settings= or reply=")
    if reply is not None and endpoint is None:
        raise ValueError(f"fault {name!r}: a reply transform needs its endpoint")
    fault = Fault(name, contract, tuple(targets), description, dict(settings or {}), endpoint, reply)
    REGISTRY[name] = fault
    return fault


class UnknownFault(ValueError):
    pass


def load_all() -> dict[str, Fault]:
    """Import every contract's fault module (they register on import)."""
    from reference_server.faults import ott_idp  # noqa: F401

    for optional in ("device_signon", "platform_sso", "partner_sso"):
        try:
            __import__(f"reference_server.faults.{optional}")
        except ModuleNotFoundError as exc:
            if exc.name != f"reference_server.faults.{optional}":
                raise
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

    def settings(self, contract: str, base: Any) -> Any:
        """The contract's settings with every active fault's overrides applied."""
        overrides: dict[str, Any] = {}
        for f in self._faults:
            if f.contract == contract and f.settings:
                overrides.update(f.settings)
        return dataclasses.replace(base, **overrides) if overrides else base

    def shape(self, endpoint: str, reply: Reply, state: Any) -> Reply:
        for f in self._faults:
            if f.reply is not None and f.endpoint == endpoint:
                f.reply(reply, state)
        return reply
