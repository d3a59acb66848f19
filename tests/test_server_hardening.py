"""The reference server against hostile clients, over real loopback HTTP: JSON nested 1,000 deep,
bodies over the limit (announced and streamed), million-field forms, connections that stall in
every phase, oversized headers, and more connections than the cap. Nothing may answer 5xx, buffer
more than the limit, or hold a stalled connection past its deadline.

Bounds are generous on purpose (the machine is shared and loaded): a stalled connection must be
dropped within its timeout plus 15 s, memory may grow by less than 50 MB for a 300 MB upload.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conformance.profile import REFERENCE_PROFILE, load
from conformance.suite.platform_sso.tokens import software_statement
from reference_server import jsonbody
from reference_server.limits import Limits
from reference_server.server import EmbeddedServer

MARGIN_S = 15.0  # on top of a timeout, before a still-open connection counts as held
DEEP_ARRAY = b"[" * 1000 + b"]" * 1000  # 2 KB: what broke five endpoints with a RecursionError
DEEP_OBJECT = b'{"resources":' + b'{"a":' * 1000 + b"1" + b"}" * 1001
MiB = 1024 * 1024


def rss_mb() -> float:
    """This process's resident memory: the embedded server runs in it."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class PeakRss:
    """Samples resident memory in a thread while the block runs; ``growth`` is peak minus start."""

    def __enter__(self) -> PeakRss:
        self.start = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.peak = max(self.peak, rss_mb())

    @property
    def growth(self) -> float:
        return self.peak - self.start


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return load(REFERENCE_PROFILE, env={}).data


@pytest.fixture(scope="module")
def server(profile) -> Iterator[EmbeddedServer]:
    """The embedded server with its default limits (1 MiB bodies, 10 s deadlines)."""
    with EmbeddedServer(profile) as srv:
        yield srv


@pytest.fixture(scope="module")
def strict(profile) -> Iterator[EmbeddedServer]:
    """Short deadlines and a small connection cap, so stalls are seen in seconds."""
    limits = Limits(header_timeout_s=1.0, body_timeout_s=1.0, keep_alive_s=1.0, max_connections=16)
    with EmbeddedServer(profile, limits=limits) as srv:
        yield srv


