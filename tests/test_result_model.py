"""The result model with synthetic test records: BLOCKED, PARTIAL, not awaited, the pass guard,
passed wording, and the same facts in results.json, JUnit and the HTML report.

Everything here is pure (no server, no pytest run of the suite) except the static scan of the
suite's sources for ``passed=``.
"""

from __future__ import annotations

import ast
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conformance import results as R
from conformance.catalogue import Requirement
from conformance.checks import Blocked, Checker, CheckFailed, NotAwaited
from conformance.redact import Redactor
from conformance.results import Check
from conformance.results import TestRecord as Record

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "results.schema.json").read_text())


def _req(rid: str, level: str = "MUST", status: str = "CONFIRMED", **kw) -> Requirement:
    return Requirement(rid, "ott_idp", level, status, "spec §1", f"text of {rid}", **kw)


def _rec(name: str, reqs: list[str], *checks: tuple[str, bool, str], **kw) -> Record:
    rec = Record(f"ott_idp/test_x.py::{name}", "ott_idp", reqs, **kw)
    rec.checks = [Check(r, ok, m) for r, ok, m in checks]
    if any(not ok for _, ok, _ in checks) and "outcome" not in kw:
        rec.outcome = "failed"
    return rec


def _build(reqs: list[Requirement], records: list[Record], selection=None, harness=None) -> R.RunResult:
    return R.build(reqs, records, {"ott_idp": {}}, {"ott_idp": set()}, harness, selection)


def _status(run: R.RunResult) -> dict[str, str]:
    return {r.requirement.id: r.status for r in run.requirements}


def _one(run: R.RunResult, rid: str) -> R.RequirementResult:
    return next(r for r in run.requirements if r.requirement.id == rid)


META = {
    "started_at": "2026-01-01T00:00:00+00:00",
    "finished_at": "2026-01-01T00:00:01+00:00",
    "duration_s": 1.0,
    "profile": {"name": "synthetic", "sha256": "0" * 64},
    "target": "embedded reference server",
    "contracts": ["ott_idp"],
    "faults": [],
    "workers": 0,
}


# --- evaluate: one requirement's status -------------------------------------------------------


def test_pass_speaks_with_the_passed_wording():
    run = _build([_req("A")], [_rec("t", ["A"], ("A", True, "HTTP 200"))])
    assert _one(run, "A").status == "PASS" and _one(run, "A").message == "HTTP 200"
    assert run.verdict == "CONFORMANT" and R.exit_code(run) == 0


def test_failed_check_is_fail_for_a_must_and_warn_for_a_should():
    run = _build(
        [_req("A"), _req("B", "SHOULD")],
        [_rec("t", ["A", "B"], ("A", False, "bad A"), ("B", False, "bad B"))],
    )
    assert _status(run) == {"A": "FAIL", "B": "WARN"}
    assert _one(run, "A").message == "bad A"
    assert run.verdict == "NON-CONFORMANT" and R.exit_code(run) == 1


def test_a_pass_in_a_test_cut_short_at_another_requirement_is_blocked_by_it():
    # A fatal check on A stopped the test after B's first check: B's other checks never ran.
    rec = _rec(
        "t", ["A", "B"], ("B", True, "first half"), ("A", False, "locked out nobody"), stopped_by="A: x"
    )
    rec.blocker = "A"
    run = _build([_req("A"), _req("B")], [rec])
    b = _one(run, "B")
    assert b.status == "BLOCKED" and b.blocked_by == "A"
    assert "its own check passed: first half" in b.message


def test_a_pass_beside_a_non_fatal_failure_that_ran_to_the_end_stays_pass():
    # A WARN on a SHOULD (Pragma missing) in the same test must not block the MUSTs whose own
    # checks all ran and passed (the node-oidc-provider interop run was PARTIAL for this).
    rec = _rec("t", ["A", "B"], ("A", False, "Pragma missing"), ("B", True, "tokens issued"))
    run = _build([_req("A", level="SHOULD"), _req("B")], [rec])
    assert _one(run, "B").status == "PASS" and _one(run, "A").status == "WARN"
    assert run.verdict == "CONFORMANT"


