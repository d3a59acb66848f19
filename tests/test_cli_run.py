"""`conformance run` end to end against the embedded reference server: outputs, verdicts, exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import ROOT, cli


def _results(directory):
    return json.loads((directory / "results.json").read_text())


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    proc = cli("run", "--contract", "ott_idp", "--report-dir", str(out))
    return proc, out


def test_clean_run_is_conformant_and_writes_three_files(clean_run):
    proc, out = clean_run
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "verdict: CONFORMANT" in proc.stdout
    assert str(out / "report.html") in proc.stdout
    data = _results(out)
    assert data["verdict"] == "CONFORMANT"
    for key in ("schema_version", "suite_version", "started_at", "finished_at", "profile", "counts"):
        assert key in data
    assert len(data["profile"]["sha256"]) == 64
    reqs = data["requirements"]
    assert len(reqs) >= 40 and all(r["status"] in ("PASS", "SKIP") for r in reqs)
    assert all({"id", "contract", "level", "status", "tests", "message"} <= set(r) for r in reqs)
    junit = ET.parse(out / "junit.xml").getroot()
    assert int(junit.get("tests")) == len(reqs)
    assert junit.find(".//failure") is None


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
    assert proc.returncode == 0, proc.stdout[-2000:]
    serial, parallel = _results(out), _results(tmp_path)
    assert parallel["verdict"] == serial["verdict"]
    assert {r["id"]: r["status"] for r in parallel["requirements"]} == {
        r["id"]: r["status"] for r in serial["requirements"]
    }
    assert sorted(t["nodeid"] for t in parallel["tests"]) == sorted(t["nodeid"] for t in serial["tests"])
    assert parallel["workers"] == 2


def test_plain_pytest_gives_the_same_results(clean_run, tmp_path):
    import subprocess
    import sys

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
    assert proc.returncode == 0, proc.stdout[-2000:]
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
