"""Checks of OAuth 2.0 answers that every contract with an OAuth endpoint makes (RFC 6749 §5.1, §5.2).

Each is named like the sentence it checks and takes the ``check`` object and the requirement id, so
a test states which requirement the sentence belongs to and the wording is the same everywhere.
"""

from __future__ import annotations

import httpx

from conformance.bodies import error_code
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
    error_ok = check.that(
        req, error_code(resp) in errors, f"error is {error_code(resp)!r}, expected {' or '.join(errors)}"
    )
    return status_ok and error_ok


def error_is(check: Checker, req: str, resp: httpx.Response, error: str) -> bool:
    """The body's ``error`` member is ``error`` (the status is checked apart, by ``check.status``)."""
    return check.that(req, error_code(resp) == error, f"error is {error_code(resp)!r}")


def no_store(check: Checker, req: str, resp: httpx.Response, what: str = "") -> bool:
    """Cache-Control forbids storing the answer (RFC 6749 §5.1); ``what`` names the answer."""
    cache = resp.headers.get("cache-control", "")
    return check.that(
        req, "no-store" in cache.lower(), f"{what}Cache-Control is {cache or 'missing'!r}", cache
    )


def pragma_no_cache(check: Checker, req: str, resp: httpx.Response) -> bool:
    """Pragma: no-cache, for HTTP/1.0 caches (RFC 6749 §5.1)."""
    pragma = resp.headers.get("pragma", "")
    return check.that(req, "no-cache" in pragma.lower(), f"Pragma is {pragma or 'missing'!r}", pragma)
