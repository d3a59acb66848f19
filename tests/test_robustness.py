"""Bad input ends as one line and the right exit code: broken profiles, down, hung and garbage vendors."""

from __future__ import annotations

import json

from tests.conftest import VENDOR_ENV, cli, free_port, vendor_profile


def _one_line_no_traceback(proc):
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text, text[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("conformance:")]
    return errors


def test_broken_profile_is_exit_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    proc = cli("run", "--profile", str(bad), "--report-dir", str(tmp_path / "r"))
    assert proc.returncode == 2
    errors = _one_line_no_traceback(proc)
    assert len(errors) == 1 and "not valid TOML" in errors[0]
    assert not (tmp_path / "r").exists()


def test_missing_secret_is_exit_2_and_doctor_lists_each_problem(tmp_path):
    profile = vendor_profile(tmp_path, "http://127.0.0.1:9")
    proc = cli("run", "--profile", str(profile), env={k: "" for k in ()})
    assert proc.returncode == 2
    errors = _one_line_no_traceback(proc)  # one line per problem, so one edit fixes them all
    assert len(errors) == 5 and all("is not set" in e for e in errors), errors
    doctor = cli("doctor", "--profile", str(profile))
    assert doctor.returncode == 2
    problems = [line for line in doctor.stdout.splitlines() if line.startswith("problem:")]
    assert len(problems) == 5 and all("is not set" in p for p in problems)


def test_vendor_down_is_preflight_exit_2(tmp_path):
    profile = vendor_profile(tmp_path, f"http://127.0.0.1:{free_port()}")
    proc = cli("run", "--profile", str(profile), "--report-dir", str(tmp_path / "r"), env=VENDOR_ENV)
    assert proc.returncode == 2, proc.stdout[-2000:]
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "cannot connect" in text
    doctor = cli("doctor", "--profile", str(profile), env=VENDOR_ENV)
    assert doctor.returncode == 2 and "cannot connect" in doctor.stdout


def test_vendor_that_never_answers_is_preflight_exit_2(tmp_path, misbehaving):
    vendor = misbehaving("silent")
    profile = vendor_profile(tmp_path, vendor.url, timeout_s=0.5)
    proc = cli(
        "run", "--profile", str(profile), "--report-dir", str(tmp_path / "r"), env=VENDOR_ENV, timeout=60
    )
    assert proc.returncode == 2
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "no answer within 0.5s" in text


def test_vendor_speaking_no_http_is_preflight_exit_2(tmp_path, misbehaving):
    vendor = misbehaving("not-http")
    profile = vendor_profile(tmp_path, vendor.url, timeout_s=0.5)
    proc = cli(
        "run", "--profile", str(profile), "--report-dir", str(tmp_path / "r"), env=VENDOR_ENV, timeout=60
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr


def test_html_everywhere_is_refused_by_the_preflight(tmp_path, misbehaving):
    vendor = misbehaving("garbage")
    profile = vendor_profile(tmp_path, vendor.url)
    out = tmp_path / "r"
    proc = cli("run", "--profile", str(profile), "--report-dir", str(out), env=VENDOR_ENV, timeout=120)
    assert proc.returncode == 2, proc.stdout[-3000:]
    errors = _one_line_no_traceback(proc)
    assert [e.split(":")[1].strip() for e in errors] == [
        "ott_idp.token_url",
        "ott_idp.signup_url",
        "ott_idp.discovery_url",
    ], errors
    assert all("answers an HTML page" in e for e in errors)
    assert not out.exists()  # nothing was tested


def test_garbage_answers_are_fail_not_error(tmp_path, misbehaving):
    vendor = misbehaving("garbage")
    profile = vendor_profile(tmp_path, vendor.url)
    out = tmp_path / "r"
    proc = cli(
        "run",
        "--profile",
        str(profile),
        "--report-dir",
        str(out),
        "--no-preflight",
        env=VENDOR_ENV,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    data = json.loads((out / "results.json").read_text())
    statuses = {r["id"]: r["status"] for r in data["requirements"]}
    assert data["verdict"] == "NON-CONFORMANT"
    assert statuses["OTT-TOKEN-001"] == "FAIL" and statuses["OTT-SIGNUP-002"] == "FAIL"
    crashed = [t for t in data["tests"] if t["error"].startswith(("test crashed", "suite defect"))]
    assert not crashed, [(t["nodeid"], t["error"]) for t in crashed]


def test_hung_endpoint_is_error_within_the_timeout(tmp_path, misbehaving):
    vendor = misbehaving("hang-token")
    profile = vendor_profile(tmp_path, vendor.url, timeout_s=0.5)
    out = tmp_path / "r"
    # The pre-flight would refuse this vendor (its token endpoint hangs); the run's own breaker is tested.
    proc = cli(
        "run",
        "--profile",
        str(profile),
        "--report-dir",
        str(out),
        "--no-preflight",
        env=VENDOR_ENV,
        timeout=120,
    )
    assert proc.returncode in (1, 3), proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    data = json.loads((out / "results.json").read_text())
    token = next(r for r in data["requirements"] if r["id"] == "OTT-TOKEN-001")
    assert token["status"] == "ERROR" and "no answer within 0.5s" in token["message"]
    assert data["duration_s"] < 60  # the circuit breaker stops waiting out every request
