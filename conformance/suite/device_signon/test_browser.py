"""The verification page in a real browser (Playwright + chromium): one full approval.

A browser on a loaded machine can take longer than a short-lived user code: a step that finds the
code refused is judged only if the code was certainly still valid then (conformance/deadlines.py);
otherwise the suite was too slow, and the approval is tried once more with a fresh code.
"""

from __future__ import annotations

import pytest

from conformance.bodies import body_of, error_code
from conformance.checks import Blocked
from conformance.deadlines import now

req = pytest.mark.requirement
TIMEOUT_MS = 30_000  # per browser step: chromium on a busy machine is slow (not the vendor's fault)


@req("DSO-PAGE-001")
def test_browser_approval(dso, check):
    from conformance.browser import BrowserUnavailable, browser

    if dso.page_by_hook:
        pytest.skip("the page is driven through the approval hook: its layout is the vendor's own")
    acct = dso.account("primary")
    try:
        with browser() as b:
            page = b.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            da = dso.authorize()  # after the browser started: the code may live only seconds
            resp = page.goto(dso.url("verification_url"))
            check.that(
                "DSO-PAGE-001",
                resp is not None and resp.ok,
                "the page did not load",
                passed="the page loaded",
                fatal=True,
            )
            form = page.locator("form#signin")
            fields = [form.locator(f"input[name={n}]").count() for n in ("username", "password", "user_code")]
            check.that(
                "DSO-PAGE-001",
                all(fields),
                "form#signin lacks a username, password or user_code field",
                passed="form#signin has username, password and user_code fields",
                fatal=True,
            )
            form.locator("input[name=username]").fill(acct["username"])
            form.locator("input[name=password]").fill(acct["password"])
            form.locator("input[name=user_code]").fill(da.user_code)
            form.locator("button[name=action][value=continue]").click()
            page.wait_for_selector("form#consent, #error")
            if page.locator("form#consent").count() != 1:
                da.deadline.require_valid("the browser's sign-in with the user code", now())
            check.that(
                "DSO-PAGE-001",
                page.locator("form#consent").count() == 1,
                "no consent step",
                passed="the consent step came",
                fatal=True,
            )
            page.locator("#approve").click()
            page.wait_for_selector("#result, #error")
            result = (
                page.locator("#result").get_attribute("data-result")
                if page.locator("#result").count()
                else None
            )
            if result != "approved":
                da.deadline.require_valid("the browser's approval", now())
            check.that(
                "DSO-PAGE-001",
                result == "approved",
                f"the page ended with {result!r}",
                passed="the page approved",
            )
    except BrowserUnavailable as exc:
        raise Blocked(f"no browser: {exc}") from None
    da.wait_interval()
    resp = dso.token_poll(da.device_code)
    check.that(
        "DSO-PAGE-001",
        "access_token" in body_of(resp),
        f"no tokens after the browser approval ({resp.status_code} {error_code(resp)})",
        passed="signed in, typed the code and approved in a real browser; the device got its tokens",
    )
