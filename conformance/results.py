"""The result model: per-test records -> one status per requirement -> one verdict.

Each requirement ends as exactly one of PASS, FAIL, WARN, BLOCKED, SKIP, ERROR, and a single
function (:func:`verdict`) decides the run. The CLI, the HTML report, JUnit and results.json all
read what :func:`build` returns, so they cannot disagree.

- BLOCKED: not evaluated because the vendor broke a prerequisite, a requirement (``blocked_by``)
  that is FAIL or WARN in the same run. It is never ERROR; a blocked MUST counts for the verdict
  through its blocker (a FAIL makes the run NON-CONFORMANT anyway; a WARN leaves it PARTIAL).
  A requirement "blocked" by something that did not fail is harness trouble: ERROR, as before.
- SKIP also covers a requirement whose test was not awaited (its wait is longer than the run
  allows without --include-slow): ``not_awaited_s`` says how long it would have waited.

Verdicts: CONFORMANT, NON-CONFORMANT, PARTIAL (nothing proven wrong, but not every applicable
requirement was run: a test selection, a --contract subset, a MUST not awaited or blocked by a
SHOULD) and INCOMPLETE (harness, profile or network trouble, or nothing shown to hold).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree as ET

from conformance import __version__
from conformance.catalogue import Requirement, applies

SCHEMA_VERSION = "2.0"
STATUSES = ("FAIL", "ERROR", "BLOCKED", "WARN", "PASS", "SKIP")  # also the report's order: failures first
VERDICTS = ("CONFORMANT", "NON-CONFORMANT", "PARTIAL", "INCOMPLETE")
EXIT_CONFORMANT, EXIT_NON_CONFORMANT, EXIT_PREFLIGHT, EXIT_HARNESS = 0, 1, 2, 3
EXIT_PARTIAL = EXIT_HARNESS  # 3: not everything was shown (incomplete or partial); nothing proven wrong
NOT_AWAITED = "not awaited"  # the message prefix of a requirement whose wait was too long


@dataclass
class Check:
    requirement: str
    ok: bool
    message: str  # for a passed check, what was seen (the ``passed`` wording); else what is wrong


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
    blocker: str = ""  # the requirement the test stopped at (a fatal check's, or Blocked(by=...))
    unreached: dict[str, str] = field(default_factory=dict)  # req -> why the test could not check it
    blocked_by: dict[str, str] = field(default_factory=dict)  # req -> the vendor's failed prerequisite
    not_awaited: dict[str, list] = field(default_factory=dict)  # req -> [wait_s or None, why]
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
    blocked_by: str = ""  # BLOCKED: the requirement whose failure stopped this one
    not_awaited_s: float | None = None  # SKIP because not awaited: the wait it needs (None: unknown)
    not_awaited: bool = False


@dataclass
class RunResult:
    requirements: list[RequirementResult]
    tests: list[TestRecord]
    verdict: str
    counts: dict[str, int]
    harness_errors: list[str] = field(default_factory=list)
    partial: list[dict[str, str]] = field(default_factory=list)  # [{kind, reason}]: why not everything ran
    notes: list[str] = field(default_factory=list)


class Evaluation(NamedTuple):
    status: str  # BLOCKED here is provisional: build() keeps it only when the blocker failed
    message: str
    blocked_by: str = ""
    not_awaited_s: float | None = None
    not_awaited: bool = False


def _test_name(rec: TestRecord) -> str:
    return rec.nodeid.split("::")[-1]


def _why_stopped(rec: TestRecord) -> str:
    return f"{_test_name(rec)} stopped at {rec.stopped_by}" if rec.stopped_by else f"{_test_name(rec)} failed"


def _cut_short(rec: TestRecord) -> bool:
    """The test did not run to its end: it crashed, a fatal check stopped it, or it failed with no
    failed check to explain it. A test that ran to its end and failed only on other requirements'
    checks (a WARN beside a MUST, say) is no reason to doubt the checks that passed."""
    return bool(rec.error or rec.stopped_by or not any(not c.ok for c in rec.checks))


def evaluate(req: Requirement, level: str, records: list[TestRecord]) -> Evaluation:
    """The status of one applicable requirement from the tests that declared it.

    A requirement whose test was cut short (crash, fatal stop) is never PASS, even when its own
    checks passed: they may not all have run (another requirement's FAIL makes it BLOCKED by that
    one). A test that ran to its end and failed only on other requirements leaves this one PASS."""
    if not records:
        reason = req.untestable or "no test checks this requirement yet"
        return Evaluation("SKIP", f"not tested: {reason}")
    violations, errors, unevaluated, blocked, waits, passes, skips = [], [], [], [], [], [], []
    for rec in records:
        mine = [c for c in rec.checks if c.requirement == req.id]
        failed = [c for c in mine if not c.ok]
        if failed:
            violations.append(failed[0].message)
        elif req.id in rec.not_awaited:
            wait, why = (list(rec.not_awaited[req.id]) + [None, ""])[:2]
            waits.append((None if wait is None else float(wait), why or "its wait is too long"))
        elif rec.blocked_by.get(req.id):
            why = rec.unreached.get(req.id) or _why_stopped(rec)
            blocked.append((rec.blocked_by[req.id], why))
        elif req.id in rec.unreached:
            unevaluated.append(f"not evaluated: {rec.unreached[req.id]}")
        elif mine and rec.outcome in ("failed", "error") and _cut_short(rec):
            # Guard: its own checks passed, but the test crashed or stopped before it ended, so
            # checks of this requirement may never have run; that is no evidence of a pass.
            seen = f"(its own check passed: {mine[-1].message})"
            others = [c for c in rec.checks if not c.ok and c.requirement != req.id]
            if rec.error:
                errors.append(f"{rec.error} {seen}")
            elif others:
                first = others[0]
                blocked.append(
                    (
                        first.requirement,
                        f"{_test_name(rec)} failed at {first.requirement}: {first.message} {seen}",
                    )
                )
            elif rec.blocker and rec.blocker != req.id:
                blocked.append((rec.blocker, f"{_why_stopped(rec)} {seen}"))
            else:
                unevaluated.append(f"not evaluated: {_why_stopped(rec)} {seen}")
        elif mine:
            passes.append(mine[-1].message)
        elif rec.outcome == "skipped":
            skips.append(rec.skip_reason or "skipped")
        elif rec.error:
            errors.append(rec.error)
        elif rec.stopped_by:
            unevaluated.append(f"not evaluated: {_why_stopped(rec)}")
        else:
            errors.append(f"suite defect: {rec.nodeid} declares {req.id} but never checked it")
    if violations:
        return Evaluation("FAIL" if level == "MUST" else "WARN", violations[0])
    if errors:
        return Evaluation("ERROR", errors[0])
    if unevaluated:
        # Stopped with no known blocker: harness trouble until shown otherwise. For the verdict it
        # weighs like an ERROR (the run is not complete); the message says what stood in the way.
        return Evaluation("ERROR", unevaluated[0])
    if blocked:
        by, why = blocked[0]
        return Evaluation("BLOCKED", f"blocked by {by}: {why}", blocked_by=by)
    if waits:
        known = [w for w, _ in waits if w is not None]
        wait = max(known) if known else None
        how_long = f"a wait of {wait:g} s" if wait is not None else "a long wait"
        why = waits[0][1]
        return Evaluation(
            "SKIP",
            f"{NOT_AWAITED}: needs {how_long} ({why}); run with --include-slow to judge it",
            not_awaited_s=wait,
            not_awaited=True,
        )
    if passes:
        return Evaluation("PASS", passes[0])
    return Evaluation("SKIP", skips[0])


def _root_blocker(rid: str, by_id: dict[str, RequirementResult]) -> RequirementResult | None:
    """Follow blocked_by to the first requirement that is not BLOCKED (None: a cycle or unknown)."""
    seen = {rid}
    current = by_id[rid]
    while current.status == "BLOCKED":
        nxt = current.blocked_by
        if nxt in seen or nxt not in by_id:
            return None
        seen.add(nxt)
        current = by_id[nxt]
    return current


def _resolve_blocked(results: list[RequirementResult]) -> None:
    """Keep BLOCKED only where the chain of blockers ends at a FAIL or WARN; else harness trouble."""
    by_id = {r.requirement.id: r for r in results}
    roots = {
        r.requirement.id: _root_blocker(r.requirement.id, by_id) for r in results if r.status == "BLOCKED"
    }
    for rid, root in roots.items():
        r = by_id[rid]
        if root is not None and root.status in ("FAIL", "WARN"):
            continue
        if r.blocked_by not in by_id:
            what = "is not part of this run"
        elif root is None:
            what = "is blocked in a circle"
        elif root.requirement.id == r.blocked_by:
            what = f"is {root.status}"
        else:
            what = f"is blocked in turn by {root.requirement.id}, {root.status}"
        why = r.message.removeprefix(f"blocked by {r.blocked_by}: ")
        r.status = "ERROR"
        r.message = f"not evaluated: {why} (blocked by {r.blocked_by}, which {what}: not the vendor's fault)"
        r.blocked_by = ""


def build(
    requirements: list[Requirement],
    records: list[TestRecord],
    features: dict[str, dict[str, Any]],
    claimed: dict[str, set[str] | str],
    harness_errors: list[str] | None = None,
    selection: list[dict[str, str]] | None = None,
) -> RunResult:
    """Aggregate test records into requirement results for the given catalogue entries.

    ``features`` and ``claimed`` are per contract (``claimed`` is ``"*"`` or a set of ids).
    ``selection`` says why not every test of the run's contracts ran ([{kind, reason}], from the
    plugin: -k, deselection, node ids, --contract); it makes the run PARTIAL.
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
        ev = evaluate(req, level, recs)
        results.append(
            RequirementResult(
                req, level, ev.status, ev.message, recs, ev.blocked_by, ev.not_awaited_s, ev.not_awaited
            )
        )
    _resolve_blocked(results)
    harness = harness_errors or []
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    partial = partial_reasons(results, selection)
    return RunResult(
        results,
        records,
        verdict(results, harness, selection),
        counts,
        harness,
        partial,
        notes(results),
    )


