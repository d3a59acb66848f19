"""`conformance run` end to end against the embedded reference server: outputs, verdicts, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from conformance.plugin import SUITE_DIR
from tests.conftest import ROOT, cli

RESULTS_SCHEMA = json.loads((ROOT / "schemas" / "results.schema.json").read_text())


def _results(directory):
    data = json.loads((directory / "results.json").read_text())
    # Every results.json a real run writes matches the published schema.
    jsonschema.Draft202012Validator(
        RESULTS_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)
    return data


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    proc = cli("run", "--contract", "ott_idp", "--report-dir", str(out))
    return proc, out


@pytest.fixture(scope="module")
def ott_only_profile(tmp_path_factory):
    """The reference profile naming only ott_idp: a run of its whole suite is a complete run."""
    where = tmp_path_factory.mktemp("profile")
    text = (ROOT / "profiles" / "reference.toml").read_text()
    old = 'contracts = ["ott_idp", "device_signon", "platform_sso", "partner_sso"]'
    assert old in text
    (where / "reference-ott.toml").write_text(text.replace(old, 'contracts = ["ott_idp"]'))
    (where / "keys").symlink_to(ROOT / "profiles" / "keys")
    return where / "reference-ott.toml"


def _pytest(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_contract_subset_is_partial_and_writes_three_files(clean_run):
    proc, out = clean_run
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "verdict: PARTIAL" in proc.stdout
    assert "partial: only ott_idp of the profile's contracts ran (--contract)" in proc.stdout
    assert str(out / "report.html") in proc.stdout
    data = _results(out)
    assert data["verdict"] == "PARTIAL" and data["schema_version"] == "2.0"
    assert [p["kind"] for p in data["partial"]] == ["contracts"]
    for key in ("schema_version", "suite_version", "started_at", "finished_at", "profile", "counts"):
        assert key in data
    assert len(data["profile"]["sha256"]) == 64
    reqs = data["requirements"]
    assert len(reqs) >= 40 and all(r["status"] in ("PASS", "SKIP") for r in reqs)
    assert all(
        {"id", "contract", "level", "status", "tests", "message", "blocked_by"} <= set(r) for r in reqs
    )
    junit = ET.parse(out / "junit.xml").getroot()
    assert int(junit.get("tests")) == len(reqs)
    assert junit.find(".//failure") is None
    props = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert props["verdict"] == "PARTIAL" and "partial.contracts" in props
    html = (out / "report.html").read_text()
    assert 'id="verdict">PARTIAL<' in html and "Partial run" in html


def test_whole_suite_of_the_profiles_contracts_is_conformant(ott_only_profile, tmp_path):
    proc = cli("run", "--profile", str(ott_only_profile), "--report-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "verdict: CONFORMANT" in proc.stdout and "partial:" not in proc.stdout
    data = _results(tmp_path)
    assert data["verdict"] == "CONFORMANT" and data["partial"] == []
    # A pass speaks as a pass: no passed check shows a failure wording as "ok".
    passes = [c["message"] for t in data["tests"] for c in t["checks"] if c["ok"]]
    assert passes and not [m for m in passes if m.startswith(("kids not unique", "the header has no kid"))]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_k_selection_is_partial_in_every_output(ott_only_profile, tmp_path, workers):
    # `pytest --profile F -k X` once reported CONFORMANT with most requirements never run.
    proc = _pytest(
        str(SUITE_DIR),
        "--profile",
        str(ott_only_profile),
        "-k",
        "discovery",
        "--report-dir",
        str(tmp_path),
        *workers,
    )
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = _results(tmp_path)
    assert data["verdict"] == "PARTIAL"
    [reason] = data["partial"]
    assert reason["kind"] == "deselected" and "were deselected" in reason["reason"]
    assert "verdict: PARTIAL" in proc.stdout and "partial: " in proc.stdout


def test_a_run_stopped_early_says_so_and_a_failed_must_still_wins(ott_only_profile, tmp_path):
    proc = _pytest(
        str(SUITE_DIR),
        "--profile",
        str(ott_only_profile),
        "--fault",
        "ott_idp.token_cacheable",
        "-x",
        "--report-dir",
        str(tmp_path),
    )
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = _results(tmp_path)
    assert data["verdict"] == "NON-CONFORMANT"  # NON-CONFORMANT wins over PARTIAL
    assert [p["kind"] for p in data["partial"]] == ["not_run"]
    assert "did not run" in data["partial"][0]["reason"]


def test_node_id_selection_is_partial(ott_only_profile, tmp_path):
    node = str(SUITE_DIR / "ott_idp" / "test_discovery.py")
    proc = _pytest(node, "--profile", str(ott_only_profile), "--report-dir", str(tmp_path))
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = _results(tmp_path)
    assert data["verdict"] == "PARTIAL"
    assert [p["kind"] for p in data["partial"]] == ["selection"]
    assert "not every test of ott_idp" in data["partial"][0]["reason"]


def test_fault_makes_the_run_non_conformant(tmp_path):
    proc = cli(
        "run", "--contract", "ott_idp", "--report-dir", str(tmp_path), "--fault", "ott_idp.token_cacheable"
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    data = _results(tmp_path)
    failed = {r["id"] for r in data["requirements"] if r["status"] == "FAIL"}
    assert failed == {"OTT-TOKEN-003"}
    assert data["verdict"] == "NON-CONFORMANT"
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert [c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None] == [
        "OTT-TOKEN-003"
    ]


def test_parallel_run_gives_the_same_results(clean_run, tmp_path):
    _proc, out = clean_run
    proc = cli("run", "--contract", "ott_idp", "--report-dir", str(tmp_path), "-n", "2")
    assert proc.returncode == 3, proc.stdout[-2000:]
    serial, parallel = _results(out), _results(tmp_path)
    assert parallel["verdict"] == serial["verdict"]
    assert {r["id"]: r["status"] for r in parallel["requirements"]} == {
        r["id"]: r["status"] for r in serial["requirements"]
    }
    assert sorted(t["nodeid"] for t in parallel["tests"]) == sorted(t["nodeid"] for t in serial["tests"])
    assert parallel["workers"] == 2


def test_plain_pytest_gives_the_same_results(clean_run, tmp_path):
    _proc, out = clean_run
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--profile",
            "profiles/reference.toml",
            "--contract",
            "ott_idp",
            "--report-dir",
            str(tmp_path),
            "-q",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 3, proc.stdout[-2000:]  # --contract narrows the profile: PARTIAL
    assert _results(tmp_path)["verdict"] == "PARTIAL"
    assert {r["id"]: r["status"] for r in _results(tmp_path)["requirements"]} == {
        r["id"]: r["status"] for r in _results(out)["requirements"]
    }
    assert sorted(t["nodeid"] for t in _results(tmp_path)["tests"]) == sorted(
        t["nodeid"] for t in _results(out)["tests"]
    )


def test_unknown_fault_and_contract_are_one_line_errors(tmp_path):
    for args in (["--fault", "no.such.fault"], ["--contract", "nope"]):
        proc = cli("run", "--report-dir", str(tmp_path), *args)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stdout + proc.stderr
        assert "no.such.fault" in proc.stdout + proc.stderr or "nope" in proc.stderr


def test_requirements_check_and_faults_listing():
    proc = cli("requirements", "--contract", "ott_idp", "--contract", "device_signon", "--check")
    assert proc.returncode == 0, proc.stderr
    assert "NO TEST" not in proc.stdout
    faults = cli("faults", "--contract", "ott_idp")
    assert faults.returncode == 0
    assert "ott_idp.token_cacheable" in faults.stdout and "OTT-TOKEN-003" in faults.stdout
