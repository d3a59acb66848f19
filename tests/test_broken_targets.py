"""The suite run against targets that are no IdP at all: no MUST may PASS, and no check may crash.

A web server that answers 200 with an HTML page to everything, and one that answers every request
with a redirect to itself, are real loopback HTTP servers; the suite runs past the pre-flight
(``--no-preflight``, which would refuse them) so that every check meets them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, VENDOR_ENV, cli, vendor_profile


def _handler(kind: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if kind == "dcr-then-html" and self.path.endswith("/client/register"):
                self._json(201, {"client_id": "broken-client", "client_secret": "broken-secret-0"})
            elif kind == "dcr-then-html" and self.path.split("?")[0].endswith("/client/token"):
                token = {"access_token": "broken-token-0", "token_type": "bearer", "expires_in": 3600}
                self._json(201, token)
            elif kind in ("html", "dcr-then-html"):
                self._html()
            else:
                self._redirect()

        def _json(self, status: int, data: dict) -> None:
            self._send(status, "application/json", json.dumps(data).encode())

        def _html(self) -> None:
            page = b"<!doctype html><html><body><h1>Welcome</h1></body></html>"
            self._send(200, "text/html; charset=utf-8", page)

        def _redirect(self) -> None:  # to the very URL asked for, for ever
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    return Handler


@contextmanager
def _serve(kind: str) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(kind))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["html", "redirect"])
def broken_target(request) -> Iterator[str]:
    with _serve(request.param) as url:
        yield url


KEYS = ROOT / "profiles" / "keys"

DSO_ENV = {
    "DSO_PRIMARY_PASSWORD": "dso-pw-primary-1",
    "DSO_SECONDARY_PASSWORD": "dso-pw-secondary-2",
    "DSO_LOCKOUT_PASSWORD": "dso-pw-lockout-3",
    "DSO_SUSPENDED_PASSWORD": "dso-pw-suspended-4",
    "DSO_OPERATOR_SECRET": "dso-operator-secret-5",
    "DSO_CONFIDENTIAL_SECRET": "dso-confidential-secret-6",
}

PSSO_ENV = {
    "PSSO_PRIMARY_PASSWORD": "psso-pw-primary-1",
    "PSSO_SECONDARY_PASSWORD": "psso-pw-secondary-2",
}


def _retarget(text: str, example_url: str, base_url: str, timeout_s: float) -> str:
    assert f'base_url = "{example_url}"' in text and "timeout_s = 10.0" in text
    text = text.replace(f'base_url = "{example_url}"', f'base_url = "{base_url}"')
    return text.replace("timeout_s = 10.0", f"timeout_s = {timeout_s}")


def ott_idp_profile(tmp_path: Path, base_url: str) -> tuple[Path, dict[str, str]]:
    profile = vendor_profile(tmp_path, base_url)
    # Claim refresh tokens too, so that their MUSTs meet the broken target as well.
    profile.write_text(profile.read_text().replace("refresh_token = false", "refresh_token = true"))
    return profile, VENDOR_ENV


def device_signon_profile(tmp_path: Path, base_url: str) -> tuple[Path, dict[str, str]]:
    """The example profile, every variant and feature claimed, aimed at ``base_url``."""
    text = (ROOT / "profiles" / "example-device-signon.toml").read_text()
    text = _retarget(text, "https://signon.example.com", base_url, 1.0)
    for off, on in (
        ("dsra_reject = false", "dsra_reject = true"),
        ("managed_devices = false", "managed_devices = true"),
        ("confidential_client = false", "confidential_client = true"),
        ('# dsra_reject_url = "/dsra', 'dsra_reject_url = "/dsra'),
    ):
        assert off in text, off
        text = text.replace(off, on)
    path = tmp_path / "device-signon.toml"
    path.write_text(text)
    return path, DSO_ENV


def platform_sso_profile(tmp_path: Path, base_url: str) -> tuple[Path, dict[str, str]]:
    """The example profile, with the sandbox's test keys, aimed at ``base_url``."""
    text = (ROOT / "profiles" / "example-platform-sso.toml").read_text()
    text = _retarget(text, "https://pass-test.example.com", base_url, 1.0)
    for old, new in (
        ('"keys/my-dcr.key.pem"', f'"{KEYS / "platform_sso_software_statement.key.pem"}"'),
        ('"keys/my-identity.key.pem"', f'"{KEYS / "platform_sso_identity_jws.key.pem"}"'),
        ('"keys/your-jwe.pub.pem"', f'"{KEYS / "platform_sso_identity_jwe.pub.pem"}"'),
        # A plain form post: the MVPD login page is met without a browser.
        ('mvpd_login = "browser"', 'mvpd_login = "form"'),
        ("inactive_mvpd = false", "inactive_mvpd = true"),
        ('logout_redirect_url = "optional"', 'logout_redirect_url = "required"'),
        ("dcr_token_query = false", "dcr_token_query = true"),
        ("roku_connect_token = false", "roku_connect_token = true"),
        ("throttling = false", "throttling = true"),
        ("revoked_statement = false", "revoked_statement = true"),
        # The user agent's landing pages are the target's too (nothing else is reachable here).
        ('"https://example.com/signed-in"', f'"{base_url}/signed-in"'),
        ('"https://example.com/signed-out"', f'"{base_url}/signed-out"'),
        ("mvpd_without_logout = false", "mvpd_without_logout = true"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    text += (
        '\n[[platform_sso.applications]]\nrole = "revoked"\nsoftware_id = "conformance-app-revoked"\n'
        'software_version = "1.0.0"\nclient_name = "Conformance app revoked"\n'
        'service_providers = ["MYCHANNEL"]\ndomains = ["example.com"]\n'
    )
    path = tmp_path / "platform-sso.toml"
    path.write_text(text)
    return path, PSSO_ENV


def partner_sso_profile(tmp_path: Path, base_url: str) -> tuple[Path, dict[str, str]]:
    """The example profile, with the sandbox's test keys, aimed at ``base_url``."""
    text = (ROOT / "profiles" / "example-partner-sso.toml").read_text()
    text = _retarget(text, "https://pass-test.example.com", base_url, 1.0)
    for old, new in (
        ('"keys/my-dcr.key.pem"', f'"{KEYS / "platform_sso_software_statement.key.pem"}"'),
        ('"keys/my-saml-idp.key.pem"', f'"{KEYS / "partner_sso_saml_idp.key.pem"}"'),
        ('"keys/my-saml-idp.crt.pem"', f'"{KEYS / "partner_sso_saml_idp.crt.pem"}"'),
        ('"https://example.com/signed-in"', f'"{base_url}/signed-in"'),
        ('"https://example.com/signed-out"', f'"{base_url}/signed-out"'),
        # Named here, the PFS provider id is not read from Configuration: the checks behind it run.
        ('# platform_mapping_id = "TestCableApple"', 'platform_mapping_id = "TestCableApple"'),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "partner-sso.toml"
    path.write_text(text)
    return path, {}


PROFILES = {
    "ott_idp": ott_idp_profile,
    "partner_sso": partner_sso_profile,
    "device_signon": device_signon_profile,
    "platform_sso": platform_sso_profile,
}

# A requirement the broken target fails (FAIL), and one that needs its result: BLOCKED by it, never
# ERROR and never PASS.
FIRST_STEP = {
    "ott_idp": [("OTT-TOKEN-001", "OTT-IDT-003")],
    "device_signon": [
        ("DSO-DSRA-001", "DSO-DSRA-002"),
        ("DSO-8628-001", "DSO-8628-002"),
        # A refused GET is evidence only beside a token endpoint that answers OAuth errors.
        ("DSO-8628-020", "DSO-8628-025"),
    ],
    "platform_sso": [("PSSO-DCR-001", "PSSO-DCR-006")],
    "partner_sso": [("PTR-REG-001", "PTR-CFG-001")],
}


@pytest.mark.parametrize("contract", sorted(PROFILES))
def test_no_must_passes_against_a_target_that_is_no_idp(tmp_path, broken_target, contract):
    status = _run_against(tmp_path, broken_target, contract)
    for first, dependant in FIRST_STEP[contract]:
        assert status[first]["status"] == "FAIL", status[first]
        assert status[dependant]["status"] == "BLOCKED", status[dependant]
        assert status[dependant]["blocked_by"] == first, status[dependant]


@pytest.mark.parametrize("contract", ["platform_sso", "partner_sso"])
def test_no_must_passes_when_only_registration_answers(tmp_path, contract):
    """Registration and token answer like Adobe's; every API endpoint behind them is an HTML page.

    This carries the suite past its first step, so that the session, profile, decision and SAML
    checks themselves meet a 200 that is no API answer.
    """
    with _serve("dcr-then-html") as url:
        status = _run_against(tmp_path, url, contract, may_pass=REGISTRATION[contract])
    failed = [rid for rid, r in status.items() if r["status"] == "FAIL"]
    assert len(failed) >= 5, failed  # the API checks ran and failed, not only the first step


# What the registration-only target does answer like Adobe: the requirements on it alone may pass.
REGISTRATION = {"platform_sso": set(), "partner_sso": {"PTR-REG-001"}}


def _run_against(
    tmp_path: Path, target: str, contract: str, may_pass: frozenset[str] | set[str] = frozenset()
) -> dict[str, dict]:
    """Run ``contract`` against ``target``: no MUST but ``may_pass`` PASSes, none crashes or is an ERROR."""
    profile, env = PROFILES[contract](tmp_path, target)
    out = tmp_path / "report"
    proc = cli(
        "run",
        "--profile",
        str(profile),
        "--no-preflight",
        "--report-dir",
        str(out),
        env=env,
        timeout=600,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-3000:]
    data = json.loads((out / "results.json").read_text())
    requirements = data["requirements"]
    assert requirements, data
    passed = [
        f"{r['id']}: {r['message']}"
        for r in requirements
        if r["level"] == "MUST" and r["status"] == "PASS" and r["id"] not in may_pass
    ]
    assert not passed, passed
    crashed = [f"{r['id']}: {r['message']}" for r in requirements if "crashed" in r["message"]]
    assert not crashed, crashed
    assert data["verdict"] == "NON-CONFORMANT"
    errors = [f"{r['id']}: {r['message']}" for r in requirements if r["status"] == "ERROR"]
    assert not errors, errors
    return {r["id"]: r for r in requirements}
