"""Helpers for the project's own tests: run the CLI as a user would, write throwaway profiles,
and stand up misbehaving vendors on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = [sys.executable, "-m", "conformance.cli"]


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CONFORMANCE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def vendor_profile(tmp_path: Path, base_url: str, timeout_s: float = 1.0) -> Path:
    """A vendor profile (no embedded server) aimed at ``base_url``, with inline test secrets."""
    text = (ROOT / "profiles" / "example-vendor.toml").read_text()
    text = text.replace('base_url = "https://idp.example.com"', f'base_url = "{base_url}"')
    text = text.replace("timeout_s = 10.0", f"timeout_s = {timeout_s}")
    path = tmp_path / "vendor.toml"
    path.write_text(text)
    return path


VENDOR_ENV = {
    "OTT_CLIENT_SECRET": "vendor-secret-abc123",
    "OTT_PRIMARY_PASSWORD": "vendor-pw-primary-1",
    "OTT_SECONDARY_PASSWORD": "vendor-pw-secondary-2",
    "OTT_LOCKOUT_PASSWORD": "vendor-pw-lockout-3",
    "OTT_SIGNUP_PASSWORD": "vendor-pw-signup-4",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Misbehaving:
    """A loopback 'vendor' that hangs, answers garbage, or speaks no HTTP at all."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.stop_event = threading.Event()
        mode_ = mode
        stop = self.stop_event

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # keep test output clean
                pass

            def _answer(self):
                if mode_ == "hang-token" and self.path.startswith("/oauth/token"):
                    stop.wait(30)
                    return
                body = b"<html><body>Service Unavailable?? \x00\xff garbage</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        if mode in ("garbage", "hang-token"):
            self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            self.server.daemon_threads = True
            self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
            threading.Thread(target=self.server.serve_forever, daemon=True).start()
        else:  # "silent" (accepts, never answers) or "not-http" (answers bytes that are not HTTP)
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen(16)
            self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
            threading.Thread(target=self._raw, daemon=True).start()

    def _raw(self) -> None:
        conns = []
        self.sock.settimeout(0.2)
        while not self.stop_event.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conns.append(conn)
            if self.mode == "not-http":
                try:
                    conn.recv(65536)
                    conn.sendall(b"\x16\x03\x01 this is not HTTP at all\r\n\r\n")
                    conn.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.stop_event.set()
        if hasattr(self, "server"):
            self.server.shutdown()
        else:
            self.sock.close()
        time.sleep(0.05)


@pytest.fixture
def misbehaving():
    made = []

    def make(mode: str) -> Misbehaving:
        m = Misbehaving(mode)
        made.append(m)
        return m

    yield make
    for m in made:
        m.close()