def partial_reasons(
    results: list[RequirementResult], selection: list[dict[str, str]] | None = None
) -> list[dict[str, str]]:
    """Why the run did not show every applicable requirement: the selection the plugin saw, every
    applicable MUST not awaited, and every MUST blocked by a requirement that is only a WARN."""
    reasons = list(selection or [])
    musts = [r for r in results if r.level == "MUST"]
    waited = [r for r in musts if r.not_awaited and r.status == "SKIP"]
    if waited:
        ids = ", ".join(r.requirement.id for r in waited)
        reasons.append(
            {
                "kind": "not_awaited",
                "reason": f"{len(waited)} applicable MUST(s) not awaited: {ids} "
                f"({_include_slow_cost(waited)})",
            }
        )
    by_id = {r.requirement.id: r for r in results}
    for r in musts:
        if r.status != "BLOCKED":
            continue
        root = _root_blocker(r.requirement.id, by_id)
        if root is not None and root.status != "FAIL":
            reasons.append(
                {
                    "kind": "blocked",
                    "reason": f"MUST {r.requirement.id} was not evaluated: blocked by {r.blocked_by} "
                    f"(a {root.level} the vendor did not meet: {root.requirement.id} {root.status})",
                }
            )
    return reasons


def _include_slow_cost(waited: list[RequirementResult]) -> str:
    known = [r.not_awaited_s for r in waited if r.not_awaited_s is not None]
    if not known:
        return "--include-slow awaits them; how long is not known"
    longest, total = max(known), sum(known)
    unknown = " and the waits not stated" if len(known) < len(waited) else ""
    overlap = f"; the waits overlap, so the longest, not their sum of {total:g} s" if len(known) > 1 else ""
    return f"--include-slow awaits them: about {longest:g} s more{unknown}{overlap}"


