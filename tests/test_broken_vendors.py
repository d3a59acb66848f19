"""A corpus of broken vendors no run may hang on, crash on or leak to (issue 11).

Each vendor is a real loopback server (raw sockets where HTTP itself is broken): down, refusing,
hanging before or inside its answer, dripping a byte every 2 s, speaking garbage, answering HTML
error pages, wrong media types, truncated JSON, 10 MB bodies, redirect loops, failing the TLS
handshake, and echoing everything it is sent. ``conformance run`` (with and without its pre-flight)
and ``conformance doctor`` are run against each, with secrets full of characters that every
encoding changes (``<&"% +``): each run ends within a bound set by ``timeout_s``, says why in lines
(no traceback) with the exit code PRODUCT.md gives, and no file it writes holds a secret in any
form a vendor or a report could put it in (:func:`secret_forms`).
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus

import pytest

from conformance.profile import load
from tests.conftest import ROOT, cli, free_port, vendor_profile

TIMEOUT_S = 3.0  # over the drip interval (2 s): only a whole-request deadline stops a drip
# Whatever the vendor does, a run ends within this: the requests sent before the circuit breaker
# trips (3 in a row) each bounded by timeout_s, plus the process's own start and report writing.
BOUND_S = 120.0

# Secrets whose every encoding differs from the raw value (percent, form, HTML, JSON, Base64).
HOSTILE_ENV = {
    "OTT_CLIENT_SECRET": 'cl<&"% +s3cret!',
    "OTT_PRIMARY_PASSWORD": 'p<&"% +w0rd!',
    "OTT_SECONDARY_PASSWORD": "s'<&\"% +w0rd2/?",
    "OTT_LOCKOUT_PASSWORD": 'l<&"% +w0rd3=é',
    "OTT_SIGNUP_PASSWORD": 'S<&"% +gnup4#Aa',
}
CLIENT_ID = "ott-platform"  # the example profile's, sent beside the secret in HTTP Basic


# --- every form a secret can take --------------------------------------------------------------


def _html_forms(value: str) -> set[str]:
    styles = [
        {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"},
        {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"},
        {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"},
        {c: f"&#{ord(c)};" for c in "&<>\"'"},
        {c: f"&#x{ord(c):x};" for c in "&<>\"'"},
        {c: f"&#x{ord(c):X};" for c in "&<>\"'"},
    ]
    out = {value, html.escape(value), html.escape(value, quote=False)}
    for style in styles:
        out.add("".join(style.get(c, c) for c in value))
        out.add("".join(style.get(c, c) if c in "&<>" else c for c in value))
    return out


def _b64_slices(raw: bytes) -> set[str]:
    """Base64 of ``raw`` alone, and the part of it that any 0-2 byte prefix or any suffix leaves alone."""
    out = {base64.b64encode(raw).decode().rstrip("=")}
    for lead, skip in ((0, 0), (1, 2), (2, 3)):
        out.add(base64.b64encode(b"\0" * lead + raw).decode().rstrip("=")[skip:-1])
    out = {s for s in out if len(s) >= 8}
    return out | {s.replace("+", "-").replace("/", "_") for s in out}


def secret_forms(secret: str, client_id: str = CLIENT_ID) -> set[str]:
    """Every way a vendor can echo ``secret`` or a report can write it: raw, percent-encoded (path,
    query, form; upper and lower hex), JSON string content (ASCII or not), HTML/XML entities (named,
    decimal, hex) of each, Base64 of it and of ``client_id:secret`` (raw and form-encoded)."""
    texts = {secret}
    for safe in ("", "/", "!'()*~"):
        texts |= {quote(secret, safe=safe), quote_plus(secret, safe=safe)}
    texts |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), t) for t in texts}
    texts |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms = set()
    for t in texts:
        forms |= _html_forms(t)
    forms |= {json.dumps(h)[1:-1] for h in _html_forms(secret)}
    for raw in (secret, quote_plus(secret)):
        forms |= _b64_slices(raw.encode())
        basic = f"{client_id}:{raw}".encode()
        forms |= {base64.b64encode(basic).decode(), base64.b64encode(basic).decode().rstrip("=")}
    return {f for f in forms if len(f) >= 4}


def leaks(directory: Path, secrets: set[str]) -> list[str]:
    """``file: secret #n as <form>`` for every form of every secret found in any file under
    ``directory`` (the secret itself is never printed)."""
    found = []
    files = [p for p in sorted(directory.rglob("*")) if p.is_file()]
    assert files, f"nothing written to {directory}"
    for path in files:
        data = path.read_bytes().decode("utf-8", "replace")
        for n, secret in enumerate(sorted(secrets)):
            for form in secret_forms(secret):
                if form in data:
                    kind = "raw" if form == secret else f"an encoding ({len(form)} chars)"
                    found.append(f"{path.name}: secret #{n} as {kind}, {data.count(form)} times")
    return found


def test_secret_forms_cover_the_encodings_named_in_the_issue():
    pw = 'p<&"% +w0rd!'
    forms = secret_forms(pw)
    for expected in (
        pw,
        quote(pw, safe=""),
        quote_plus(pw),
        quote_plus(pw).lower(),
        html.escape(pw),
        html.escape(pw, quote=False),
        json.dumps(pw)[1:-1],
        base64.b64encode(pw.encode()).decode().rstrip("="),
        base64.b64encode(f"{CLIENT_ID}:{pw}".encode()).decode(),
        "p&#60;&#38;&#34;% +w0rd!",
    ):
        assert expected in forms or expected.replace("%2b", "%2B") in forms, expected


# --- the vendors --------------------------------------------------------------------------------


def _read_request(conn: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return method, target, headers, body


def _response(status: str, ctype: str, body: bytes, extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n{extra}\r\n"
    )
    return head.encode("latin-1") + body


class Vendor:
    """A raw TCP server; ``handle(conn, stop)`` serves one connection in its own thread."""

    def __init__(
        self, handle: Callable[[socket.socket, threading.Event], None], tls: ssl.SSLContext | None = None
    ):
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._handle, self._tls = handle, tls
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self._tls is not None:
                conn.settimeout(5)
                conn = self._tls.wrap_socket(conn, server_side=True)
            self._handle(conn, self.stop)
        except OSError:
            pass  # the suite hung up on us: that is what it should do
        finally:
            with suppress(OSError):
                conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for conn in self._conns:
            with suppress(OSError):
                conn.close()


def _answer(status: str, ctype: str, body: bytes, extra: str = ""):
    def handle(conn: socket.socket, stop: threading.Event) -> None:
        if _read_request(conn) is not None:
            conn.sendall(_response(status, ctype, body, extra))

    return handle


def _refuse(conn: socket.socket, stop: threading.Event) -> None:
    # SO_LINGER 0: close sends RST, as a firewall or a crashed backend behind a proxy does.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _hang_before_headers(conn: socket.socket, stop: threading.Event) -> None:
    _read_request(conn)
    stop.wait(60)


def _hang_mid_body(conn: socket.socket, stop: threading.Event) -> None:
    if _read_request(conn) is not None:
        conn.sendall(_response("200 OK", "application/json", b'{"access_token": "x"}' + b" " * 979)[:-900])
        stop.wait(60)


def _drip(conn: socket.socket, stop: threading.Event) -> None:
    if _read_request(conn) is not None:
        _drip_answer(conn, stop)


def _drip_answer(conn: socket.socket, stop: threading.Event) -> None:
    answer = _response("200 OK", "application/json", b'{"error": "invalid_request"}')
    for i in range(len(answer)):
        conn.sendall(answer[i : i + 1])
        if stop.wait(2.0):
            return


def _gets_answered(then: Callable[[socket.socket, threading.Event], None]):
    """GETs answered at once (so the reachability check passes and the tests start), every other
    request met by ``then``: the hang hits the suite's own client in the middle of a run."""

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        request = _read_request(conn)
        if request is None:
            return
        if request[0] == "GET":
            conn.sendall(_response("404 Not Found", "application/json", b'{"error": "not_found"}'))
        else:
            then(conn, stop)

    return handle


