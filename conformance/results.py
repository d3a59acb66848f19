"""The result model: per-test records -> one status per requirement -> one verdict.

PRODUCT.md, Result model: each requirement ends as exactly one of PASS, FAIL, WARN, SKIP, ERROR,
and a single function (:func:`verdict`) decides the run. The CLI, the HTML report, JUnit and
results.json all read what :func:`build` returns, so they cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from conformance import __version__
from conformance.catalogue import Requirement, applies

SCHEMA_VERSION = "1.0"
STATUSES = ("FAIL", "ERROR", "WARN", "PASS", "SKIP")  # also the report's order: failures first
EXIT_CONFORMANT, EXIT_NON_CONFORMANT, EXIT_PREFLIGHT, EXIT_HARNESS = 0, 1, 2, 3


@dataclass
class Check:
    requirement: str
    ok: bool
    message: str


@dataclass
class TestRecord:
    """What one test did, as sent from a worker to the controller (plain data only)."""

    nodeid: str
    contract: str
    requirements: list[str]
    outcome: str = "passed"  # passed | failed | skipped | error
    duration_s: float = 0.0
    checks: list[Check] = field(default_factory=list)
    error: str = ""  # harness trouble (HarnessError, crash): the reason, one line, redacted
    stopped_by: str = ""  # a fatal check that ended the test early: "REQ-ID: message"
    unreached: dict[str, str] = field(default_factory=dict)  # req -> why the test could not check it
    skip_reason: str = ""
    exchanges: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestRecord:
        data = dict(data)
        data["checks"] = [Check(**c) for c in data.get("checks", [])]
        return cls(**data)


@dataclass
class RequirementResult:
    requirement: Requirement
    level: str  # effective level for this profile (PROPOSED MUST -> SHOULD unless claimed)
    status: str
    message: str
    tests: list[TestRecord] = field(default_factory=list)


@dataclass
class RunResult:
    requirements: list[RequirementResult]
    tests: list[TestRecord]
    verdict: str
    counts: dict[str, int]
    harness_errors: list[str] = field(default_factory=list)


def evaluate(req: Requirement, level: str, records: list[TestRecord]) -> tuple[str, str]:
    """The status of one applicable requirement from the tests that declared it."""
    if not records:
        reason = req.untestable or "no test checks this requirement yet"
        return "SKIP", f"not tested: {reason}"
    violations, errors, blocked, passes, skips = [], [], [], [], []
    for rec in records:
        mine = [c for c in rec.checks if c.requirement == req.id]
        failed = [c for c in mine if not c.ok]
        if failed:
            violations.append(failed[0].message)
        elif mine:
            passes.append(mine[-1].message)
        elif req.id in rec.unreached:
            blocked.append(f"not evaluated: {rec.unreached[req.id]}")
        elif rec.outcome == "skipped":
            skips.append(rec.skip_reason or "skipped")
        elif rec.error:
            errors.append(rec.error)
        elif rec.stopped_by:
            blocked.append(f"not evaluated: {rec.nodeid.split('::')[-1]} stopped at {rec.stopped_by}")
        else:
            errors.append(f"suite defect: {rec.nodeid} declares {req.id} but never checked it")
    if violations:
        return ("FAIL" if level == "MUST" else "WARN"), violations[0]
    if errors:
        return "ERROR", errors[0]
    if blocked:
        # A requirement the suite could not reach is not a pass; for the verdict it weighs like an
        # ERROR (the run is not complete), and the message says what stood in the way.
        return "ERROR", blocked[0]
    if passes:
        return "PASS", passes[0]
    return "SKIP", skips[0]


def build(
    requirements: list[Requirement],
    records: list[TestRecord],
    features: dict[str, dict[str, Any]],
    claimed: dict[str, set[str] | str],
    harness_errors: list[str] | None = None,
) -> RunResult:
    """Aggregate test records into requirement results for the given catalogue entries.

    ``features`` and ``claimed`` are per contract (``claimed`` is ``"*"`` or a set of ids).
    """
    by_req: dict[str, list[TestRecord]] = {}
    for rec in records:
        for rid in rec.requirements:
            by_req.setdefault(rid, []).append(rec)
    results = []
    for req in requirements:
        claim = claimed.get(req.contract, set())
        level = req.effective_level(claim == "*" or req.id in claim)
        ok, why = applies(req, features.get(req.contract, {}))
        if not ok:
            results.append(RequirementResult(req, level, "SKIP", f"not applicable: {why}"))
            continue
        recs = by_req.get(req.id, [])
        status, message = evaluate(req, level, recs)
        results.append(RequirementResult(req, level, status, message, recs))
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    return RunResult(results, records, verdict(results, harness_errors or []), counts, harness_errors or [])


def verdict(results: list[RequirementResult], harness_errors: list[str] | None = None) -> str:
    """The one verdict function (PRODUCT.md): CONFORMANT, NON-CONFORMANT or INCOMPLETE."""
    musts = [r for r in results if r.level == "MUST"]
    if any(r.status == "FAIL" for r in musts):
        return "NON-CONFORMANT"
    if harness_errors or any(r.status == "ERROR" for r in musts):
        return "INCOMPLETE"
    if not any(r.status == "PASS" for r in results):
        return "INCOMPLETE"  # nothing was shown to hold: never call an empty run conformant
    return "CONFORMANT"


def exit_code(run: RunResult) -> int:
    return {"CONFORMANT": EXIT_CONFORMANT, "NON-CONFORMANT": EXIT_NON_CONFORMANT}.get(
        run.verdict, EXIT_HARNESS
    )


def to_json(run: RunResult, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "suite_version": __version__,
        "verdict": run.verdict,
        **meta,  # started_at, finished_at, profile {name, sha256}, target, contracts, faults
        "counts": run.counts,
        "harness_errors": run.harness_errors,
        "requirements": [
            {
                "id": r.requirement.id,
                "contract": r.requirement.contract,
                "level": r.level,
                "catalogue_level": r.requirement.level,
                "spec_status": r.requirement.status,
                "status": r.status,
                "message": r.message,
                "source": r.requirement.source,
                "tests": [
                    {"nodeid": t.nodeid, "outcome": t.outcome, "duration_s": round(t.duration_s, 4)}
                    for t in r.tests
                ],
            }
            for r in run.requirements
        ],
        "tests": [
            {**asdict(t), "duration_s": round(t.duration_s, 4)}
            for t in sorted(run.tests, key=lambda t: t.nodeid)
        ],
    }


def write_json(path: Path, run: RunResult, meta: dict[str, Any]) -> None:
    path.write_text(json.dumps(to_json(run, meta), indent=1, ensure_ascii=False) + "\n")


def write_junit(path: Path, run: RunResult) -> None:
    """One testcase per requirement (what CI gates on), grouped in a testsuite per contract."""
    root = ET.Element("testsuites", name="ott-conformance", tests=str(len(run.requirements)))
    suites: dict[str, ET.Element] = {}
    for r in run.requirements:
        contract = r.requirement.contract
        if contract not in suites:
            suites[contract] = ET.SubElement(root, "testsuite", name=contract)
        duration = sum(t.duration_s for t in r.tests)
        case = ET.SubElement(
            suites[contract], "testcase", classname=contract, name=r.requirement.id, time=f"{duration:.3f}"
        )
        text = f"[{r.level}] {r.requirement.text} -- {r.message}"
        if r.status == "FAIL":
            ET.SubElement(case, "failure", message=r.message).text = text
        elif r.status == "ERROR":
            ET.SubElement(case, "error", message=r.message).text = text
        elif r.status == "SKIP":
            ET.SubElement(case, "skipped", message=r.message)
        elif r.status == "WARN":
            ET.SubElement(case, "system-out").text = "WARN " + text
    for suite in suites.values():
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        for tag, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            suite.set(attr, str(sum(1 for c in cases if c.find(tag) is not None)))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
