"""Reading a request's parameters: a form POST (RFC 6749 §3.2), each parameter at most once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData, QueryParams

from reference_server.endpoint import Call, Check
from reference_server.oauth import OAuthError, read_form
from reference_server.ott_idp.settings import Deviations


def post_only(what: str, get_allowed: Callable[[Deviations], bool]) -> Check:
    """A common check: anything but POST is invalid_request, unless a deviation lets GET through."""

    async def check(call: Call) -> Any:
        if call.request.method != "POST" and not get_allowed(call.deviations):
            raise OAuthError("invalid_request", f"the {what} endpoint accepts POST only")
        return None

    return check


async def read_params(call: Call) -> FormData | QueryParams:
    """The form of a POST; the query of anything a deviation let through."""
    if call.request.method != "POST":
        return call.request.query_params
    return await read_form(call.request, reject_duplicates=not call.deviations.accept_duplicate_params)
