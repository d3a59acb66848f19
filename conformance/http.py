"""The suite's HTTP client: real requests, each one recorded (redacted) as evidence.

Every exchange a test makes goes through :class:`Http`, which records method, URL, headers,
body, status and timing into the current test's evidence, masked by the run's Redactor at the
moment it is recorded (so nothing unmasked is ever kept). Transport trouble (refused connection,
timeout, TLS, garbage that is not HTTP) becomes a one-line :class:`HarnessError`; after a few in a
row the target is treated as down and later requests fail at once instead of each waiting out
its timeout (a hung vendor must not turn a run into hours).

``timeout_s`` bounds a whole request (connect, TLS, sending, headers and the whole body), not each
socket read: httpx's own timeouts are per read, so a vendor dripping one byte a second would never
time out. Every socket operation is given only what is left of the request's deadline
(:class:`_DeadlineBackend`). At most :data:`MAX_ANSWER` bytes of an answer are read; a larger one
is a HarnessError (an ERROR, never the vendor's FAIL): judging a cut body would blame the vendor for
JSON the suite itself truncated.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from conformance.redact import Redactor

BREAKER_THRESHOLD = 3  # consecutive transport failures before the target is considered down
MAX_BODY = 16_384  # characters of a recorded body kept in the evidence
MAX_ANSWER = 2 * 1024 * 1024  # bytes of an answer (decoded) the suite reads at most


class HarnessError(Exception):
    """The network, the profile or the harness failed: never the vendor's fault (an ERROR)."""


class TooLarge(Exception):
    """An answer bigger than the suite reads."""


# The deadline of the request this thread is making (tests send from worker threads too).
_local = threading.local()


def _left(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("request deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None):
        tls = self._stream.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self._backend.connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        stream = self._backend.connect_unix_socket(
            path, _left(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def client(timeout: float, verify: bool = True) -> httpx.Client:
    """An httpx client whose socket operations honour :func:`bounded`'s per-request deadline."""
    transport = httpx.HTTPTransport(verify=verify)
    # httpx exposes no hook for the network backend; its pool reads this attribute for each new
    # connection. Without it the deadline would not reach a read already blocked in the socket.
    pool = transport._pool
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)


def bounded(
    http_client: httpx.Client,
    method: str,
    url: str,
    timeout: float,
    max_bytes: int = MAX_ANSWER,
    **kwargs: Any,
) -> httpx.Response:
    """One request, all of it (redirects followed included) within ``timeout`` seconds, its body
    read (at most ``max_bytes``) and the connection released. httpx errors pass through (a missed
    deadline is an httpx.TimeoutException); a larger answer raises :class:`TooLarge`."""
    _local.deadline = time.monotonic() + timeout
    try:
        with http_client.stream(method, url, **kwargs) as response:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"answer larger than {_size(max_bytes)} (not read further)")
                chunks.append(chunk)
            # What Response.read() would have stored, read under the cap.
            response._content = b"".join(chunks)
        return response
    finally:
        _local.deadline = None


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n} bytes"


@dataclass
class Evidence:
    """The exchanges of one test, in order."""

    exchanges: list[dict[str, Any]] = field(default_factory=list)


class Http:
    def __init__(self, redactor: Redactor, timeout: float, verify: bool = True) -> None:
        self.redactor = redactor
        self.timeout = timeout
        self.client = client(timeout, verify)
        self.evidence = Evidence()
        self._failures = 0
        self._down: str | None = None

    def close(self) -> None:
        self.client.close()

    def start_test(self) -> Evidence:
        self.evidence = Evidence()
        return self.evidence

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self._down:
            raise HarnessError(f"{method} {self.redactor.url(url)} not sent: {self._down}")
        started = time.perf_counter()
        try:
            response = bounded(self.client, method, url, self.timeout, **kwargs)
        except httpx.TimeoutException:
            self._transport_failed(f"no answer within {self.timeout:g}s")
            raise HarnessError(
                f"{method} {self.redactor.url(url)}: no answer within {self.timeout:g}s (timeout_s)"
            ) from None
        except TooLarge as exc:
            self._transport_failed(str(exc))
            raise HarnessError(f"{method} {self.redactor.url(url)}: {exc}") from None
        except httpx.HTTPError as exc:
            reason = transport_reason(exc)
            self._transport_failed(reason)
            raise HarnessError(f"{method} {self.redactor.url(url)}: {reason}") from None
        self._failures = 0
        self._record(response, time.perf_counter() - started)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def _transport_failed(self, reason: str) -> None:
        self._failures += 1
        if self._failures >= BREAKER_THRESHOLD:
            self._down = f"target considered down after {self._failures} failures in a row ({reason})"

    def _record(self, response: httpx.Response, elapsed: float) -> None:
        r = self.redactor
        request = response.request
        # Request first: a credential sent is learnt before the response that may echo it.
        req_headers = r.headers(list(request.headers.items()))
        req_body = r.body(request.headers.get("content-type", ""), request.content)
        self.evidence.exchanges.append(
            {
                "method": request.method,
                "url": r.url(str(request.url)),
                "request_headers": req_headers,
                "request_body": _clip(req_body),
                "status": response.status_code,
                "response_headers": r.headers(list(response.headers.items())),
                "response_body": _clip(r.body(response.headers.get("content-type", ""), response.content)),
                "elapsed_ms": round(elapsed * 1000, 2),
            }
        )


def _clip(text: str) -> str:
    return text if len(text) <= MAX_BODY else text[:MAX_BODY] + f"… [{len(text) - MAX_BODY} more characters]"


def transport_reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        if "SSL" in str(exc) or "certificate" in str(exc).lower():
            return "TLS handshake failed (certificate or protocol)"
        return "connection refused or host unreachable"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the answer is not valid HTTP"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "unsupported URL scheme"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "connection reset or closed by the target"
    return f"transport error ({type(exc).__name__})"
