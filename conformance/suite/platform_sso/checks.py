"""Named checks of the platform_sso contract, each written once and named like the sentence it checks.

Each takes the ``check`` fixture and the requirement id it judges, so a test reads as its list of
requirements and the wording of every verdict stays the same wherever the check is used.
"""

from __future__ import annotations

from typing import Any

import httpx

from conformance import openapi
from conformance.bodies import body_of
from conformance.checks import Checker
from conformance.suite.platform_sso.client import CONTRACT
from conformance.suite.platform_sso.readers import code_of


def eec_error(
    check: Checker, req: str, resp: httpx.Response, code: str, status: int = 400, also: tuple[str, ...] = ()
) -> None:
    """The answer is HTTP ``status`` with the EEC ``code`` (or one of ``also``: the spec leaves it open)."""
    check.status(req, resp, status)
    check.that(
        req,
        code_of(resp) in (code, *also),
        f"code is {code_of(resp)!r}, expected {code}",
        passed=f"code {code_of(resp)}",
    )


def dcr_oauth_error(check: Checker, req: str, resp: httpx.Response, *codes: str) -> None:
    """The DCR endpoint answers 400 with one of the OAuth ``error`` codes.

    Not ``conformance.oauth_checks.oauth_error``: this one reads the error as ``code_of`` does, so a
    body with an EEC ``code`` member is judged by that member, as the suite always has.
    """
    check.status(req, resp, 400)
    check.that(
        req,
        code_of(resp) in codes,
        f"error is {code_of(resp)!r}, expected {' or '.join(codes)}",
        passed=f"error {code_of(resp)}",
    )


def unauthorized(check: Checker, req: str, resp: httpx.Response) -> None:
    """The answer is 401 with no body or an EEC body whose status is 401."""
    check.status(req, resp, 401)
    body = body_of(resp)
    check.that(
        req,
        not resp.content or (body and str(body.get("status")) == "401"),
        f"the 401 body is not an EEC object with status 401: {resp.text[:120]!r}",
        passed="401 with an EEC body",
    )


def matches_schema(check: Checker, req: str, schema: str, body: Any) -> None:
    """``body`` validates against the contract's OpenAPI schema ``schema``."""
    problems = openapi.errors(CONTRACT, schema, body)
    check.that(req, not problems, "; ".join(problems[:3]), passed=f"validates against {schema}")
