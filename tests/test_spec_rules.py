"""Every numbered rule of the shared specs has a requirement or a written reason (issue 9 item 7).

The specs sit beside the repository in ../shared/specs; the gate itself is `conformance
requirements --check`, which these tests run as a user would. Only the tests that read the real
specs skip when they are absent; the parser and the "no specs" path are checked on made-up text.
"""

from __future__ import annotations

import pytest

from conformance import catalogue, spec_rules
from conformance.catalogue import Requirement
from tests.conftest import ROOT, cli

SPECS = ROOT.parent / "shared" / "specs"
needs_specs = pytest.mark.skipif(not SPECS.is_dir(), reason="../shared/specs is absent")

TABLE_SPEC = """# A spec
## 5. Conformance rules worth testing
### 5.A Table
| ID | Check | Expected |
|---|---|---|
| ABC-01 | one | 200 |
| ABC-02 | two | 400 |
## 6. Afterwards
| ABC-99 | not a rule: outside the section | - |
"""
NUMBERED_SPEC = """## 10. Conformance rules worth testing
**Group**
1. MUST: one.
2. MUST: two.
3. SHOULD: three.
"""


def _req(rid: str, source: str) -> Requirement:
    return Requirement(id=rid, contract="x", level="MUST", status="CONFIRMED", source=source, text="t")


def test_rules_are_read_from_the_rules_section_only() -> None:
    assert spec_rules.parse("t", TABLE_SPEC).rules == ("ABC-01", "ABC-02")
    assert spec_rules.parse("n", NUMBERED_SPEC).rules == ("1", "2", "3")


def test_a_bare_number_counts_only_after_the_spec_name() -> None:
    spec = spec_rules.parse("n", NUMBERED_SPEC)
    assert spec_rules.cited(spec, "RFC 1 §2 (spec n §10, rules 1, 3)") == {"1", "3"}
    assert spec_rules.cited(spec, "RFC 1 §2 (spec n, rules 1–2)") == {"1", "2"}
    assert spec_rules.cited(spec, "RFC 1 §2 (spec other, rule 1)") == set()


def test_an_uncited_rule_is_a_problem_until_cited() -> None:
    spec = spec_rules.parse("t", TABLE_SPEC)
    lines = spec_rules.problems([spec], [_req("X-1", "RFC 1 §1 (spec rule ABC-01)")])
    assert lines == ["t rule ABC-02: no requirement cites it and no written reason"]
    both = [_req("X-1", "RFC 1 §1 (spec rule ABC-01)"), _req("X-2", "RFC 1 §1 (rule ABC-02)")]
    assert spec_rules.problems([spec], both) == []


def test_the_reasons_file_reads() -> None:
    reasons = spec_rules.reasons()
    assert reasons, "conformance/catalogue/rule_reasons.toml is empty or missing"
    assert all(text.strip() for text in reasons.values())


@needs_specs
def test_every_spec_rule_is_cited_or_excused() -> None:
    specs = spec_rules.load_specs(SPECS)
    assert sum(len(s.rules) for s in specs) >= 129 + 65, "the spec rule lists were not found"
    every = list(catalogue.all_requirements().values())
    assert spec_rules.problems(specs, every) == []


@needs_specs
def test_device_and_ropc_has_no_rule_left_without_a_requirement_or_reason() -> None:
    spec = next(s for s in spec_rules.load_specs(SPECS) if s.name == "device-and-ropc")
    assert len(spec.rules) == 129
    (cov,) = spec_rules.coverage([spec], list(catalogue.all_requirements().values()))
    assert cov.uncovered == []


@needs_specs
def test_requirements_check_names_the_spec_rules() -> None:
    proc = cli("requirements", "--check")
    assert "spec device-and-ropc: 129 numbered rules, 129 with a requirement or a reason" in proc.stdout
    assert "spec rule without" not in proc.stderr, proc.stderr


def test_requirements_check_without_specs_says_so(tmp_path) -> None:
    proc = cli("requirements", "--check", env={"CONFORMANCE_SPECS": str(tmp_path / "absent")})
    assert "shared specs not found" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert "spec rule without" not in proc.stderr


@needs_specs
def test_every_cited_rule_id_exists() -> None:
    """A source citing ``rule VTK-99`` (a typo, or a rule the spec dropped) would count for nothing."""
    known = {rule for spec in spec_rules.load_specs(SPECS) for rule in spec.rules}
    families = {rule.rpartition("-")[0] for rule in known if "-" in rule}  # DSRA, VTK, ...
    wrong = [
        f"{req.id}: {rid}"
        for req in catalogue.all_requirements().values()
        for rid in spec_rules.NAMED_ID.findall(req.source)
        if rid.rpartition("-")[0] in families and rid not in known
    ]
    assert not wrong, wrong


def test_requirements_check_fails_on_an_uncited_rule(tmp_path) -> None:
    (tmp_path / "made-up.md").write_text(TABLE_SPEC)
    proc = cli("requirements", "--check", env={"CONFORMANCE_SPECS": str(tmp_path)})
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("spec rule without")]
    assert [line.split(": ", 1)[1] for line in lines] == [
        "made-up rule ABC-01: no requirement cites it and no written reason",
        "made-up rule ABC-02: no requirement cites it and no written reason",
    ]
