"""`doctor` proves a profile works before anything is judged, and `run` refuses one that does not.

The target is the real reference server on loopback, described by a vendor profile (not the
embedded mode) written to tmp_path: the reference profile aimed at its base URL, then broken one
way per test. Each broken profile gives exit 2 and exactly the expected `problem:` lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import resources
from conformance.profile import load
from reference_server.server import EmbeddedServer
from tests.conftest import cli, free_port

REFERENCE = resources.profile_path("reference.toml")
EMBEDDED = "embedded = true"


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(load(REFERENCE).data) as srv:
        yield srv


def vendor(tmp_path: Path, base_url: str, *edits: tuple[str, str]) -> Path:
    """The reference profile as a vendor profile aimed at ``base_url``, with ``edits`` applied."""
    text = REFERENCE.read_text()
    assert text.count(EMBEDDED) == 1
    text = text.replace(EMBEDDED, f'base_url = "{base_url}"')
    text = text.replace('"keys/', f'"{REFERENCE.parent}/keys/')  # key files are relative to the profile
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "vendor.toml"
    path.write_text(text)
    return path


def doctor(profile: Path, *args: str, env: dict[str, str] | None = None):
    proc = cli("doctor", "--profile", str(profile), *args, env=env, timeout=120)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out[-3000:]
    return proc, [line for line in proc.stdout.splitlines() if line.startswith("problem:")]


def test_the_reference_profile_aimed_at_the_server_passes(server, tmp_path):
    proc, problems = doctor(vendor(tmp_path, server.url))
    assert proc.returncode == 0 and not problems, proc.stdout[-3000:]
    oks = [line for line in proc.stdout.splitlines() if line.startswith("ok:")]
    for role in ("primary", "secondary", "lockout"):
        assert f"ok: ott_idp.accounts[{role}]: signs in" in oks
    assert "ok: ott_idp.client_secret: the client credentials are accepted" in oks
    assert any(line.startswith("ok: platform_sso.accounts[primary]") for line in oks)
    assert any(line.startswith("ok: device_signon.accounts[secondary]") for line in oks)


def test_embedded_reference_server_passes():
    proc, problems = doctor(REFERENCE)
    assert proc.returncode == 0 and not problems, proc.stdout[-3000:]
    assert "ok: target: the embedded reference server" in proc.stdout


def test_wrong_client_secret(server, tmp_path):
    wrong = "not-the-secret-4f1b9e"
    proc, problems = doctor(
        vendor(tmp_path, server.url), "--contract", "ott_idp", env={"OTT_CLIENT_SECRET": wrong}
    )
    assert proc.returncode == 2
    assert problems == [
        "problem: ott_idp.client_secret: the client (client_id, client_secret) is refused "
        "(HTTP 401 application/json invalid_client)"
    ]
    assert wrong not in proc.stdout + proc.stderr


def test_wrong_account_password(server, tmp_path):
    wrong = "Wrong-pw-never-shown-77"
    proc, problems = doctor(
        vendor(tmp_path, server.url), "--contract", "ott_idp", env={"OTT_SECONDARY_PASSWORD": wrong}
    )
    assert proc.returncode == 2
    assert problems == [
        "problem: ott_idp.accounts[secondary]: sign-in refused "
        "(HTTP 400 application/json invalid_grant): wrong username or password?"
    ]
    assert wrong not in proc.stdout + proc.stderr
    assert "ok: ott_idp.accounts[primary]: signs in" in proc.stdout


def test_wrong_secret_of_an_extra_client(server, tmp_path):
    # The restricted client must reach `unauthorized_client`; with a wrong secret it never would.
    proc, problems = doctor(
        vendor(tmp_path, server.url), "--contract", "ott_idp", env={"OTT_RESTRICTED_SECRET": "nope-9d2c"}
    )
    assert proc.returncode == 2
    assert problems == [
        "problem: ott_idp.clients[restricted]: the client credentials are refused "
        "(HTTP 401 application/json invalid_client)"
    ]


def test_token_path_answering_404(server, tmp_path):
    profile = vendor(tmp_path, server.url, ('token_url = "/oauth/token"', 'token_url = "/oauth/tokens"'))
    proc, problems = doctor(profile, "--contract", "ott_idp")
    assert proc.returncode == 2
    assert len(problems) == 1, problems
    assert re.fullmatch(r"problem: ott_idp\.token_url: answers HTTP 404 .*: is the path right\?", problems[0])


def test_endpoint_answering_html(server, tmp_path):
    # A path that exists but is a web page (the device_signon verification page), not the API.
    profile = vendor(tmp_path, server.url, ('signup_url = "/oauth/signup"', 'signup_url = "/device"'))
    proc, problems = doctor(profile, "--contract", "ott_idp")
    assert proc.returncode == 2
    assert len(problems) == 1, problems
    assert re.fullmatch(
        r"problem: ott_idp\.signup_url: answers an HTML page \(HTTP \d+ text/html\).*", problems[0]
    )


def test_same_account_in_two_roles(server, tmp_path):
    # The lockout role names the primary account: the brute-force test would lock the primary.
    profile = vendor(
        tmp_path,
        server.url,
        ('username = "lock.out@example.test"', 'username = "Jane.Doe@example.test"'),
        ('"${OTT_LOCKOUT_PASSWORD:-Lock-Ref-pw-3318}"', '"${OTT_PRIMARY_PASSWORD:-Jane-Ref-pw-4471}"'),
    )
    proc, problems = doctor(profile, "--contract", "ott_idp")
    assert proc.returncode == 2
    assert problems == [
        "problem: ott_idp.accounts: roles primary and lockout name the same account; "
        "the brute-force test locks it, and every later sign-in of the others fails"
    ]
    assert "jane.doe" not in proc.stdout.lower()  # usernames are personal data


def test_unreachable_host(tmp_path):
    proc, problems = doctor(vendor(tmp_path, f"http://127.0.0.1:{free_port()}"), "--contract", "ott_idp")
    assert proc.returncode == 2
    assert len(problems) == 1, problems  # one origin, one line; no sign-in is tried
    assert re.fullmatch(
        r"problem: ott_idp\.\w+_url: cannot connect to http://127\.0\.0\.1:\d+ .*", problems[0]
    )


def test_run_refuses_a_profile_doctor_rejects(server, tmp_path):
    wrong = "not-the-secret-4f1b9e"
    reports = tmp_path / "reports"
    proc = cli(
        "run",
        "--profile",
        str(vendor(tmp_path, server.url)),
        "--contract",
        "ott_idp",
        "--report-dir",
        str(reports),
        env={"OTT_CLIENT_SECRET": wrong},
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("conformance:")]
    assert errors == [
        "conformance: ott_idp.client_secret: the client (client_id, client_secret) is refused "
        "(HTTP 401 application/json invalid_client)"
    ]
    assert "nothing was tested" in proc.stderr
    assert not reports.exists()  # pytest never started: no test ran, no report was written
    assert wrong not in proc.stdout + proc.stderr