def _garbage(conn: socket.socket, stop: threading.Event) -> None:
    if _read_request(conn) is not None:
        conn.sendall(bytes(range(256)) * 8)


def _plain_http(conn: socket.socket, stop: threading.Event) -> None:
    """A plain HTTP server meeting a TLS ClientHello: it answers 400 to the bytes it cannot parse."""
    conn.settimeout(5)
    if conn.recv(65536):
        conn.sendall(_response("400 Bad Request", "text/html", HTML_ERROR))


def _redirect_loop(conn: socket.socket, stop: threading.Event) -> None:
    request = _read_request(conn)
    if request is not None:
        conn.sendall(_response("302 Found", "text/plain", b"", f"Location: {request[1]}\r\n"))


HTML_ERROR = (
    b"<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    b"<hr><address>nginx</address></body></html>"
)
BIG = b'{"access_token": "' + b"A" * (10 * 1024 * 1024) + b'", "token_type": "Bearer"}'


def _big(conn: socket.socket, stop: threading.Event) -> None:
    if _read_request(conn) is not None:
        conn.sendall(_response("200 OK", "application/json", BIG))


def _gzip_bomb(conn: socket.socket, stop: threading.Event) -> None:
    if _read_request(conn) is not None:
        conn.sendall(_response("200 OK", "application/json", GZIP_BOMB, "Content-Encoding: gzip\r\n"))