def test_a_pass_in_a_test_that_crashed_is_error():
    rec = _rec("t", ["A"], ("A", True, "HTTP 200"), outcome="error", error="test crashed: KeyError: 'x'")
    run = _build([_req("A")], [rec])
    assert _one(run, "A").status == "ERROR" and "KeyError" in _one(run, "A").message
    assert run.verdict == "INCOMPLETE" and R.exit_code(run) == 3


def test_a_pass_in_a_test_that_failed_for_no_known_reason_is_not_evaluated():
    rec = _rec("t", ["A"], ("A", True, "HTTP 200"), outcome="failed")
    run = _build([_req("A")], [rec])
    assert _one(run, "A").status == "ERROR" and _one(run, "A").message.startswith("not evaluated")


def test_a_pass_in_a_test_stopped_by_a_blocker_is_blocked_by_it():
    rec = _rec("t", ["A", "B"], ("B", True, "HTTP 200"), outcome="failed")
    rec.stopped_by, rec.blocker = "precondition: no token", "A"
    rec.blocked_by = {"A": "Z"}  # irrelevant to B: B was checked, then the test stopped at A
    fail = _rec("u", ["Z", "A"], ("Z", False, "no sign-in"), ("A", False, "no token"))
    run = _build([_req("A"), _req("B"), _req("Z")], [rec, fail])
    assert _one(run, "B").status == "BLOCKED" and _one(run, "B").blocked_by == "A"


def test_skipped_passed_and_untested():
    run = _build(
        [_req("A"), _req("B"), _req("C", untestable="cannot be seen from outside")],
        [_rec("t", ["A"], ("A", True, "ok")), _rec("s", ["B"], outcome="skipped", skip_reason="no refresh")],
    )
    assert _status(run) == {"A": "PASS", "B": "SKIP", "C": "SKIP"}
    assert _one(run, "B").message == "no refresh"
    assert "cannot be seen from outside" in _one(run, "C").message


def test_declared_but_never_checked_is_a_suite_defect_error():
    run = _build([_req("A")], [_rec("t", ["A"])])
    assert _one(run, "A").status == "ERROR" and "suite defect" in _one(run, "A").message


def test_not_applicable_is_skip():
    req = _req("A", applies_when=("refresh_token",))
    run = _build([req, _req("B")], [_rec("t", ["B"], ("B", True, "ok"))])
    assert _one(run, "A").status == "SKIP" and _one(run, "A").message.startswith("not applicable")


# --- BLOCKED ----------------------------------------------------------------------------------


def _blocked_run(blocker_checks, blocker_level="MUST", by="A"):
    dep = _rec("dep", ["B"], outcome="failed", stopped_by="precondition: no token")
    dep.blocked_by, dep.blocker = {"B": by}, by
    own = _rec("own", ["A"], *blocker_checks)
    return _build([_req("A", blocker_level), _req("B")], [own, dep])


def test_blocked_by_a_failed_must_is_blocked_and_non_conformant_never_error():
    run = _blocked_run([("A", False, "no id_token")])
    b = _one(run, "B")
    assert b.status == "BLOCKED" and b.blocked_by == "A"
    assert b.message.startswith("blocked by A: dep stopped at precondition: no token")
    assert run.counts["BLOCKED"] == 1 and run.counts["ERROR"] == 0
    assert run.verdict == "NON-CONFORMANT" and R.exit_code(run) == 1
    assert any("B (by A)" in n for n in run.notes)


def test_must_blocked_by_a_should_that_warned_is_partial():
    run = _blocked_run([("A", False, "no Pragma")], blocker_level="SHOULD")
    assert _status(run) == {"A": "WARN", "B": "BLOCKED"}
    assert run.verdict == "PARTIAL" and R.exit_code(run) == 3
    assert [p["kind"] for p in run.partial] == ["blocked"]
    assert "MUST B" in run.partial[0]["reason"] and "A WARN" in run.partial[0]["reason"]


