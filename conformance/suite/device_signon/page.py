"""Reading the RFC 8628 verification page: the parts the suite drives and judges.

The page is the vendor's HTML; these never raise on garbage: what a broken page lacks reads as
missing, and the check that looks for it fails.
"""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """What the suite reads on the verification page: inputs, #error and #result."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.ids: dict[str, dict[str, str]] = {}
        self.forms: list[str] = []
        self.actions: list[str | None] = []  # each <form>'s action attribute, in page order
        self.form_of: dict[str, int] = {}  # input name -> index of the form that holds it
        self._form: int | None = None
        self.buttons: list[tuple[str, str]] = []
        self._text_of: str | None = None
        self.texts: dict[str, str] = {}
        try:
            self.feed(text)
            self.close()
        except Exception:  # noqa: BLE001 - garbage pages are judged by the checks
            pass

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name"):
            self.inputs[a["name"]] = a.get("value", "")
            if self._form is not None:
                self.form_of.setdefault(a["name"], self._form)
        if tag == "button" and a.get("name"):
            self.buttons.append((a["name"], a.get("value", "")))
        if tag == "form":
            self._form = len(self.actions)
            self.actions.append(a.get("action"))
            if a.get("id"):
                self.forms.append(a["id"])
        if a.get("id"):
            self.ids[a["id"]] = a
            self._text_of = a["id"]
            self.texts.setdefault(a["id"], "")

    def handle_data(self, data: str) -> None:
        if self._text_of:
            self.texts[self._text_of] += data

    def handle_endtag(self, tag: str) -> None:
        self._text_of = None
        if tag == "form":
            self._form = None

    def fields_of(self, name: str) -> tuple[dict[str, str], str | None]:
        """The inputs of the form holding input ``name`` and that form's action (None: this page's
        own URL, as a browser would post it); ({}, None) when no form holds it."""
        index = self.form_of.get(name)
        if index is None:
            return {}, None
        fields = {k: v for k, v in self.inputs.items() if self.form_of.get(k) == index}
        return fields, self.actions[index] or None

    @property
    def result(self) -> str | None:
        return self.ids.get("result", {}).get("data-result")

    @property
    def error(self) -> str | None:
        return self.ids.get("error", {}).get("data-error")
