"""The suite run against targets that are no IdP at all: no MUST may PASS, and no check may crash.

A web server that answers 200 with an HTML page to everything, and one that answers every request
with a redirect to itself, are real loopback HTTP servers; the suite runs past the pre-flight
(``--no-preflight``, which would refuse them) so that every check meets them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import VENDOR_ENV, cli, vendor_profile


def _handler(kind: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if kind == "html":
                body = b"<!doctype html><html><body><h1>Welcome</h1></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
            else:  # "redirect": to the very URL asked for, for ever
                body = b""
                self.send_response(302)
                self.send_header("Location", self.path)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    return Handler


@pytest.fixture(params=["html", "redirect"])
def broken_target(request) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(request.param))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_no_must_passes_against_a_target_that_is_no_idp(tmp_path, broken_target):
    profile = vendor_profile(tmp_path, broken_target)
    # Claim refresh tokens too, so that their MUSTs meet the broken target as well.
    profile.write_text(profile.read_text().replace("refresh_token = false", "refresh_token = true"))
    out = tmp_path / "report"
    proc = cli(
        "run",
        "--profile",
        str(profile),
        "--no-preflight",
        "--report-dir",
        str(out),
        env=VENDOR_ENV,
        timeout=600,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-3000:]
    data = json.loads((out / "results.json").read_text())
    requirements = data["requirements"]
    assert requirements, data
    passed = [
        f"{r['id']}: {r['message']}" for r in requirements if r["level"] == "MUST" and r["status"] == "PASS"
    ]
    assert not passed, passed
    crashed = [f"{r['id']}: {r['message']}" for r in requirements if "crashed" in r["message"]]
    assert not crashed, crashed
    assert data["verdict"] == "NON-CONFORMANT"
    # The grant itself fails at the vendor; what needs a sign-in is blocked by it, not ERROR.
    status = {r["id"]: r["status"] for r in requirements}
    assert status["OTT-TOKEN-001"] == "FAIL"
    assert status["OTT-IDT-003"] == "BLOCKED", status["OTT-IDT-003"]
