"""Reading vendor answers and writing request bodies, for every contract's suite.

A vendor may answer anything: these never raise on garbage (HTML, binary, invalid UTF-8). What
they return is judged by the checks, so a wrong answer is a FAIL and never a crashed test.
"""

from __future__ import annotations

import json
import re
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


# Values that differ between two answers to the same question for no reason a client can see:
# trace and request ids, timestamps, random tokens. Replaced before two error bodies are compared.
_IDENTIFIERS = (
    (
        re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
        "<uuid>",
    ),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (re.compile(r"\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}\b"), "<id>"),
    (re.compile(r"\b\d{9,}\b"), "<number>"),
)


def without_identifiers(value: Any) -> Any:
    """``value`` (a parsed JSON body, or text) with ids, timestamps and random tokens replaced by
    placeholders, so that two answers that differ only by a trace id compare equal."""
    if isinstance(value, dict):
        return {k: without_identifiers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_identifiers(v) for v in value]
    if isinstance(value, str):
        for pattern, placeholder in _IDENTIFIERS:
            value = pattern.sub(placeholder, value)
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1e9:
        return "<number>"  # epoch seconds or milliseconds
    return value
