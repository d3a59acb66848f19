"""Checks of OAuth 2.0 answers that every contract with an OAuth endpoint makes (RFC 6749 §5.1, §5.2).

Each is named like the sentence it checks and takes the ``check`` object and the requirement id, so
a test states which requirement the sentence belongs to and the wording is the same everywhere.
``token_answer`` classifies a token endpoint's answer once (success, OAuth error or garbage), so a
200 carrying an error body is never taken for a sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from conformance.bodies import error_code, json_of, media_type_of
from conformance.checks import Checker

# RFC 6749 §5.2: the error codes a token endpoint may answer with.
TOKEN_ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
    }
)

SUCCESS, ERROR, GARBAGE = "success", "error", "garbage"


@dataclass(frozen=True)
class TokenAnswer:
    """A token endpoint's answer, classified: ``kind`` is SUCCESS (200, a JSON object with an
    access_token and no error), ERROR (a JSON object with an ``error`` member, whatever the
    status) or GARBAGE (anything else: HTML, a redirect, a 200 without tokens)."""

    kind: str
    status: int
    body: dict[str, Any]
    why: str  # one line for a message: what was answered

    @property
    def ok(self) -> bool:
        return self.kind == SUCCESS

    @property
    def refused(self) -> bool:
        """An OAuth error body: the request was refused (its status is judged by the requirement
        about that error, so a 200 carrying an error is refused here, and never a sign-in)."""
        return self.kind == ERROR


def token_answer(resp: httpx.Response) -> TokenAnswer:
    body = json_of(resp)
    status = resp.status_code
    if not isinstance(body, dict):
        shown = media_type_of(resp) or "no Content-Type"
        return TokenAnswer(GARBAGE, status, {}, f"HTTP {status} {shown}, not a JSON object")
    if "error" in body:
        return TokenAnswer(ERROR, status, body, f"HTTP {status} with error {body['error']!r}")
    token = body.get("access_token")
    if status == 200 and isinstance(token, str) and token:
        return TokenAnswer(SUCCESS, status, body, "HTTP 200 with an access_token")
    return TokenAnswer(GARBAGE, status, body, f"HTTP {status} without access_token or error")


def oauth_error(
    check: Checker,
    req: str,
    resp: httpx.Response,
    error: str | tuple[str, ...],
    status: int | tuple[int, ...] = 400,
) -> bool:
    """The answer is an OAuth error: HTTP ``status`` with ``error`` (one of them, given a tuple)."""
    errors = (error,) if isinstance(error, str) else error
    status_ok = check.status(req, resp, status)
    code = error_code(resp)
    error_ok = check.that(
        req, code in errors, f"error is {code!r}, expected {' or '.join(errors)}", passed=f"error {code}"
    )
    return status_ok and error_ok


def error_is(check: Checker, req: str, resp: httpx.Response, error: str) -> bool:
    """The body's ``error`` member is ``error`` (the status is checked apart, by ``check.status``)."""
    code = error_code(resp)
    return check.that(req, code == error, f"error is {code!r}, expected {error}", passed=f"error {code}")


def json_error(check: Checker, req: str, resp: httpx.Response, what: str = "") -> bool:
    """The body is an RFC 6749 §5.2 error: application/json, an object whose ``error`` is a §5.2
    code. ``what`` names the answer. Evidence that a refusal is the endpoint's, not a web page's."""
    ctype, code = media_type_of(resp), error_code(resp)
    return check.that(
        req,
        ctype == "application/json" and code in TOKEN_ERRORS,
        f"{what}Content-Type {ctype or 'missing'!r}, error {code!r}: not an RFC 6749 §5.2 error body",
        passed=f"{what}application/json error {code}",
    )


def no_store(check: Checker, req: str, resp: httpx.Response, what: str = "") -> bool:
    """Cache-Control forbids storing the answer (RFC 6749 §5.1); ``what`` names the answer."""
    cache = resp.headers.get("cache-control", "")
    return check.that(
        req,
        "no-store" in cache.lower(),
        f"{what}Cache-Control is {cache or 'missing'!r}",
        passed=f"{what}Cache-Control: {cache}",
    )


def pragma_no_cache(check: Checker, req: str, resp: httpx.Response) -> bool:
    """Pragma: no-cache, for HTTP/1.0 caches (RFC 6749 §5.1)."""
    pragma = resp.headers.get("pragma", "")
    return check.that(
        req, "no-cache" in pragma.lower(), f"Pragma is {pragma or 'missing'!r}", passed=f"Pragma: {pragma}"
    )
