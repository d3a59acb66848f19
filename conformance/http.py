"""The suite's HTTP client: real requests, each one recorded (redacted) as evidence.

Every exchange a test makes goes through :class:`Http`, which records method, URL, headers,
body, status and timing into the current test's evidence, masked by the run's Redactor at the
moment it is recorded (so nothing unmasked is ever kept). Transport trouble (refused connection,
timeout, TLS, garbage that is not HTTP) becomes a one-line :class:`HarnessError`; after a few in a
row the target is treated as down and later requests fail at once instead of each waiting out
its timeout (a hung vendor must not turn a run into hours).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.redact import Redactor

BREAKER_THRESHOLD = 3  # consecutive transport failures before the target is considered down
MAX_BODY = 16_384  # characters of a recorded body kept in the evidence


class HarnessError(Exception):
    """The network, the profile or the harness failed: never the vendor's fault (an ERROR)."""


@dataclass
class Evidence:
    """The exchanges of one test, in order."""

    exchanges: list[dict[str, Any]] = field(default_factory=list)


class Http:
    def __init__(self, redactor: Redactor, timeout: float, verify: bool = True) -> None:
        self.redactor = redactor
        self.timeout = timeout
        self.client = httpx.Client(timeout=timeout, verify=verify, follow_redirects=False)
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
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            self._transport_failed(f"no answer within {self.timeout:g}s")
            raise HarnessError(
                f"{method} {self.redactor.url(url)}: no answer within {self.timeout:g}s (timeout_s)"
            ) from None
        except httpx.HTTPError as exc:
            reason = _transport_reason(exc)
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


def _transport_reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host unreachable"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the answer is not valid HTTP"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "unsupported URL scheme"
    return f"transport error ({type(exc).__name__})"
