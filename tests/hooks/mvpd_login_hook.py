"""An MVPD login hook as a vendor would write one (features.mvpd_login = "hook"), for the reference
MVPD page: open the user-agent URL, fill the form, post it. Usage: mvpd_login_hook.py URL USERNAME,
with the password in $PSSO_HOOK_PASSWORD. Exit 0 = signed in, 1 = the page refused."""

from __future__ import annotations

import os
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx


class Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        elif tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")


def main() -> int:
    url, username = sys.argv[1], sys.argv[2]
    with httpx.Client(follow_redirects=True, timeout=5.0) as client:
        page = client.get(url)
        form = Form()
        form.feed(page.text)
        if form.action is None:
            print(f"no login form at {page.url}", file=sys.stderr)
            return 2
        fields = {**form.fields, "username": username, "password": os.environ["PSSO_HOOK_PASSWORD"]}
        done = client.post(urljoin(str(page.url), form.action), data=fields, follow_redirects=False)
    return 0 if done.status_code in (302, 303) else 1


if __name__ == "__main__":
    sys.exit(main())
