"""A real browser for the suite and the project's tests: Debian's chromium driven by Playwright.

Playwright's own browser download cannot run here, so the distribution's chromium is launched
by path (`./kit` installs it when missing).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


class BrowserUnavailable(RuntimeError):
    pass


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise BrowserUnavailable("no chromium found: install Debian's chromium (./kit does it when run as root)")


@contextmanager
def browser(headless: bool = True) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=headless, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