def test_blocked_by_a_requirement_that_passed_is_harness_trouble():
    run = _blocked_run([("A", True, "HTTP 200")])
    b = _one(run, "B")
    assert b.status == "ERROR" and b.blocked_by == ""
    assert b.message.startswith("not evaluated: dep stopped at precondition: no token")
    assert "which is PASS" in b.message
    assert run.verdict == "INCOMPLETE"


def test_blocked_by_a_requirement_not_in_the_run_or_in_a_circle_is_error():
    run = _blocked_run([("A", True, "ok")], by="NOT-HERE")
    assert _one(run, "B").status == "ERROR" and "not part of this run" in _one(run, "B").message
    x = _rec("x", ["X"], outcome="failed", blocked_by={"X": "Y"})
    y = _rec("y", ["Y"], outcome="failed", blocked_by={"Y": "X"})
    run = _build([_req("X"), _req("Y")], [x, y])
    assert _status(run) == {"X": "ERROR", "Y": "ERROR"}
    assert "circle" in _one(run, "X").message


def test_blocked_chains_end_at_the_failed_requirement():
    c = _rec("c", ["C"], ("C", False, "no sign-in"))
    b = _rec("b", ["B"], outcome="failed", blocked_by={"B": "C"})
    a = _rec("a", ["A"], outcome="failed", blocked_by={"A": "B"})
    run = _build([_req("A"), _req("B"), _req("C")], [a, b, c])
    assert _status(run) == {"A": "BLOCKED", "B": "BLOCKED", "C": "FAIL"}
    assert _one(run, "A").blocked_by == "B"
    # A chain that ends at a PASS is harness trouble all along.
    c_ok = _rec("c", ["C"], ("C", True, "signed in"))
    run = _build([_req("A"), _req("B"), _req("C")], [a, b, c_ok])
    assert _status(run) == {"A": "ERROR", "B": "ERROR", "C": "PASS"}
    assert "blocked in turn by C, PASS" in _one(run, "A").message


def test_unreached_without_a_blocker_stays_error():
    rec = _rec("t", ["A", "B"], ("A", True, "ok"), unreached={"B": "no id_token to verify"})
    run = _build([_req("A"), _req("B")], [rec])
    assert _one(run, "B").status == "ERROR"
    assert _one(run, "B").message == "not evaluated: no id_token to verify"
    stopped = _rec("t", ["A"], outcome="failed", stopped_by="precondition: the profile has no key")
    run = _build([_req("A")], [stopped])
    assert _one(run, "A").status == "ERROR" and "the profile has no key" in _one(run, "A").message


def test_a_violation_wins_over_blocked_and_blocked_over_pass():
    own = _rec("own", ["A"], ("A", False, "bad"))
    b1 = _rec("b1", ["B"], ("B", True, "fine"))
    b2 = _rec("b2", ["B"], outcome="failed", blocked_by={"B": "A"})
    b3 = _rec("b3", ["B"], ("B", False, "broken too"))
    run = _build([_req("A"), _req("B")], [own, b1, b2])
    assert _one(run, "B").status == "BLOCKED"
    run = _build([_req("A"), _req("B")], [own, b1, b2, b3])
    assert _one(run, "B").status == "FAIL" and _one(run, "B").message == "broken too"


# --- not awaited and PARTIAL ------------------------------------------------------------------


