"""Reading the MVPD login page, for the ``form`` login mode that posts it over plain HTTP."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class FormParser(HTMLParser):
    """The first form of an MVPD login page: its action and every named input with its value."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done and self.action is None:
            self._in_form, self.action = True, a.get("action", "")
        elif tag == "input" and self._in_form and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def selector_name(selector: str, default: str) -> str:
    """The input name a profile's CSS selector (``input[name=username]``) points at, for a form post."""
    m = re.search(r"name=['\"]?([\w.\-]+)", selector or "")
    return m.group(1) if m else default
