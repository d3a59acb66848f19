"""Expiry: registration codes, DSRA tokens, activation tokens, device codes and user codes.

Everything that must expire is created at once (module fixture) so that one wait covers all
tests; each test then sleeps only until its own deadline. Waits beyond ~30 s need --include-slow.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conformance.checks import Blocked
from conformance.suite.device_signon.conftest import Page, body_of, error_code

req = pytest.mark.requirement
MARGIN = 0.35
UNITS = {"ms": "milliseconds", "s": "seconds"}


class Timeline:
    def __init__(self) -> None:
        self.items: dict[str, Any] = {}
        self.exchanges: list[dict[str, Any]] = []

    def get(self, name: str) -> Any:
        item = self.items.get(name)
        if isinstance(item, Exception):
            raise Blocked(str(item))
        if item is None:
            raise Blocked(f"{name} was not prepared")
        return item


def _try(timeline: Timeline, name: str, fn) -> None:
    try:
        timeline.items[name] = fn()
    except Blocked as exc:
        timeline.items[name] = exc


@pytest.fixture(scope="module")
def timeline(dso, http) -> Timeline:
    t = Timeline()
    start = len(http.evidence.exchanges)
    variants = dso.features.get("variants", [])
    if "dsra" in variants:
        _try(t, "pending", dso.register)
        _try(t, "late", dso.register)

        def approved():
            reg = dso.register()
            dso.approve_by_any_route(reg)
            return reg

        _try(t, "approved", approved)

        def activation():
            reg = dso.register()
            dso.approve_by_any_route(reg)
            _, got = dso.collect(reg)
            return got["signOnActivationToken"], time.monotonic()

        _try(t, "activation", activation)
    if "rfc8628" in variants:
        _try(t, "da_poll", dso.authorize)
        _try(t, "da_page", dso.authorize)
    t.exchanges = http.evidence.exchanges[start:]
    return t


@pytest.fixture
def tl(timeline: Timeline, http) -> Timeline:
    for exchange in timeline.exchanges:
        if not any(e is exchange for e in http.evidence.exchanges):
            http.evidence.exchanges.append({**exchange, "shared": True})
    return timeline


def _wait_or_skip(dso, request, seconds: float) -> None:
    if not dso.wait_allowed(request, seconds):
        pytest.skip(f"expiry after {seconds:g}s is not awaited (use --include-slow)")


@req("DSO-DSRA-011")
def test_unapproved_registration_expires(dso, check, tl, request):
    reg = tl.get("pending")
    unit = dso.expiry_unit
    ttl = reg.ttl_s("s" if unit == "s" else "ms")
    _wait_or_skip(dso, request, ttl + MARGIN)
    reg.sleep_until(max(reg.period, ttl * 0.7))
    mid = dso.poll(reg.token)
    check.that(
        "DSO-DSRA-011",
        200 <= mid.status_code < 300 and "signOnActivationToken" not in body_of(mid),
        f"at {ttl * 0.7:g}s of a {ttl:g}s lifetime D2 answered {mid.status_code}, expected pending (204)",
    )
    reg.sleep_until(ttl + max(MARGIN, ttl * 0.05))
    late = dso.poll(reg.token)
    reading = "s" if unit == "s" else "ms"
    if 200 <= late.status_code < 300 and unit == "auto":
        ttl_s = reg.ttl_s("s")
        _wait_or_skip(dso, request, ttl_s + MARGIN)
        reg.sleep_until(ttl_s + max(MARGIN, ttl_s * 0.05))
        late, reading, ttl = dso.poll(reg.token), "s", ttl_s
    check.that(
        "DSO-DSRA-011",
        late.status_code == 403 and "signOnActivationToken" not in body_of(late),
        f"after {ttl:g}s (expiresAfterMillis read as {reading}) D2 answered {late.status_code}, expected 403",
        f"204 before and 403 after {ttl:g}s: expiresAfterMillis read as {UNITS[reading]}",
    )


def _deadline(dso, reg) -> float:
    ttl = reg.ttl_s("s" if dso.expiry_unit == "s" else "ms")
    return ttl + max(MARGIN, ttl * 0.05)


@req("DSO-DSRA-012")
def test_approved_registration_expires(dso, check, tl, request):
    reg = tl.get("approved")
    _wait_or_skip(dso, request, _deadline(dso, reg))
    reg.sleep_until(_deadline(dso, reg))
    resp = dso.poll(reg.token)
    check.that(
        "DSO-DSRA-012",
        resp.status_code == 403 and "signOnActivationToken" not in body_of(resp),
        f"an approved registration past its expiry answered {resp.status_code}"
        f"{' with a token' if 'signOnActivationToken' in body_of(resp) else ''}",
        "403 and no token after the expiry",
    )


@req("DSO-APPR-007")
def test_expired_code_cannot_be_approved(dso, check, tl, request):
    reg = tl.get("late")
    _wait_or_skip(dso, request, _deadline(dso, reg))
    reg.sleep_until(_deadline(dso, reg))
    check.status("DSO-APPR-007", dso.approve(reg.code, role="primary"), 403)


@req("DSO-IAS-003")
def test_activation_token_expires(dso, check, tl, request):
    token, at = tl.get("activation")
    ttl = dso.activation_ttl_s
    _wait_or_skip(dso, request, ttl + MARGIN)
    delay = at + ttl + max(MARGIN, ttl * 0.05) - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    resp = dso.activation_sign_on(token)
    check.that(
        "DSO-IAS-003",
        not 200 <= resp.status_code < 300 and "access_token" not in body_of(resp),
        f"an activation token {ttl:g}s old was accepted ({resp.status_code})",
        f"refused after {ttl:g}s ({resp.status_code})",
    )


@req("DSO-8628-011")
def test_device_code_expires(dso, check, tl, request):
    da = tl.get("da_poll")
    wait = da.expires_in + max(MARGIN, da.expires_in * 0.05)
    _wait_or_skip(dso, request, wait)
    da.sleep_until(wait)
    resp = dso.token_poll(da.device_code)
    check.status("DSO-8628-011", resp, 400)
    check.that("DSO-8628-011", error_code(resp) == "expired_token", f"error is {error_code(resp)!r}")


@req("DSO-PAGE-009")
def test_expired_user_code_on_page(dso, check, tl, request):
    da = tl.get("da_page")
    wait = da.expires_in + max(MARGIN, da.expires_in * 0.05)
    _wait_or_skip(dso, request, wait)
    da.sleep_until(wait)
    page = Page(dso.page_sign_in(da.user_code, "primary").text)
    check.that(
        "DSO-PAGE-009",
        "consent" not in page.inputs,
        "an expired user code reached the consent step",
        f"refused ({page.error})",
    )