def test_not_awaited_musts_are_skip_and_make_the_run_partial_at_the_longest_wait():
    recs = [
        _rec("ok", ["P"], ("P", True, "ok")),
        _rec("w1", ["A"], outcome="skipped", not_awaited={"A": [630.0, "code expiry"]}),
        _rec("w2", ["B"], outcome="skipped", not_awaited={"B": [120.0, "token expiry"]}),
        _rec("w3", ["S"], outcome="skipped", not_awaited={"S": [900.0, "interval"]}),
    ]
    run = _build([_req("P"), _req("A"), _req("B"), _req("S", "SHOULD")], recs)
    a = _one(run, "A")
    assert a.status == "SKIP" and a.not_awaited_s == 630.0
    assert a.message.startswith("not awaited: needs a wait of 630 s (code expiry)")
    assert "--include-slow" in a.message
    assert run.verdict == "PARTIAL" and R.exit_code(run) == 3
    [reason] = run.partial
    assert reason["kind"] == "not_awaited" and "not awaited: A, B (" in reason["reason"]
    assert "about 630 s" in reason["reason"] and "not their sum of 750 s" in reason["reason"]
    [note] = [n for n in run.notes if n.startswith("not awaited")]
    assert "A [MUST] (630 s)" in note and "S [SHOULD] (900 s)" in note and "about 900 s" in note


def test_a_should_not_awaited_alone_leaves_the_run_conformant_with_a_note():
    recs = [
        _rec("ok", ["P"], ("P", True, "ok")),
        _rec("w", ["S"], outcome="skipped", not_awaited={"S": [None, "cooldown"]}),
    ]
    run = _build([_req("P"), _req("S", "SHOULD")], recs)
    assert run.verdict == "CONFORMANT" and not run.partial
    assert _one(run, "S").message.startswith("not awaited: needs a long wait (cooldown)")
    assert any("how long is not known" in n for n in run.notes)


def test_not_awaited_wins_over_a_pass_of_the_same_requirement():
    rec = _rec("t", ["A"], ("A", True, "locked"), not_awaited={"A": [60.0, "cooldown of 60s"]})
    run = _build([_req("A")], [rec])
    assert _one(run, "A").status == "SKIP" and run.verdict == "PARTIAL"


@pytest.mark.parametrize("kind", ["contracts", "selection", "deselected", "not_run"])
def test_a_selection_makes_a_clean_run_partial(kind):
    selection = [{"kind": kind, "reason": f"because {kind}"}]
    run = _build([_req("A")], [_rec("t", ["A"], ("A", True, "ok"))], selection=selection)
    assert run.verdict == "PARTIAL" and run.partial == selection and R.exit_code(run) == 3


def test_non_conformant_wins_over_partial_and_incomplete_over_partial():
    selection = [{"kind": "deselected", "reason": "3 tests deselected"}]
    failed = [_rec("t", ["A"], ("A", False, "bad"))]
    assert _build([_req("A")], failed, selection=selection).verdict == "NON-CONFORMANT"
    passed = [_rec("t", ["A"], ("A", True, "ok"))]
    assert _build([_req("A")], passed, selection=selection, harness=["interrupted"]).verdict == "INCOMPLETE"
    errored = [_rec("t", ["A"], outcome="error", error="no answer within 5s")]
    assert _build([_req("A")], errored, selection=selection).verdict == "INCOMPLETE"


def test_verdict_function_on_statuses():
    def res(level, status, blocked_by=""):
        return R.RequirementResult(_req(f"X-{status}-{level}", level), level, status, "", [], blocked_by)

    assert R.verdict([res("MUST", "PASS"), res("SHOULD", "WARN")]) == "CONFORMANT"
    assert R.verdict([res("MUST", "PASS")], selection=[{"kind": "x", "reason": "y"}]) == "PARTIAL"
    assert R.verdict([res("MUST", "SKIP")]) == "INCOMPLETE"
    assert R.verdict([res("MUST", "PASS"), res("MUST", "ERROR")]) == "INCOMPLETE"
    # A MUST BLOCKED through a chain that ends at a failed MUST: NON-CONFORMANT through its blocker.
    root = res("MUST", "FAIL")
    middle = R.RequirementResult(_req("M"), "SHOULD", "BLOCKED", "", [], root.requirement.id)
    blocked = R.RequirementResult(_req("B"), "MUST", "BLOCKED", "", [], "M")
    assert R.verdict([blocked, middle, root]) == "NON-CONFORMANT"
    warned = res("SHOULD", "WARN")
    blocked.blocked_by = warned.requirement.id
    assert R.verdict([blocked, warned, res("MUST", "PASS")]) == "PARTIAL"
    assert R.exit_code(R.RunResult([], [], "PARTIAL", {})) == 3
    assert R.exit_code(R.RunResult([], [], "INCOMPLETE", {})) == 3
    assert R.exit_code(R.RunResult([], [], "CONFORMANT", {})) == 0