GZIP_BOMB = gzip.compress(b"{" + b" " * (16 * 1024 * 1024) + b"}", compresslevel=9)  # 16 KiB on the wire


def _echo(conn: socket.socket, stop: threading.Event) -> None:
    """Everything it is sent, back in every way a careless vendor does: raw, decoded, in HTML (escaped
    and not, in a hidden input), in JSON (in an error_description too), in a header and a Location."""
    request = _read_request(conn)
    if request is None:
        return
    method, target, headers, body = request
    raw = body.decode("utf-8", "replace")
    form = dict(parse_qsl(raw, keep_blank_values=True))
    query = dict(parse_qsl(target.partition("?")[2], keep_blank_values=True))
    decoded = {**query, **form}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        with suppress(ValueError):
            user, _, secret = base64.b64decode(auth[6:]).decode("utf-8", "replace").partition(":")
            decoded["client_secret_from_basic"] = unquote_plus(secret)
    said = " ".join(f"{k}={v}" for k, v in decoded.items())
    extra = f"X-Echo: {quote(raw, safe='=&')}\r\nX-Echo-Auth: {auth}\r\n"
    accept = headers.get("accept", "")
    kind = sum(map(ord, target + raw)) % 4
    if "html" in accept or kind == 0:
        page = (
            f"<html><body><p>You sent: {raw}</p><p>{html.escape(said)}</p><p>{said}</p>"
            f"<pre>{html.escape(json.dumps(headers))}</pre>"
            + "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in decoded.items()
            )
            + "</body></html>"
        )
        conn.sendall(_response("200 OK", "text/html; charset=utf-8", page.encode(), extra))
    elif kind == 1:
        doc = {"error": "invalid_grant", "error_description": f"bad credentials {said}", "echo": decoded}
        doc["headers"] = headers
        conn.sendall(_response("400 Bad Request", "application/json", json.dumps(doc).encode(), extra))
    elif kind == 2:
        doc = {"error": "invalid_request", "received": raw, "decoded": decoded}
        truncated = json.dumps(doc, ensure_ascii=False).encode()[:-2]  # not JSON: redacted as text
        conn.sendall(_response("400 Bad Request", "application/json", truncated, extra))
    else:
        location = f"{target.partition('?')[0]}?echo={quote_plus(said)}"
        conn.sendall(_response("302 Found", "text/plain", said.encode(), extra + f"Location: {location}\r\n"))


def _self_signed() -> ssl.SSLContext:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        cert_path, key_path = Path(d, "c.pem"), Path(d, "k.pem")
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
    return context


@contextmanager
def vendor(kind: str) -> Iterator[str]:
    """The base URL of a running broken vendor of ``kind``."""
    if kind == "down":
        yield f"http://127.0.0.1:{free_port()}"
        return
    handlers: dict[str, Callable[[socket.socket, threading.Event], None]] = {
        "refuse": _refuse,
        "hang-before-headers": _hang_before_headers,
        "hang-mid-body": _hang_mid_body,
        "drip": _drip,
        "drip-posts": _gets_answered(_drip_answer),
        "hang-posts": _gets_answered(lambda conn, stop: stop.wait(60)),
        "garbage": _garbage,
        "html-error": _answer("502 Bad Gateway", "text/html", HTML_ERROR),
        "wrong-content-type": _answer(
            "200 OK", "text/plain", b'{"access_token": "t0k3n", "token_type": "x"}'
        ),
        "truncated-json": _answer("200 OK", "application/json", b'{"access_token": "t0k3n", "token_ty'),
        "10mb-body": _big,
        "gzip-bomb": _gzip_bomb,
        "redirect-loop": _redirect_loop,
        "tls-to-plain-tcp": _plain_http,
        "tls-self-signed": _answer("200 OK", "application/json", b"{}"),
        "echo": _echo,
    }
    server = Vendor(handlers[kind], tls=_self_signed() if kind == "tls-self-signed" else None)
    scheme = "https" if kind.startswith("tls-") else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.port}"
    finally:
        server.close()


