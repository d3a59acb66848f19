"""What a handler answers: a ``Reply`` that the fault seam may reshape before it becomes a Response."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list -> JSON, str -> text/html, bytes -> raw, None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = None

    def json_object(self) -> dict[str, Any] | None:
        """The body when it is a JSON object (what most reply faults reshape), else None."""
        return self.body if isinstance(self.body, dict) else None

    def render(self) -> Response:
        body, media_type = self.body, self.media_type
        if isinstance(body, (dict, list)):
            content = json.dumps(body, separators=(",", ":")).encode()
            media_type = media_type or "application/json"
        elif isinstance(body, str):
            content = body.encode()
            media_type = media_type or "text/html; charset=utf-8"
        else:
            content = body or b""
        return Response(content, status_code=self.status, headers=self.headers, media_type=media_type)