# --- the outputs ------------------------------------------------------------------------------


def _mixed_run() -> R.RunResult:
    reqs = [_req("A"), _req("B"), _req("C"), _req("D"), _req("E", "SHOULD"), _req("F")]
    recs = [
        _rec("a", ["A"], ("A", False, "no token")),
        _rec("b", ["B"], outcome="failed", stopped_by="precondition: no token", blocked_by={"B": "A"}),
        _rec("c", ["C"], ("C", True, "Cache-Control: no-store")),
        _rec("d", ["D"], outcome="skipped", not_awaited={"D": [630.0, "code expiry"]}),
        _rec("e", ["E"], ("E", False, "no Pragma")),
        _rec("f", ["F"], outcome="error", error="no answer within 5s"),
    ]
    return _build(reqs, recs, selection=[{"kind": "contracts", "reason": "only ott_idp ran"}])


def test_results_json_carries_blocked_by_partial_and_notes_and_matches_its_schema():
    run = _mixed_run()
    data = R.to_json(run, META)
    assert data["schema_version"] == "2.0"
    by_id = {r["id"]: r for r in data["requirements"]}
    assert by_id["B"]["status"] == "BLOCKED" and by_id["B"]["blocked_by"] == "A"
    assert by_id["C"]["blocked_by"] is None and by_id["C"]["message"] == "Cache-Control: no-store"
    assert by_id["D"]["not_awaited_s"] == 630.0 and by_id["C"]["not_awaited_s"] is None
    assert {p["kind"] for p in data["partial"]} == {"contracts", "not_awaited"}
    assert data["notes"] and data["counts"]["BLOCKED"] == 1
    validator = jsonschema.Draft202012Validator(SCHEMA)
    validator.validate(json.loads(json.dumps(data)))
    # The schema bites: a BLOCKED without blocked_by, an unknown verdict, a CONFORMANT with reasons.
    for broken in (
        {**data, "verdict": "MOSTLY"},
        {**data, "verdict": "CONFORMANT"},
        {**data, "requirements": [{**by_id["B"], "blocked_by": None}]},
        {**data, "requirements": [{**by_id["C"], "blocked_by": "A"}]},
        {k: v for k, v in data.items() if k != "partial"},
    ):
        assert not validator.is_valid(json.loads(json.dumps(broken)))


def test_junit_shows_blocked_as_skipped_naming_the_blocker_and_the_verdict_as_properties(tmp_path):
    run = _mixed_run()
    R.write_junit(tmp_path / "junit.xml", run)
    root = ET.parse(tmp_path / "junit.xml").getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["A"].find("failure") is not None
    assert cases["B"].find("skipped").get("message").startswith("BLOCKED by A: blocked by A")
    assert cases["B"].find("error") is None
    assert cases["C"].find("system-out").text.endswith("-- Cache-Control: no-store")
    assert cases["D"].find("skipped").get("message").startswith("not awaited")
    assert cases["F"].find("error") is not None
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["verdict"] == "NON-CONFORMANT" and props["schema_version"] == "2.0"
    assert props["partial.contracts"] == "only ott_idp ran" and "partial.not_awaited" in props
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "6",
        "1",
        "1",
        "2",
    )


def test_html_report_links_the_blocker_and_shows_partial_reasons_and_notes():
    from conformance.report import render_html

    html = render_html(_mixed_run(), META, Redactor(b"salt"))
    assert 'id="verdict">NON-CONFORMANT<' in html and "Partial run" in html
    assert 'blocked by <a href="#A">A</a>' in html and 'id="A"' in html
    assert "only ott_idp ran" in html and 'id="notes"' in html
    assert "passed: Cache-Control: no-store" in html and "results.json schema 2.0" in html
    assert "ok: " not in html


