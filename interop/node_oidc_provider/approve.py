"""Approval hook for node-oidc-provider (profiles/node-oidc-provider.toml, approval_hook_command).

Drives the pages a user would: the library's /device page (type the user code), its confirmation
page (the code and client shown, "Continue"), then server.mjs's sign-in and consent steps, and
approves or denies there.

    approve.py --verification-url URL --user-code CODE --username USER --action approve|deny

The password comes from $DSO_HOOK_PASSWORD (kept off the command line). Exit status, as the
device_signon suite expects of a hook: 0 done, 1 the page refused (unknown, expired or used code,
wrong password), 2 anything else (the pages did not look as expected, network trouble).
"""

from __future__ import annotations

import argparse
import os
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

DONE, REFUSED, TROUBLE = 0, 1, 2


class Forms(HTMLParser):
    """Each form's id, action and hidden inputs (enough for these plain pages)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._current: dict | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = {"action": a.get("action", ""), "inputs": {}}
            self.forms[a.get("id", "")] = self._current
        elif tag == "input" and self._current is not None and a.get("name"):
            self._current["inputs"][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


class Refused(Exception):
    pass


class Trouble(Exception):
    pass


def _form(resp: httpx.Response, form_id: str) -> dict:
    forms = Forms(resp.text).forms
    if form_id not in forms:
        raise Trouble(f"{resp.request.url.path}: HTTP {resp.status_code} without form {form_id!r}")
    return forms[form_id]


def run(verification_url: str, user_code: str, username: str, password: str, action: str) -> str:
    with httpx.Client(follow_redirects=True, timeout=10.0) as c:
        start = c.get(verification_url)
        code_form = _form(start, "op.deviceInputForm")
        typed = c.post(
            urljoin(str(start.url), code_form["action"]),
            data={**code_form["inputs"], "user_code": user_code},
        )
        forms = Forms(typed.text).forms
        if "op.deviceConfirmForm" not in forms:
            if "op.deviceInputForm" in forms:  # re-rendered: unknown, expired or used code
                raise Refused("the user code was refused")
            raise Trouble(f"after the user code: HTTP {typed.status_code}, no confirmation form")
        confirm = forms["op.deviceConfirmForm"]
        login_page = c.post(urljoin(str(typed.url), confirm["action"]), data=confirm["inputs"])
        login = _form(login_page, "login")
        consent_page = c.post(
            urljoin(str(login_page.url), login["action"]),
            data={"username": username, "password": password, "action": "login"},
        )
        if consent_page.status_code == 401:
            raise Refused("the sign-in was refused")
        consent = _form(consent_page, "consent")
        done = c.post(urljoin(str(consent_page.url), consent["action"]), data={"action": action})
        if action == "approve":
            if done.status_code != 200 or "Sign-in Success" not in done.text:
                raise Trouble(f"no success page after approving (HTTP {done.status_code})")
            return "approved"
        # A denial ends on the code input page again, saying the sign-in was interrupted.
        if done.status_code != 200 or "interrupted" not in done.text:
            raise Trouble(f"no 'interrupted' page after denying (HTTP {done.status_code})")
        return "denied"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--verification-url", required=True)
    p.add_argument("--user-code", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--action", choices=("approve", "deny"), required=True)
    args = p.parse_args(argv)
    password = os.environ.get("DSO_HOOK_PASSWORD")
    if password is None:
        print("approve.py: DSO_HOOK_PASSWORD is not set", file=sys.stderr)
        return TROUBLE
    try:
        print(run(args.verification_url, args.user_code, args.username, password, args.action))
    except Refused as exc:
        print(f"approve.py: refused: {exc}", file=sys.stderr)
        return REFUSED
    except (Trouble, httpx.HTTPError) as exc:
        print(f"approve.py: {type(exc).__name__}: {exc}", file=sys.stderr)
        return TROUBLE
    return DONE


if __name__ == "__main__":
    sys.exit(main())
