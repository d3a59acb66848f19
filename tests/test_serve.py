"""`conformance serve`: the reference server as a sandbox, reachable over real HTTP."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from tests.conftest import ROOT, free_port


def test_serve_answers_discovery_and_token_requests():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "serve", "--port", str(port), "--max-body-bytes", "4096"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                doc = httpx.get(url + "/.well-known/openid-configuration", timeout=1).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not come up: " + (proc.stderr.read() if proc.poll() else ""))
        assert doc["issuer"] == url and doc["token_endpoint"] == url + "/oauth/token"
        resp = httpx.post(url + "/oauth/token", data={"grant_type": "password"}, timeout=5)
        assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
        # --max-body-bytes reaches the server: a body one byte over it is refused before it is read.
        big = httpx.post(url + "/oauth/token", content=b"a" * 4097, timeout=5)
        assert big.status_code == 413 and big.json()["error"] == "request_too_large"
        form = {"grant_type": "password", "pad": "a" * 3000}
        small = httpx.post(url + "/oauth/token", data=form, timeout=5)
        assert small.status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_refuses_a_busy_port_in_one_line():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "cannot listen" in proc.stderr, proc.stderr[-1500:]