# --- the check fixture and the plugin's bookkeeping ---------------------------------------------


def _checker(*reqs: str) -> Checker:
    return Checker(Record("ott_idp/test_x.py::t", "ott_idp", list(reqs)), Redactor(b"salt"))


def test_checker_records_the_passed_wording_and_never_the_failure_wording_for_a_pass():
    check = _checker("A")
    check.that("A", True, "kids not unique", passed="kids unique: k1, k2")
    check.that("A", False, "the header has no kid", passed="kid k1")
    assert [c.message for c in check.record.checks] == ["kids unique: k1, k2", "the header has no kid"]
    with pytest.raises(TypeError):  # the pass wording is required, and by name
        check.that("A", True, "the header has no kid", "kid k1")


def test_a_fatal_check_names_its_requirement_as_the_blocker():
    from conformance.plugin import _classify

    check = _checker("A", "B", "C")
    check.that("C", True, "x", passed="seen")
    with pytest.raises(CheckFailed) as err:
        check.that("A", False, "no token", passed="token", fatal=True)
    _classify(check.record, err.value, check.redactor)
    assert check.record.blocker == "A" and check.record.stopped_by == "A: no token"
    assert check.record.blocked_by == {"B": "A"}  # C was checked, A carries its own FAIL


def test_blocked_with_by_blocks_what_the_test_did_not_check():
    from conformance.plugin import _classify

    check = _checker("A", "B", "C")
    check.that("A", True, "x", passed="seen")
    check.unreached("C", "no key to try")
    _classify(
        check.record, Blocked("sign-in failed: HTTP 200 with an error", by="OTT-TOKEN-001"), check.redactor
    )
    assert check.record.blocked_by == {"B": "OTT-TOKEN-001"}
    assert check.record.stopped_by == "precondition: sign-in failed: HTTP 200 with an error"
    own = _checker("A", "B")
    _classify(own.record, Blocked("no discovery document", by="A"), own.redactor)
    assert own.record.blocked_by == {"B": "A"}  # A is not blocked by itself: it carries its own verdict
    plain = _checker("A")
    _classify(plain.record, Blocked("the profile has no key"), plain.redactor)
    assert plain.record.blocked_by == {} and plain.record.blocker == ""


def test_not_awaited_exception_and_skip_reasons_mark_the_wait():
    from conformance.plugin import _classify, _note_slow_skip

    check = _checker("A", "B")
    check.that("A", True, "x", passed="seen")
    exc = NotAwaited(630, "expiry of the code")
    assert isinstance(exc, pytest.skip.Exception)
    _classify(check.record, exc, check.redactor)
    assert check.record.not_awaited == {"B": [630.0, "expiry of the code"]}
    assert check.record.skip_reason == "expiry of the code (630s) is not awaited (use --include-slow)"
    for reason, wait in (
        ("the code lives 630s; use --include-slow", 630.0),
        ("expiry after 12.5s is not awaited (use --include-slow)", 12.5),
        ("outwaits a long vendor timing; use --include-slow", None),
    ):
        rec = Record("n", "ott_idp", ["A"], outcome="skipped", skip_reason=reason)
        _note_slow_skip(rec)
        assert rec.not_awaited == {"A": [wait, reason]}
    said = Record("n", "ott_idp", ["A", "B"], skip_reason="code (630s) is not awaited (use --include-slow)")
    said.not_awaited = {"A": [630.0, "code expiry"]}  # the test said so itself (check.not_awaited)
    _note_slow_skip(said)
    assert said.not_awaited == {"A": [630.0, "code expiry"]}
    other = Record("n", "ott_idp", ["A"], outcome="skipped", skip_reason="no refresh_token")
    _note_slow_skip(other)
    assert other.not_awaited == {}


def test_records_survive_the_trip_from_a_worker():
    from dataclasses import asdict

    rec = _rec("t", ["A"], ("A", True, "ok"), blocked_by={"A": "B"}, not_awaited={"A": [1.0, "w"]})
    rec.blocker = "B"
    assert Record.from_dict(json.loads(json.dumps(asdict(rec)))) == rec


