"""Named variants: conforming alternatives the reference server can serve, the twins of named faults.

Where the specs allow more than one behaviour (a MAY, a SHOULD, an OPTIONAL member, "either", a
DOC-CONFLICT or a PROPOSED choice), the reference server picks one; a variant serves another, so
that the project's tests can show the suite accepts it. Faults prove the suite catches what is
wrong; variants prove it accepts what is right.

A variant names the spec point it comes from and takes any of these forms:

- ``reply=``: transforms of endpoint replies just before they are sent (the faults' transforms,
  ``reference_server.faults.transforms``); ``every=`` applies one to every endpoint of the contract;
- ``configure=`` / ``deviate=``: overrides of the contract's ``Settings`` / ``Deviations``, for what a
  reply cannot fake (a code alphabet, a path);
- ``profile=``: changes to the profile the server *and* the suite read (endpoint URLs, features), for
  alternatives a vendor would describe in its profile.

Variants are fixed when a server is built (``build_app(..., variants=)``); unlike faults they are
not switched between runs, since ``configure=`` and ``profile=`` can move routes.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reference_server.endpoint import DECLARED, EndpointName
from reference_server.faults import ReplyTransform, load_contract_modules
from reference_server.reply import Reply

LATE = 100  # order of transforms that must see every other variant's change (re-serialising the body)


@dataclass(frozen=True)
class Variant:
    name: str
    contract: str
    spec: str  # the spec point that allows it: "RFC 7519 §4.1.3: aud may be an array"
    description: str
    replies: tuple[tuple[EndpointName, ReplyTransform], ...] = ()
    configure: dict[str, Any] = field(default_factory=dict)
    deviate: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)  # deep-merged into the profile
    excludes: tuple[str, ...] = ()  # variants it cannot be served together with
    order: int = 0  # transforms run by ascending order, then registration order

    @property
    def changes_replies(self) -> bool:
        return bool(self.replies)


REGISTRY: dict[str, Variant] = {}


class UnknownVariant(ValueError):
    pass


def endpoints_of(contract: str) -> list[EndpointName]:
    return [e for e in DECLARED.values() if e.contract == contract]


class Variants:
    """Declares one contract's variants; names are prefixed with the contract key."""

    def __init__(self, contract: str) -> None:
        self.contract = contract

    def add(
        self,
        name: str,
        spec: str,
        description: str,
        *,
        reply: dict[EndpointName, ReplyTransform] | None = None,
        every: ReplyTransform | None = None,
        configure: dict[str, Any] | None = None,
        deviate: dict[str, Any] | None = None,
        profile: dict[str, Any] | None = None,
        excludes: Iterable[str] = (),
        order: int = 0,
    ) -> Variant:
        full = f"{self.contract}.{name}"
        if full in REGISTRY:
            raise ValueError(f"variant {full!r} registered twice")
        replies = list((reply or {}).items())
        if every is not None:
            replies += [(e, every) for e in endpoints_of(self.contract)]
        for endpoint, _ in replies:
            if not isinstance(endpoint, EndpointName) or endpoint.contract != self.contract:
                raise ValueError(
                    f"variant {full!r} reshapes {endpoint!r}, not an endpoint of {self.contract}"
                )
        if not (replies or configure or deviate or profile):
            raise ValueError(f"variant {full!r} changes nothing")
        variant = Variant(
            full,
            self.contract,
            spec,
            description,
            tuple(replies),
            dict(configure or {}),
            dict(deviate or {}),
            dict(profile or {}),
            tuple(f"{self.contract}.{x}" for x in excludes),
            order,
        )
        REGISTRY[full] = variant
        return variant


_loaded = False


def load_all() -> dict[str, Variant]:
    """Every contract's variants, loaded and checked once (as faults are)."""
    global _loaded
    if _loaded:
        return REGISTRY
    load_contract_modules("reference_server.variants", REGISTRY, "variant")
    for v in REGISTRY.values():
        for other in v.excludes:
            if other not in REGISTRY:
                raise ValueError(f"variant {v.name!r} excludes unknown variant {other!r}")
    _loaded = True
    return REGISTRY


def for_contract(contract: str | None = None) -> list[Variant]:
    return [v for v in load_all().values() if contract is None or v.contract == contract]


def compatible_groups(variants: Iterable[Variant]) -> list[list[Variant]]:
    """Split variants into as few groups as possible that can be served together (first fit)."""
    groups: list[list[Variant]] = []
    for v in variants:
        for group in groups:
            if all(v.name not in g.excludes and g.name not in v.excludes for g in group):
                group.append(v)
                break
        else:
            groups.append([v])
    return groups


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``patch`` deep-merged into it (tables merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _snapshot(reply: Reply) -> tuple[Any, ...]:
    body = reply.body
    if isinstance(body, (dict, list)):
        body = json.dumps(body, sort_keys=False)
    return reply.status, body, sorted(reply.headers.items()), reply.media_type


class ActiveVariants:
    """The variants one server was built with. ``changed`` counts, per variant, the replies it
    really changed: the project's tests use it to prove a variant is not a no-op."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        registry = load_all()
        chosen = []
        for name in dict.fromkeys(names):
            if name not in registry:
                raise UnknownVariant(f"unknown variant {name!r} (see `conformance variants`)")
            chosen.append(registry[name])
        for v in chosen:
            clash = [o.name for o in chosen if o.name in v.excludes]
            if clash:
                raise UnknownVariant(f"variant {v.name!r} cannot be served together with {clash[0]!r}")
        self.variants = chosen
        self._transforms = sorted(
            ((v.order, i, v, e, fn) for i, v in enumerate(chosen) for e, fn in v.replies),
            key=lambda t: (t[0], t[1]),
        )
        self.changed: Counter[str] = Counter()
        self.scratch: dict[str, Any] = {}  # per-server resources of variants (a second signing key)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variants]

    def profile(self, data: dict[str, Any]) -> dict[str, Any]:
        """The profile with every variant's ``profile=`` changes (what server and suite both read)."""
        for v in self.variants:
            if v.profile:
                data = merge(data, v.profile)
        return data

    def _apply(self, contract: str, base: Any, kind: str) -> Any:
        overrides: dict[str, Any] = {}
        for v in self.variants:
            if v.contract == contract:
                overrides.update(getattr(v, kind))
        return dataclasses.replace(base, **overrides) if overrides else base

    def settings(self, contract: str, base: Any) -> Any:
        return self._apply(contract, base, "configure")

    def deviations(self, contract: str, base: Any) -> Any:
        return self._apply(contract, base, "deviate")

    def shape(self, endpoint: EndpointName, reply: Reply, state: Any) -> Reply:
        for _, _, variant, target, fn in self._transforms:
            if target != endpoint:
                continue
            before = _snapshot(reply)
            fn(reply, state)
            if _snapshot(reply) != before:
                self.changed[variant.name] += 1
        return reply


def patch_profile(data: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The profile a suite run against a server with these variants must read."""
    return ActiveVariants(names).profile(data)
