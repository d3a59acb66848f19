"""The ``check`` fixture: how a test states that a requirement holds or does not.

A test declares the requirement ids it checks (``@pytest.mark.requirement("OTT-TOKEN-001")``)
and calls ``check.that(req_id, condition, message)`` for each. A failed check is a violation of
that requirement only; the test goes on and checks the rest, and fails at the end. ``fatal=True``
stops the test when what follows would be meaningless (no token to inspect, say): the requirements
it did not reach are reported as not evaluated, never as passed.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from conformance.redact import Redactor
from conformance.results import Check, TestRecord


class CheckFailed(AssertionError):
    """A fatal check failed: the test stops here."""


class Blocked(Exception):
    """A precondition the vendor did not meet (e.g. no token to inspect): the test cannot go on.

    Raised by fixtures and flows; the requirements the test declares are reported as not
    evaluated (their own test, the one that checks that precondition, carries the FAIL).
    """


class SuiteDefect(Exception):
    """The suite itself is wrong (e.g. it checks a requirement the test did not declare)."""


class Checker:
    def __init__(self, record: TestRecord, redactor: Redactor) -> None:
        self.record = record
        self.redactor = redactor

    def that(self, req: str, ok: Any, message: str, passed: str = "", fatal: bool = False) -> bool:
        """Record whether ``req`` holds; ``message`` says what is wrong, ``passed`` what was seen."""
        if req not in self.record.requirements:
            raise SuiteDefect(f"{self.record.nodeid} checks {req} without declaring it")
        ok = bool(ok)
        text = self.redactor.text(message if not ok else (passed or message))
        self.record.checks.append(Check(req, ok, text))
        if not ok and fatal:
            self.record.stopped_by = f"{req}: {text}"
            raise CheckFailed(f"{req}: {text}")
        return ok

    def unreached(self, req: str, why: str) -> None:
        """``req`` cannot be checked because something it needs is missing (its own check failed
        elsewhere): reported as not evaluated, neither passed nor blamed on the vendor."""
        if req not in self.record.requirements:
            raise SuiteDefect(f"{self.record.nodeid} checks {req} without declaring it")
        self.record.unreached[req] = self.redactor.text(why)

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
            f"HTTP {resp.status_code}",
            fatal,
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
            "body is a JSON object",
            fatal,
        )
        return body if isinstance(body, dict) else {}

    def media_type(self, req: str, resp: httpx.Response, expected: str, fatal: bool = False) -> bool:
        got = resp.headers.get("content-type", "")
        return self.that(
            req,
            got.split(";")[0].strip().lower() == expected,
            f"Content-Type is {got or 'missing'!r}, expected {expected}",
            f"Content-Type {got}",
            fatal,
        )


def _excerpt(resp: httpx.Response, limit: int = 120) -> str:
    text = resp.text.strip().replace("\n", " ")
    return f"({text[:limit]}{'…' if len(text) > limit else ''})" if text else "(empty body)"