def notes(results: list[RequirementResult]) -> list[str]:
    """What a reader should know beside the verdict: requirements not awaited, requirements blocked."""
    out = []
    waited = [r for r in results if r.not_awaited and r.status == "SKIP"]
    if waited:
        each = ", ".join(
            f"{r.requirement.id} [{r.level}] ({'?' if r.not_awaited_s is None else f'{r.not_awaited_s:g} s'})"
            for r in waited
        )
        out.append(
            f"not awaited (their waits exceed the default limit): {each}; {_include_slow_cost(waited)}"
        )
    blocked = [r for r in results if r.status == "BLOCKED"]
    if blocked:
        each = ", ".join(f"{r.requirement.id} (by {r.blocked_by})" for r in blocked)
        out.append(f"{len(blocked)} requirement(s) BLOCKED by a prerequisite the vendor did not meet: {each}")
    return out


def verdict(
    results: list[RequirementResult],
    harness_errors: list[str] | None = None,
    selection: list[dict[str, str]] | None = None,
) -> str:
    """The one verdict function: CONFORMANT, NON-CONFORMANT, PARTIAL or INCOMPLETE.

    NON-CONFORMANT: a MUST failed (a MUST BLOCKED by a chain ending at a failed MUST counts here
    through that MUST).
    INCOMPLETE: harness trouble (a harness error, a MUST in ERROR), or nothing shown to hold.
    PARTIAL: nothing proven wrong, but not every applicable requirement was run or evaluated
    (``selection``, a MUST not awaited, a MUST blocked by a SHOULD). Never CONFORMANT.
    """
    musts = [r for r in results if r.level == "MUST"]
    if any(r.status == "FAIL" for r in musts):
        return "NON-CONFORMANT"
    # A BLOCKED MUST counts through its blocker: when the chain ends at a FAIL, that FAIL (a MUST)
    # has made the run NON-CONFORMANT above; at a WARN, partial_reasons() makes it PARTIAL.
    by_id = {r.requirement.id: r for r in results}
    roots = [_root_blocker(r.requirement.id, by_id) for r in musts if r.status == "BLOCKED"]
    if harness_errors or any(r.status == "ERROR" for r in musts):
        return "INCOMPLETE"
    if any(root is None for root in roots):
        return "INCOMPLETE"  # blocked by nothing known (build() makes that an ERROR): harness trouble
    if partial_reasons(results, selection):
        return "PARTIAL"
    if not any(r.status == "PASS" for r in results):
        return "INCOMPLETE"  # nothing was shown to hold: never call an empty run conformant
    return "CONFORMANT"


