"""Named checks of the platform_sso contract, each written once and named like the sentence it checks.

Each takes the ``check`` fixture and the requirement id it judges, so a test reads as its list of
requirements and the wording of every verdict stays the same wherever the check is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance import openapi
from conformance.bodies import body_of
from conformance.checks import Checker
from conformance.suite.platform_sso.client import CONTRACT
from conformance.suite.platform_sso.eec import EEC_ACTIONS
from conformance.suite.platform_sso.readers import code_of, decisions_of, item_error_code


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


SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def eec_shape(check: Checker, req: str, resp: httpx.Response, contract: str = CONTRACT) -> dict[str, Any]:
    """The error answer is an Enhanced Error Code object (§5): a JSON object whose integer ``status``
    is the HTTP status, with a snake_case ``code``, a ``message``, a documented ``action`` and an
    absolute ``helpUrl`` if any, valid against ``contract``'s ErrorInformation. Returns the body."""
    check.media_type(req, resp, "application/json")
    try:
        body = json.loads(resp.content)
    except (ValueError, UnicodeDecodeError):
        body = None
    check.that(
        req,
        isinstance(body, dict),
        f"HTTP {resp.status_code} body is not a JSON object: {resp.text[:120]!r}",
        passed="a JSON object",
        fatal=True,
    )
    status, code, action = body.get("status"), body.get("code"), body.get("action")
    check.that(
        req,
        isinstance(status, int) and not isinstance(status, bool) and status == resp.status_code,
        f"status is {status!r}, expected the integer {resp.status_code}",
        passed=f"status {status}",
    )
    check.that(
        req,
        isinstance(code, str) and bool(SNAKE.match(code)),
        f"code {code!r} is not a snake_case string",
        passed=f"code {code}",
    )
    message = body.get("message")
    check.that(req, isinstance(message, str | dict), f"message is {message!r}", passed="a message")
    check.that(
        req,
        isinstance(action, str) and action in EEC_ACTIONS,
        "action is missing" if action is None else f"action {action!r} is not a documented action",
        passed=f"action {action}",
    )
    help_url = body.get("helpUrl")
    check.that(
        req,
        help_url is None or (isinstance(help_url, str) and urlsplit(help_url).scheme in ("http", "https")),
        f"helpUrl {help_url!r} is not an absolute URL",
        passed="helpUrl absent or absolute",
    )
    matches_schema(check, req, "ErrorInformation", body, contract)
    return body


def matches_schema(check: Checker, req: str, schema: str, body: Any, contract: str = CONTRACT) -> None:
    """``body`` validates against the contract's OpenAPI schema ``schema``."""
    problems = openapi.errors(contract, schema, body)
    check.that(req, not problems, "; ".join(problems[:3]), passed=f"validates against {schema}")


def decisions_refused(
    check: Checker,
    req: str,
    resp: httpx.Response,
    code: str,
    item_ok: Callable[[dict[str, Any]], bool] = lambda item: True,
) -> None:
    """Decisions refused with ``code``: a top-level 403 EEC error, or a 200 in which every decision
    carries it (and ``item_ok`` accepts its error) without authorizing. The spec shows both."""
    items = decisions_of(resp)
    top = body_of(resp)
    top_level = resp.status_code == 403 and top.get("code") == code
    per_item = (
        resp.status_code == 200
        and bool(items)
        and all(item_error_code(d) == code and d.get("authorized") is not True and item_ok(d) for d in items)
    )
    check.that(
        req,
        top_level or per_item,
        f"HTTP {resp.status_code} code {top.get('code')!r} decisions "
        f"{[(d.get('authorized'), item_error_code(d)) for d in items]}: expected {code}",
        passed=code + (" (top-level 403)" if top_level else " (item-level)"),
    )
