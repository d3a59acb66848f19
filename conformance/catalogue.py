"""Requirements are data: one TOML catalogue per contract in conformance/catalogue/.

Each entry: ``id`` (stable), ``level`` (MUST/SHOULD/MAY), ``status`` (CONFIRMED, DOC-CONFLICT,
PROPOSED, INFERRED), ``source`` (document and section), optional ``url``, ``text`` (one line, our
words), ``applies_when`` (profile features that turn it on) and, for a MUST that cannot be
tested from outside, ``untestable`` (the written reason).

A ``source`` also names, in its closing parentheses, the numbered rules of the shared specs it
answers ("spec rule VTK-07", "spec adobe-pass-v2 §3.1, rule 1"); a spec rule that no requirement
answers carries its reason in ``catalogue/rule_reasons.toml`` instead (see spec_rules.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from conformance import resources

CATALOGUE_DIR = resources.catalogue_dir()
LEVELS = ("MUST", "SHOULD", "MAY")
STATUSES = ("CONFIRMED", "DOC-CONFLICT", "PROPOSED", "INFERRED")
CONTRACTS = ("ott_idp", "device_signon", "platform_sso", "partner_sso")


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class Requirement:
    id: str
    contract: str
    level: str
    status: str
    source: str
    text: str
    url: str = ""
    area: str = ""
    applies_when: tuple[str, ...] = ()
    untestable: str = ""

    def effective_level(self, claimed: bool) -> str:
        """PROPOSED and INFERRED rules never fail a vendor at MUST level unless it claims them."""
        if self.level == "MUST" and self.status in ("PROPOSED", "INFERRED") and not claimed:
            return "SHOULD"
        return self.level


@dataclass
class Catalogue:
    contract: str
    title: str
    requirements: dict[str, Requirement] = field(default_factory=dict)


def _parse(path: Path) -> Catalogue:
    data: dict[str, Any] = tomllib.loads(path.read_text())
    contract = data.get("contract", path.stem)
    cat = Catalogue(contract=contract, title=data.get("title", contract))
    for i, raw in enumerate(data.get("requirement", []), 1):
        where = f"{path.name} requirement #{i}"
        missing = [k for k in ("id", "level", "status", "source", "text") if not raw.get(k)]
        if missing:
            raise CatalogueError(f"{where}: missing {', '.join(missing)}")
        if raw["level"] not in LEVELS:
            raise CatalogueError(f"{where} ({raw['id']}): level must be one of {LEVELS}")
        if raw["status"] not in STATUSES:
            raise CatalogueError(f"{where} ({raw['id']}): status must be one of {STATUSES}")
        if raw["id"] in cat.requirements:
            raise CatalogueError(f"{where}: duplicate id {raw['id']}")
        unknown = set(raw) - {
            "id",
            "level",
            "status",
            "source",
            "text",
            "url",
            "area",
            "applies_when",
            "untestable",
        }
        if unknown:
            raise CatalogueError(f"{where} ({raw['id']}): unknown keys {sorted(unknown)}")
        cat.requirements[raw["id"]] = Requirement(
            contract=contract,
            applies_when=tuple(raw.get("applies_when", ())),
            **{k: v for k, v in raw.items() if k != "applies_when"},
        )
    return cat


@cache
def load(contract: str) -> Catalogue:
    path = CATALOGUE_DIR / f"{contract}.toml"
    if not path.exists():
        raise CatalogueError(f"no catalogue for contract {contract!r}")
    return _parse(path)


def available() -> list[str]:
    return [c for c in CONTRACTS if (CATALOGUE_DIR / f"{c}.toml").exists()]


def all_requirements(contracts: list[str] | None = None) -> dict[str, Requirement]:
    out: dict[str, Requirement] = {}
    for contract in contracts or available():
        out.update(load(contract).requirements)
    return out


def applies(req: Requirement, features: dict[str, Any]) -> tuple[bool, str]:
    """Whether the profile's features switch ``req`` on; else the reason it is skipped.

    ``applies_when`` entries are ``feature`` (must be truthy), ``feature=value`` (equal, or
    contained when the feature is a list) or ``!feature`` (must be falsy).
    """
    for cond in req.applies_when:
        if cond.startswith("!"):
            if features.get(cond[1:]):
                return False, f"profile has {cond[1:]}"
            continue
        name, _, want = cond.partition("=")
        have = features.get(name)
        if not want:
            ok = bool(have)
        elif isinstance(have, list):
            ok = want in have
        else:
            ok = str(have) == want
        if not ok:
            return False, f"profile does not claim {cond}"
    return True, ""