# kind -> exit code of `run` with its pre-flight, and with --no-preflight. PRODUCT.md: 1
# non-conformant, 2 profile or pre-flight error (nothing tested), 3 harness error. Even without the
# pre-flight, the plugin checks that every origin answers HTTP: one that cannot be talked to ends the
# run there (2). One that answers HTTP is judged (1). An answer over the suite's read cap (2 MiB) is
# no verdict on the vendor: every test needing it is an ERROR, the run INCOMPLETE (3); so is a run
# whose token endpoint never answers in full (the circuit breaker stops it after 3 timeouts).
CASES = {
    "down": (2, 2),
    "refuse": (2, 2),
    "hang-before-headers": (2, 2),
    "hang-mid-body": (2, 2),
    "drip": (2, 2),
    "garbage": (2, 2),
    "tls-to-plain-tcp": (2, 2),
    "tls-self-signed": (2, 2),
    "html-error": (2, 1),
    "wrong-content-type": (2, 1),
    "truncated-json": (2, 1),
    "redirect-loop": (2, 1),
    "echo": (2, 1),
    "drip-posts": (2, 3),
    "hang-posts": (2, 3),
    "10mb-body": (2, 3),
    "gzip-bomb": (2, 3),
}
MEASURED: list[tuple[str, str, int, float]] = []


def _profile(tmp_path: Path, base_url: str) -> tuple[Path, set[str]]:
    profile = vendor_profile(tmp_path, base_url, timeout_s=TIMEOUT_S)
    secrets = {s for s in load(profile, env=HOSTILE_ENV).secrets if len(s) >= 4}
    assert "jwks" not in secrets  # features are switches, never credentials
    assert 'p<&"% +w0rd!' in secrets and "conformance-primary@example.com" in secrets
    return profile, secrets


def _run(tmp_path: Path, kind: str, *options: str) -> tuple[int, float, str, Path]:
    out = tmp_path / ("report" + "".join(options).replace("-", "_"))
    with vendor(kind) as url:
        profile, _ = _profile(tmp_path, url)
        started = time.monotonic()
        proc = cli(
            "run", "--profile", str(profile), "--report-dir", str(out), *options, env=HOSTILE_ENV, timeout=300
        )
        took = time.monotonic() - started
    return proc.returncode, took, proc.stdout + proc.stderr, out


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_broken_vendor_neither_hangs_nor_crashes_nor_leaks(tmp_path, kind):
    secrets = _profile(tmp_path, "http://127.0.0.1:1")[1]
    with_preflight, without = CASES[kind]
    for options, expected in (((), with_preflight), (("--no-preflight",), without)):
        code, took, output, out = _run(tmp_path, kind, *options)
        MEASURED.append((kind, " ".join(options) or "(pre-flight)", code, took))
        assert "Traceback" not in output, output[-3000:]
        assert took < BOUND_S, (kind, options, took)
        assert code == expected, (kind, options, code, output[-2000:])
        assert output.strip(), "a run must say why it ended"
        if code == 2:
            assert "problem" in output or "conformance:" in output, output[-2000:]
        else:
            assert (out / "results.json").is_file() and (out / "junit.xml").is_file()
            assert (out / "report.html").is_file()
        for n, secret in enumerate(sorted(secrets)):  # a CI log is kept as long as the report
            assert not any(form in output for form in secret_forms(secret)), (
                f"{kind}: secret #{n} in the output"
            )
        if out.exists():
            found = leaks(out, secrets)
            assert not found, found


def test_doctor_against_a_dripping_vendor_ends_in_time(tmp_path):
    with vendor("drip") as url:
        profile, secrets = _profile(tmp_path, url)
        started = time.monotonic()
        proc = cli("doctor", "--profile", str(profile), env=HOSTILE_ENV, timeout=300)
        took = time.monotonic() - started
    MEASURED.append(("drip", "doctor", proc.returncode, took))
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output[-3000:]
    assert proc.returncode == 2, output[-2000:]
    assert took < TIMEOUT_S * 3 + 30, took  # one request per origin, each within timeout_s
    assert f"no answer within {TIMEOUT_S:g}s" in output, output[-2000:]
    assert not any(s in output for s in secrets)


@pytest.fixture(scope="module", autouse=True)
def _table():
    yield
    if MEASURED:
        print("\nbroken vendor            | run            | exit | wall s")
        for kind, how, code, took in MEASURED:
            print(f"{kind:24} | {how:14} | {code:4} | {took:6.1f}")


def test_the_corpus_is_what_the_issue_names():
    assert set(CASES) >= {
        "down",
        "refuse",
        "hang-before-headers",
        "hang-mid-body",
        "drip",
        "garbage",
        "html-error",
        "wrong-content-type",
        "truncated-json",
        "10mb-body",
        "redirect-loop",
        "tls-to-plain-tcp",
        "tls-self-signed",
        "echo",
    }
    assert ROOT.is_dir()
