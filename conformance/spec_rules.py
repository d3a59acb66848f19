"""The numbered rules of the shared specs, and what answers each: a requirement or a written reason.

The specs live in ``../shared/specs`` beside the repository, not inside it, so an installed copy of
the kit has none: then :func:`specs_dir` is None and the caller says so instead of failing. A spec's
rules are the ones listed under its "Conformance rules worth testing" heading, in one of two styles:
table rows whose first cell is an id such as ``VTK-07``, or a numbered list (``10. MUST: ...``) whose
ids are the bare numbers. A requirement answers a rule when its ``source`` cites it: ``rule VTK-07``
anywhere, or ``spec adobe-pass-v2 ..., rule 10`` (a bare number only counts after the spec's name,
since numbers alone are ambiguous). A rule that is not a requirement at all (out of the contracts'
scope, or a contract not built yet) carries its reason in ``catalogue/rule_reasons.toml``; a rule
that is a requirement but cannot be tested from outside carries it in the catalogue (``untestable``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from conformance import resources
from conformance.catalogue import Requirement

REASONS_FILE = resources.catalogue_dir() / "rule_reasons.toml"
RULES_HEADING = re.compile(r"^#{2,3} .*Conformance rules worth testing", re.IGNORECASE)
NAMED_ROW = re.compile(r"^\|\s*([A-Z][A-Z0-9]*-\d+)\s*\|")
NUMBERED_ITEM = re.compile(r"^(\d+)\.\s")
NAMED_ID = re.compile(r"\b[A-Z][A-Z0-9]*-\d+\b")
# "rule 10", "rules 16, 55", "rules 3 and 4", "rules 41–53" (a range)
NUMBER_LIST = re.compile(r"\brules? (\d+(?:\s*(?:,|and|–|-)\s*\d+)*)")


@dataclass(frozen=True)
class Spec:
    name: str  # the file stem, e.g. "device-and-ropc"
    rules: tuple[str, ...]  # in the order the spec lists them


def specs_dir() -> Path | None:
    """Where the shared specs are: $CONFORMANCE_SPECS, else ../shared/specs beside a checkout."""
    configured = os.environ.get("CONFORMANCE_SPECS")
    path = Path(configured) if configured else resources.PACKAGE.parent.parent / "shared" / "specs"
    return path if path.is_dir() else None


def parse(name: str, text: str) -> Spec:
    rules: list[str] = []
    inside = False
    level = 0
    for line in text.splitlines():
        heading = re.match(r"^(#+) ", line)
        if heading:
            if RULES_HEADING.match(line):
                inside, level = True, len(heading.group(1))
                continue
            if inside and len(heading.group(1)) <= level:
                inside = False
        if not inside:
            continue
        found = NAMED_ROW.match(line) or NUMBERED_ITEM.match(line)
        if found and found.group(1) not in rules:
            rules.append(found.group(1))
    return Spec(name, tuple(rules))


def load_specs(directory: Path) -> list[Spec]:
    return [parse(path.stem, path.read_text()) for path in sorted(directory.glob("*.md"))]


def _numbers(listed: str) -> set[str]:
    out: set[str] = set()
    for part in re.split(r"\s*(?:,|and)\s*", listed):
        low, _, high = re.sub(r"\s*[–-]\s*", "-", part.strip()).partition("-")
        out.update(str(n) for n in range(int(low), int(high or low) + 1))
    return out


def cited(spec: Spec, source: str) -> set[str]:
    """The rules of ``spec`` that one requirement ``source`` cites."""
    named = set(NAMED_ID.findall(source)) & set(spec.rules)
    numbered: set[str] = set()
    at = source.find(spec.name)
    if at >= 0:
        for listed in NUMBER_LIST.findall(source[at:]):
            numbered |= _numbers(listed)
    return named | (numbered & set(spec.rules))


def citations(spec: Spec, requirements: Iterable[Requirement]) -> dict[str, list[str]]:
    """Rule id -> the ids of the requirements whose source cites it."""
    out: dict[str, list[str]] = {rule: [] for rule in spec.rules}
    for req in requirements:
        for rule in cited(spec, req.source):
            out[rule].append(req.id)
    return out


def reasons(path: Path = REASONS_FILE) -> dict[tuple[str, str], str]:
    """(spec name, rule id) -> the written reason why no requirement cites it."""
    if not path.exists():
        return {}
    out: dict[tuple[str, str], str] = {}
    for entry in tomllib.loads(path.read_text()).get("reason", []):
        for rule in entry["rules"]:
            out[(entry["spec"], str(rule))] = entry["reason"]
    return out


@dataclass
class Coverage:
    spec: Spec
    cited: dict[str, list[str]]
    excused: dict[str, str]

    @property
    def uncovered(self) -> list[str]:
        return [r for r in self.spec.rules if not self.cited[r] and r not in self.excused]

    @property
    def needless_reasons(self) -> list[str]:
        """Rules a requirement now cites that still carry a reason: the reason can go."""
        return [r for r in self.spec.rules if self.cited[r] and r in self.excused]


def coverage(specs: list[Spec], requirements: list[Requirement]) -> list[Coverage]:
    why = reasons()
    return [
        Coverage(
            spec,
            citations(spec, requirements),
            {rule: text for (name, rule), text in why.items() if name == spec.name},
        )
        for spec in specs
    ]


def problems(specs: list[Spec], requirements: list[Requirement]) -> list[str]:
    """One line per spec rule with neither a requirement nor a reason, or a reason for no rule."""
    lines: list[str] = []
    known = {(s.name, r) for s in specs for r in s.rules}
    for name, rule in sorted(set(reasons()) - known):
        if any(s.name == name for s in specs):
            lines.append(f"{name} rule {rule}: a written reason for a rule the spec does not have")
    for cov in coverage(specs, requirements):
        for rule in cov.uncovered:
            lines.append(f"{cov.spec.name} rule {rule}: no requirement cites it and no written reason")
    return lines
