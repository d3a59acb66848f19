"""Reading vendor answers and writing request bodies, for every contract's suite.

A vendor may answer anything: these never raise on garbage (HTML, binary, invalid UTF-8). What
they return is judged by the checks, so a wrong answer is a FAIL and never a crashed test.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus

import httpx


def json_of(resp: httpx.Response) -> Any:
    """The body parsed as JSON, whatever the Content-Type says; None when it is not JSON."""
    try:
        return json.loads(resp.content)
    except (ValueError, UnicodeDecodeError):
        return None


def body_of(resp: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object, or {} for anything else."""
    body = json_of(resp)
    return body if isinstance(body, dict) else {}


def error_code(resp: httpx.Response) -> str | None:
    """The ``error`` member of an OAuth-style error body."""
    return body_of(resp).get("error")


def form(pairs: list[tuple[str, str]]) -> bytes:
    """application/x-www-form-urlencoded, keeping order and repeated names (some tests repeat one)."""
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs).encode()


def media_type_of(resp: httpx.Response) -> str:
    """The Content-Type's media type, lower case, without parameters ('' when there is none)."""
    return resp.headers.get("content-type", "").split(";")[0].strip().lower()
