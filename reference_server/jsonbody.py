"""JSON from clients, parsed without letting nesting depth reach Python's recursion limit.

``loads`` raises ``TooDeep`` (a ValueError) past ``max_depth``, so every handler that already turns
ValueError into its own 400 answers a hostile document with that 400, never a RecursionError's 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

DEFAULT_MAX_DEPTH = 64

# A JSON string (skipped whole, so brackets inside it do not count) or one bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class TooDeep(ValueError):
    pass


def depth_over(raw: bytes, max_depth: int) -> bool:
    """Whether ``raw`` nests arrays/objects deeper than ``max_depth`` (without parsing it)."""
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False  # the usual small body: too few brackets to be too deep, counted at C speed
    depth = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def loads(raw: bytes | str, max_depth: int = DEFAULT_MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` for untrusted input: ValueError (``TooDeep``) for a document nested too deep."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if depth_over(data, max_depth):
        raise TooDeep(f"JSON nested deeper than {max_depth}")
    try:
        return json.loads(raw, **kwargs)
    except RecursionError:  # a hook recursing, or a limit set above what the stack allows
        raise TooDeep("JSON nested too deep") from None


def max_depth_of(request: Any) -> int:
    """The server's configured JSON depth limit, for a handler's request."""
    return request.app.state.server.limits.max_json_depth
