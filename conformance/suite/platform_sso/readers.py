"""Reading REST API v2 answers: the members the tests judge, from whatever the vendor sent.

Like ``conformance.bodies``, these never raise on garbage: a missing or mistyped member reads as
None, {} or [], and the check that looks at it fails with what was seen.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance.bodies import body_of


def code_of(resp: httpx.Response) -> Any:
    """The EEC code of a top-level error (or the OAuth error member of a DCR error)."""
    body = body_of(resp)
    return body.get("code", body.get("error"))


def profiles_of(resp: httpx.Response) -> dict[str, Any]:
    """The profiles map of a Profiles answer ({} for anything that is not one)."""
    profiles = body_of(resp).get("profiles")
    return profiles if isinstance(profiles, dict) else {}


def decisions_of(resp: httpx.Response) -> list[dict[str, Any]]:
    """The decision items of a Decisions answer that are objects ([] for anything else)."""
    items = body_of(resp).get("decisions")
    return [d for d in items if isinstance(d, dict)] if isinstance(items, list) else []


def item_error_code(item: dict[str, Any]) -> Any:
    """The EEC code of one decision item's error, or None when it has none."""
    err = item.get("error")
    return err.get("code") if isinstance(err, dict) else None


def path_of(url: Any) -> str:
    """The path of a URL member ("" when it is not a string): answers may give it absolute or not."""
    return urlsplit(url).path if isinstance(url, str) else ""


def ms(value: Any) -> int | None:
    """A timestamp in ms given as an integer or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