# --- selftest judging ---------------------------------------------------------------------------


def test_selftest_counts_blocked_by_a_target_as_expected_and_other_moves_as_collateral():
    from conformance import selftest
    from reference_server.faults import for_contract

    fault = next(f for f in for_contract("ott_idp") if len(f.targets) == 1)
    [target] = fault.targets
    clean = {target: "PASS", "X": "PASS", "Y": "PASS", "Z": "PASS", "W": "PASS"}
    item = {
        "code": 3,
        "verdict": "PARTIAL",
        "statuses": {target: "FAIL", "X": "BLOCKED", "Y": "BLOCKED", "Z": "BLOCKED", "W": "PASS"},
        "blocked_by": {"X": target, "Y": "X", "Z": "W"},
        "unreached": [],
    }
    outcome = selftest.judge(fault, item, clean)
    assert outcome.unreached == ["X", "Y"] and outcome.collateral == ["Z PASS->BLOCKED"]
    assert not outcome.caught
    del item["statuses"]["Z"]
    outcome = selftest.judge(fault, item, clean, declared={target, "X", "Y", "W"})
    assert outcome.caught and outcome.focused  # a PARTIAL subset run is judged by its statuses
    item["statuses"]["W"] = "FAIL"
    assert selftest.judge(fault, item, clean).collateral == ["W PASS->FAIL"]
    incomplete = {"code": 3, "verdict": "INCOMPLETE", "statuses": {target: "FAIL"}}
    assert not selftest.judge(fault, incomplete, clean).clean_exit
    # A whole-suite run whose only target is a SHOULD WARNs: PARTIAL (exit 3) when --contract
    # narrowed the profile, and that is no reason to call the fault missed.
    partial = {"code": 3, "verdict": "PARTIAL", "statuses": {target: "WARN"}}
    assert selftest.judge(fault, partial, {target: "PASS"}).caught


def test_selftest_clean_run_must_be_conformant_except_for_fewer_contracts():
    from conformance.selftest import clean_verdict

    assert clean_verdict({"verdict": "CONFORMANT"}) == "CONFORMANT"
    assert clean_verdict({"verdict": "PARTIAL", "partial_kinds": ["contracts"]}) == "CONFORMANT"
    assert clean_verdict({"verdict": "PARTIAL", "partial_kinds": ["contracts", "not_awaited"]}) == "PARTIAL"
    assert clean_verdict({"verdict": "PARTIAL", "partial_kinds": ["deselected"]}) == "PARTIAL"


# --- passed checks speak as passes: every call site says what a pass looks like ---------------------


def _that_calls_without_passed() -> list[str]:
    files = sorted((ROOT / "conformance" / "suite").rglob("*.py")) + sorted(
        (ROOT / "conformance").glob("*checks*.py")
    )
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr != "that":
                continue
            passed = next((k.value for k in node.keywords if k.arg == "passed"), None)
            empty = isinstance(passed, ast.Constant) and not passed.value
            if passed is None or empty:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return offenders


def test_the_scan_finds_calls_without_passed(tmp_path, monkeypatch):
    # The scanner itself: a positional or missing `passed` is an offender, a keyword one is not.
    source = (
        "check.that('A', ok, 'bad')\n"
        "check.that('A', ok, 'bad', 'good')\n"
        "check.that('A', ok, 'bad', passed='')\n"
        "check.that('A', ok, 'bad', passed='good')\n"
    )
    suite = tmp_path / "conformance" / "suite"
    suite.mkdir(parents=True)
    (suite / "test_x.py").write_text(source)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert _that_calls_without_passed() == [
        "conformance/suite/test_x.py:1",
        "conformance/suite/test_x.py:2",
        "conformance/suite/test_x.py:3",
    ]


def test_every_check_that_call_says_what_a_pass_looks_like():
    offenders = _that_calls_without_passed()
    assert not offenders, f"{len(offenders)} check.that calls without passed=: " + ", ".join(offenders)
