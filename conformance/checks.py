"""The ``check`` fixture: how a test states that a requirement holds or does not.

A test declares the requirement ids it checks (``@pytest.mark.requirement("OTT-TOKEN-001")``)
and calls ``check.that(req_id, condition, "what is wrong", passed="what was seen")`` for each: a
failed check shows the first wording, a passed one the second, so a pass never speaks as a
failure. A failed check is a violation of that requirement only; the test goes on and checks the
rest, and fails at the end. ``fatal=True`` stops the test when what follows would be meaningless
(no token to inspect, say): the requirements it did not reach are reported BLOCKED by the one
that failed, never as passed. ``raise Blocked(why, by="REQ")`` does the same from a fixture or a
flow; ``raise NotAwaited(seconds, what)`` skips a test whose wait is too long without
--include-slow (its requirements are "not awaited" and the run is PARTIAL).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance.redact import Redactor
from conformance.results import Check, TestRecord


class CheckFailed(AssertionError):
    """A fatal check failed: the test stops here."""


class Blocked(Exception):
    """A precondition the vendor did not meet (e.g. no token to inspect): the test cannot go on.

    Raised by fixtures and flows; the requirements the test declares are reported as BLOCKED by
    ``by`` (the requirement whose own test carries the FAIL), never as ERROR and never as passed.
    """

    def __init__(self, message: str, by: str | None = None) -> None:
        super().__init__(message)
        self.by = by


class NotAwaited(pytest.skip.Exception):
    """The test must outwait ``wait_s`` seconds of vendor timing, longer than the run allows
    without --include-slow: skipped, and every requirement it declares and did not check yet is
    "not awaited" (SKIP, and the run is PARTIAL when one of them is an applicable MUST)."""

    def __init__(self, wait_s: float | None, what: str) -> None:
        wait = "" if wait_s is None else f" ({float(wait_s):g}s)"
        super().__init__(f"{what}{wait} is not awaited (use --include-slow)")
        self.wait_s = None if wait_s is None else float(wait_s)
        self.what = what


class SuiteDefect(Exception):
    """The suite itself is wrong (e.g. it checks a requirement the test did not declare)."""


class Checker:
    def __init__(self, record: TestRecord, redactor: Redactor) -> None:
        self.record = record
        self.redactor = redactor

    def that(self, req: str, ok: Any, message: str, *, passed: str, fatal: bool = False) -> bool:
        """Record whether ``req`` holds: ``message`` says what is wrong, ``passed`` what was seen
        when it holds (a passed check never speaks with the failure wording)."""
        if req not in self.record.requirements:
            raise SuiteDefect(f"{self.record.nodeid} checks {req} without declaring it")
        ok = bool(ok)
        text = self.redactor.text((passed or "holds") if ok else message)
        self.record.checks.append(Check(req, ok, text))
        if not ok and fatal:
            self.record.stopped_by = f"{req}: {text}"
            self.record.blocker = req
            raise CheckFailed(f"{req}: {text}")
        return ok

    def unreached(self, req: str, why: str, by: str | None = None) -> None:
        """``req`` cannot be checked because something it needs is missing (its own check failed
        elsewhere, ``by`` names that requirement): reported as BLOCKED, neither passed nor ERROR."""
        if req not in self.record.requirements:
            raise SuiteDefect(f"{self.record.nodeid} checks {req} without declaring it")
        self.record.unreached[req] = self.redactor.text(why)
        if by:
            self.record.blocked_by[req] = by

    def not_awaited(self, req: str, wait_s: float, why: str) -> None:
        """``req`` needs a wait of ``wait_s`` seconds, longer than the run allows without
        --include-slow: not evaluated, and the run cannot be CONFORMANT (it is PARTIAL)."""
        if req not in self.record.requirements:
            raise SuiteDefect(f"{self.record.nodeid} checks {req} without declaring it")
        self.record.not_awaited[req] = [round(float(wait_s), 1), self.redactor.text(why)]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.record.checks if not c.ok]

    # Helpers for what most tests check about an HTTP answer.

    def status(
        self, req: str, resp: httpx.Response, expected: int | tuple[int, ...], fatal: bool = False
    ) -> bool:
        want = (expected,) if isinstance(expected, int) else expected
        return self.that(
            req,
            resp.status_code in want,
            f"expected HTTP {' or '.join(map(str, want))}, got {resp.status_code} {_excerpt(resp)}",
            passed=f"HTTP {resp.status_code}",
            fatal=fatal,
        )

    def json_object(self, req: str, resp: httpx.Response, fatal: bool = True) -> dict[str, Any]:
        """The body as a JSON object, or a failed check on ``req`` (garbage is the vendor's fault)."""
        try:
            body = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        self.that(
            req,
            isinstance(body, dict),
            f"body is not a JSON object: {_excerpt(resp)}",
            passed="body is a JSON object",
            fatal=fatal,
        )
        return body if isinstance(body, dict) else {}

    def media_type(self, req: str, resp: httpx.Response, expected: str, fatal: bool = False) -> bool:
        got = resp.headers.get("content-type", "")
        return self.that(
            req,
            got.split(";")[0].strip().lower() == expected,
            f"Content-Type is {got or 'missing'!r}, expected {expected}",
            passed=f"Content-Type {got}",
            fatal=fatal,
        )


def _excerpt(resp: httpx.Response, limit: int = 120) -> str:
    text = resp.text.strip().replace("\n", " ")
    return f"({text[:limit]}{'…' if len(text) > limit else ''})" if text else "(empty body)"