@pytest.fixture(scope="module")
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def connect(server: EmbeddedServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed ``sock`` (reading and discarding what it sent), None if not."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    except TimeoutError:
        return None
    return time.monotonic() - start


def read_response(sock: socket.socket, timeout: float = 30) -> tuple[int, bytes]:
    """Status and raw bytes of one response read until the server closes the connection."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return int(data[9:12]), data


def json_of(raw: bytes) -> Any:
    return json.loads(raw.split(b"\r\n\r\n", 1)[1])


# ----------------------------------------------------------------------------- nested JSON
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


DEVICE_INFO = b64(json.dumps({"primaryHardwareType": "SetTopBox", "model": "RefBox"}).encode())


@pytest.fixture(scope="module")
def psso_headers(http, profile) -> dict[str, str]:
    """A registered platform_sso application's headers, so decisions reach their body parsing."""
    section = profile["platform_sso"]
    dcr = section["dcr_base_url"]
    reg = http.post(
        f"{dcr}/client/register",
        json={"software_statement": software_statement(section, "first")},
        headers={"X-Device-Info": DEVICE_INFO},
    )
    assert reg.status_code == 201, reg.text
    creds = reg.json()
    tok = http.post(
        f"{dcr}/client/token",
        data={
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "grant_type": "client_credentials",
        },
    )
    assert tok.status_code == 201, tok.text
    return {
        "Authorization": f"Bearer {tok.json()['access_token']}",
        "AP-Device-Identifier": "fingerprint " + b64(b"hardening-device"),
        "X-Device-Info": DEVICE_INFO,
    }


def send_json(http: httpx.Client, profile: dict[str, Any], psso: dict[str, str], name: str, body: bytes):
    """``body`` to endpoint ``name``, with what it needs to reach its body parsing."""
    dso, ps = profile["device_signon"], profile["platform_sso"]
    decisions = f"{ps['api_base_url']}/{ps['service_provider']}/decisions"
    as_json = {"Content-Type": "application/json"}
    if name == "ias_password":
        return http.post(dso["ias_password_url"], content=body, headers=as_json)
    if name == "dsra_poll":  # a fresh registration each time: a second poll would be too early
        token = http.get(dso["dsra_code_url"]).json()["dsraToken"]
        return http.put(
            dso["dsra_poll_url"], content=body, headers={**as_json, "Authorization": f"Bearer {token}"}
        )
    if name == "dcr_register":
        url = f"{ps['dcr_base_url']}/client/register"
        return http.post(url, content=body, headers={**as_json, "X-Device-Info": DEVICE_INFO})
    kind = name.removeprefix("decisions_")
    return http.post(f"{decisions}/{kind}/{ps['mvpd']}", content=body, headers={**as_json, **psso})


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize(
    "name", ["ias_password", "dsra_poll", "dcr_register", "decisions_authorize", "decisions_preauthorize"]
)
def test_json_nested_1000_deep_is_the_endpoints_400(http, profile, psso_headers, name, body):
    deep = send_json(http, profile, psso_headers, name, body)
    shallow = send_json(http, profile, psso_headers, name, b"[1,")  # plainly not JSON
    assert deep.status_code == 400, deep.text
    # The same answer as any other body that is not JSON: the endpoint's own 400, not a new one.
    assert untraced(deep.json()) == untraced(shallow.json())


def untraced(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "trace"}  # Adobe Pass errors carry a per-reply id


def test_json_nested_1000_deep_in_a_header_is_a_400(http, profile):
    dcr = profile["platform_sso"]["dcr_base_url"]
    reply = http.post(
        f"{dcr}/client/register",
        json={"software_statement": "x.y.z"},
        headers={"X-Device-Info": b64(DEEP_ARRAY)},
    )
    assert reply.status_code == 400, reply.text


def test_json_depth_check_skips_brackets_inside_strings():
    assert not jsonbody.depth_over(json.dumps({"s": "[" * 500}).encode(), 64)
    assert not jsonbody.depth_over(json.dumps({"s": '\\"[' * 200}).encode(), 64)
    assert jsonbody.depth_over(b"[" * 65 + b"]" * 65, 64)
    assert not jsonbody.depth_over(b"[" * 64 + b"]" * 64, 64)
    assert jsonbody.loads(b"[" * 64 + b"]" * 64) is not None
    with pytest.raises(ValueError):
        jsonbody.loads(b'{"a":' * 100 + b"1" + b"}" * 100)
    # A limit set above what the stack allows still ends in the same ValueError, not a RecursionError.
    with pytest.raises(ValueError):
        jsonbody.loads(b"[" * 100_000 + b"]" * 100_000, max_depth=10**9)


# ----------------------------------------------------------------------------- body size
def test_announced_300_mb_body_is_refused_before_it_is_read(server):
    with PeakRss() as mem, connect(server) as sock:
        sock.sendall(
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % (300 * MiB)
        )
        status, raw = read_response(sock)
    assert status == 413
    assert json_of(raw)["error"] == "request_too_large"
    assert b"connection: close" in raw.lower()
    assert mem.growth < 50, f"server grew by {mem.growth:.0f} MB"


def _stream(sock: socket.socket, head: bytes, chunks: Iterator[bytes]) -> tuple[int, bytes]:
    """Send ``head`` then ``chunks`` while a reader collects the answer; stops sending once refused."""
    answer: dict[str, Any] = {}

    def reader() -> None:
        try:
            answer["reply"] = read_response(sock)
        except Exception as exc:  # surfaced by the assert below
            answer["error"] = exc

    sock.sendall(head)
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        for chunk in chunks:
            if not thread.is_alive():
                break
            sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        pass  # the server closed the connection after answering, as it should
    thread.join(30)
    assert "reply" in answer, answer
    return answer["reply"]


def test_streamed_chunked_body_over_the_limit_is_413_without_buffering(server):
    piece = b"a=" + b"x" * (MiB - 2)
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)

    def fifty_mb() -> Iterator[bytes]:
        for _ in range(50):
            yield chunk
        yield b"0\r\n\r\n"

    head = (
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    with PeakRss() as mem, connect(server) as sock:
        status, raw = _stream(sock, head, fifty_mb())
    assert status == 413
    assert json_of(raw)["error"] == "request_too_large"
    assert mem.growth < 50, f"server grew by {mem.growth:.0f} MB"


def test_chunked_body_within_the_limit_still_works(http):
    def parts() -> Iterator[bytes]:
        yield b"grant_type=client_credentials"
        yield b"&client_id=nobody"

    reply = http.post(
        "/oauth/token", content=parts(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert 400 <= reply.status_code < 500 and reply.json()["error"], reply.text  # judged, not refused


def test_million_field_form_is_413_and_health_answers_meanwhile(server, http, profile):
    form = b"&".join(b"f%d=" % i for i in range(1_000_000))[: 10 * MiB]  # ~10 MB
    head = (
        b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % (profile["device_signon"]["token_url"].encode(), len(form))
    )
    healthy: list[int] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set():
                healthy.append(client.get("/health").status_code)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    try:
        with connect(server) as sock:
            status, raw = _stream(sock, head, (form[i : i + MiB] for i in range(0, len(form), MiB)))
        deadline = time.monotonic() + 30
        while len(healthy) < 3 and prober.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)  # the refusal is quicker than a probe: let a few answer around it
    finally:
        stop.set()
        prober.join(30)
    assert status == 413 and json_of(raw)["error"] == "request_too_large"
    assert healthy and set(healthy) == {200}


@pytest.mark.parametrize("fields", [5_000, 100_000])
def test_form_with_many_fields_within_the_size_limit_is_a_4xx(http, profile, fields):
    form = b"&".join(b"f%d=" % i for i in range(fields))
    assert len(form) <= MiB
    for url in (profile["device_signon"]["token_url"], profile["ott_idp"]["token_url"]):
        reply = http.post(url, content=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert 400 <= reply.status_code < 500, (url, reply.status_code, reply.text[:200])


# ----------------------------------------------------------------------------- stalled connections
def test_connection_that_sends_nothing_is_closed(strict):
    with connect(strict) as sock:
        held = closed_within(sock, 1.0 + MARGIN_S)
    assert held is not None, "an idle connection stayed open"
    print(f"idle connection held {held:.2f} s (header timeout 1 s)")


def test_connection_stalled_mid_headers_is_closed(strict):
    with connect(strict) as sock:
        sock.sendall(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Le")
        held = closed_within(sock, 1.0 + MARGIN_S)
    assert held is not None, "a connection stalled in its headers stayed open"
    print(f"mid-headers connection held {held:.2f} s (header timeout 1 s)")


def test_connection_stalled_mid_body_is_closed(strict):
    with connect(strict) as sock:
        sock.sendall(
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100\r\n\r\ngrant_type=client"
        )
        held = closed_within(sock, 1.0 + MARGIN_S)
    assert held is not None, "a connection stalled in its body stayed open"
    print(f"mid-body connection held {held:.2f} s (body timeout 1 s)")


def test_headers_dripped_a_byte_at_a_time_are_cut_off(strict):
    """Slowloris: each byte arrives in time, the headers as a whole never do."""
    start = time.monotonic()
    with connect(strict) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        try:
            while time.monotonic() - start < 1.0 + MARGIN_S:
                sock.sendall(b"X")
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass
        else:
            pytest.fail("a dripping client kept its connection")


def test_oversized_headers_are_431(server):
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        status, raw = _stream(sock, b"", (b"X-Pad-%d: %s\r\n" % (i, b"y" * 4000) for i in range(100)))
    assert status == 431 and json_of(raw)["error"] == "request_too_large"


def test_a_kept_alive_connection_serves_request_after_request(strict):
    """The header deadline starts at a request's first byte, not when the connection opened."""
    with httpx.Client(base_url=strict.url, timeout=30) as client:
        for _ in range(3):
            assert client.get("/health").status_code == 200
            time.sleep(0.3)


# ----------------------------------------------------------------------------- connection cap
def health_within(server: EmbeddedServer, seconds: float) -> bool:
    """Whether /health answers 200 on a fresh connection within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with httpx.Client(base_url=server.url, timeout=5) as client:
                if client.get("/health").status_code == 200:
                    return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def test_idle_connections_over_the_cap_do_not_lock_out_a_new_client(strict):
    socks = [connect(strict) for _ in range(40)]  # cap 16: the oldest idle ones are shed
    try:
        with httpx.Client(base_url=strict.url, timeout=5) as client:
            reply = client.get("/health")
        assert reply.status_code == 200
    finally:
        for sock in socks:
            sock.close()


def test_connections_busy_sending_bodies_hold_the_cap_only_until_the_body_deadline(strict):
    head = (
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100\r\n\r\nx"
    )
    socks = []
    try:
        for _ in range(20):  # past the cap of 16: the extra ones are closed at once
            sock = connect(strict)
            with contextlib.suppress(OSError):  # a socket over the cap may already be closed
                sock.sendall(head)
            socks.append(sock)
        statuses = []
        assert health_within(strict, 1.0 + MARGIN_S), "the server stayed full past the body deadline"
        for sock in socks:
            sock.settimeout(0.1)
            try:
                data = sock.recv(100)
            except (TimeoutError, OSError):
                data = b""
            if data.startswith(b"HTTP/1.1 "):
                statuses.append(int(data[9:12]))
        assert all(s < 500 for s in statuses), statuses
    finally:
        for sock in socks:
            sock.close()


def test_websocket_upgrades_do_not_use_up_the_cap(strict):
    """An upgraded connection leaves the HTTP protocol: it must not stay counted against the cap."""
    upgrade = (
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    for _ in range(40):  # cap 16
        with connect(strict) as sock:
            sock.sendall(upgrade)
            reply = sock.recv(100)
            assert not reply.startswith(b"HTTP/1.1 5"), reply
    with httpx.Client(base_url=strict.url, timeout=5) as client:
        assert client.get("/health").status_code == 200


def test_connection_answered_before_its_body_ended_is_not_held_once_idle(strict):
    """Answered early (405 without reading the body), then the body ends: the connection is idle
    and must time out like any other, although uvicorn cancels its keep-alive timer on that data."""
    with connect(strict) as sock:
        sock.sendall(b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 50)
        sock.settimeout(30)
        assert sock.recv(65536).startswith(b"HTTP/1.1 405")
        sock.sendall(b"x" * 50)
        held = closed_within(sock, 1.0 + MARGIN_S)
    assert held is not None, "an idle connection stayed open after its early answer"