def exit_code(run: RunResult) -> int:
    return {
        "CONFORMANT": EXIT_CONFORMANT,
        "NON-CONFORMANT": EXIT_NON_CONFORMANT,
        "PARTIAL": EXIT_PARTIAL,
    }.get(run.verdict, EXIT_HARNESS)


def to_json(run: RunResult, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "suite_version": __version__,
        "verdict": run.verdict,
        **meta,  # started_at, finished_at, profile {name, sha256}, target, contracts, faults
        "counts": run.counts,
        "harness_errors": run.harness_errors,
        "partial": run.partial,
        "notes": run.notes,
        "requirements": [
            {
                "id": r.requirement.id,
                "contract": r.requirement.contract,
                "level": r.level,
                "catalogue_level": r.requirement.level,
                "spec_status": r.requirement.status,
                "status": r.status,
                "message": r.message,
                "blocked_by": r.blocked_by or None,
                "not_awaited_s": r.not_awaited_s if r.not_awaited else None,
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


def _cleaned(node: Any, clean: Callable[[str], str]) -> Any:
    """Every string of a JSON-like tree passed through ``clean`` (keys are the suite's own names)."""
    if isinstance(node, str):
        return clean(node)
    if isinstance(node, dict):
        return {k: _cleaned(v, clean) for k, v in node.items()}
    if isinstance(node, list):
        return [_cleaned(v, clean) for v in node]
    return node


def _unchanged(text: str) -> str:
    return text


def write_json(
    path: Path, run: RunResult, meta: dict[str, Any], clean: Callable[[str], str] = _unchanged
) -> None:
    """``clean`` is the run's last redaction pass (a value learnt late may sit in an earlier message)."""
    data = _cleaned(to_json(run, meta), clean)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def junit_tree(run: RunResult) -> ET.Element:
    """One testcase per requirement (what CI gates on), grouped in a testsuite per contract.

    FAIL is a <failure>, ERROR an <error>; BLOCKED and SKIP are <skipped> whose message names the
    blocker ("BLOCKED by OTT-TOKEN-001: ...") or the reason; a PASS or WARN says what was seen in
    <system-out>. Every testsuite carries the run's verdict, partial reasons and notes as properties.
    """
    root = ET.Element("testsuites", name="ott-conformance", tests=str(len(run.requirements)))
    suites: dict[str, ET.Element] = {}
    for r in run.requirements:
        contract = r.requirement.contract
        if contract not in suites:
            suites[contract] = ET.SubElement(root, "testsuite", name=contract)
            props = ET.SubElement(suites[contract], "properties")
            ET.SubElement(props, "property", name="verdict", value=run.verdict)
            ET.SubElement(props, "property", name="schema_version", value=SCHEMA_VERSION)
            for p in run.partial:
                ET.SubElement(props, "property", name=f"partial.{p['kind']}", value=p["reason"])
            for n in run.notes:
                ET.SubElement(props, "property", name="note", value=n)
        duration = sum(t.duration_s for t in r.tests)
        case = ET.SubElement(
            suites[contract], "testcase", classname=contract, name=r.requirement.id, time=f"{duration:.3f}"
        )
        text = f"[{r.level}] {r.requirement.text} -- {r.message}"
        if r.status == "FAIL":
            ET.SubElement(case, "failure", message=r.message).text = text
        elif r.status == "ERROR":
            ET.SubElement(case, "error", message=r.message).text = text
        elif r.status == "BLOCKED":
            ET.SubElement(case, "skipped", message=f"BLOCKED by {r.blocked_by}: {r.message}")
            ET.SubElement(case, "system-out").text = f"BLOCKED by {r.blocked_by} {text}"
        elif r.status == "SKIP":
            ET.SubElement(case, "skipped", message=r.message)
        elif r.status == "WARN":
            ET.SubElement(case, "system-out").text = "WARN " + text
        elif r.status == "PASS":
            ET.SubElement(case, "system-out").text = "PASS " + text
    for suite in suites.values():
        cases = [c for c in suite if c.tag == "testcase"]
        suite.set("tests", str(len(cases)))
        for tag, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            suite.set(attr, str(sum(1 for c in cases if c.find(tag) is not None)))
    return root


def write_junit(path: Path, run: RunResult, clean: Callable[[str], str] = _unchanged) -> None:
    root = junit_tree(run)
    for element in root.iter():  # the same last redaction pass as results.json and report.html
        if element.text:
            element.text = clean(element.text)
        for name, value in element.attrib.items():
            element.set(name, clean(value))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


# The fuzz section (`conformance fuzz`, `conformance run --fuzz`): Schemathesis findings beside the
# requirement verdicts. It never changes the verdict; each finding names the requirement it bears on.
FUZZ_KEY = "fuzz"


def add_fuzz(path: Path, fuzz: dict[str, Any]) -> None:
    """Put the fuzz section (conformance.fuzz.FuzzResult.to_json()) into an existing results.json."""
    data = json.loads(path.read_text())
    data[FUZZ_KEY] = fuzz
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def write_fuzz_json(path: Path, fuzz: dict[str, Any], meta: dict[str, Any]) -> None:
    """results.json of a fuzz-only run (`conformance fuzz`): no requirement was judged, so it has no
    verdict and no requirements; ``kind`` says so."""
    data = {"schema_version": SCHEMA_VERSION, "suite_version": __version__, "kind": "fuzz", **meta}
    data[FUZZ_KEY] = fuzz
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
