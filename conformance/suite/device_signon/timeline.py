"""Flows that must expire: started together before the first test, each probed at its own deadline.

An expiry check outwaits a vendor lifetime (a minute to ten for real vendors). Every flow that must
expire is created at once when the session starts (conftest.py), and each is probed in a background
thread at its deadline: the waits overlap each other and the rest of the suite, yet every probe
still comes on time (a mid-life poll before the expiry, an expired code tried soon after it, before
a vendor may purge it). The tests of test_expiry.py run last and judge what the probes saw; each
gets the exchanges that created its flow (marked shared) and those of its probe.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from conformance.checks import Blocked
from conformance.http import Evidence, Http

MARGIN = 0.35  # seconds past a deadline before probing; at least 5% of the lifetime


def past(ttl: float) -> float:
    """How long after a flow's start it must have expired."""
    return ttl + max(MARGIN, ttl * 0.05)


class Cancelled(Exception):
    """The session ended before the probe's deadline."""


class Probe:
    def __init__(self) -> None:
        self.setup: list[dict[str, Any]] = []
        self.exchanges: list[dict[str, Any]] = []
        self.wait, self.what = 0.0, ""
        self.failed: BaseException | None = None  # the flow could not be created
        self.future: Future[Any] = Future()


class Timeline:
    def __init__(self, dso: Any, allowed: Callable[[float], bool]) -> None:
        self.dso, self.allowed = dso, allowed
        self.probes: dict[str, Probe] = {}
        self._stop = threading.Event()

    def _own_dso(self) -> Any:
        # The run's client, redactor and token caches, but evidence of its own: a flow records
        # into no test's evidence until a test asks for it.
        http = copy.copy(self.dso.http)
        http.evidence = Evidence()
        dso = copy.copy(self.dso)
        dso.http = http
        return dso

    def start(
        self,
        name: str,
        arrange: Callable[[Any], Any],
        wait: Callable[[Any], float],
        what: str,
        probe: Callable[[Any, Any], Any],
    ) -> None:
        """``arrange(dso)`` now; then, if a wait of ``wait(flow)`` is allowed, ``probe(dso, flow)``
        in the background."""
        p = self.probes[name] = Probe()
        dso = self._own_dso()
        http = dso.http
        try:
            flow = arrange(dso)
            p.wait, p.what = wait(flow), what
        except Exception as exc:  # noqa: BLE001 - Blocked or HarnessError: the test re-raises it
            p.failed = exc
            return
        finally:
            p.setup = http.evidence.exchanges
            http.evidence = Evidence()
        p.exchanges = http.evidence.exchanges
        if self.allowed(p.wait):
            threading.Thread(target=self._run, args=(p, probe, dso, flow), daemon=True).start()

    @staticmethod
    def _run(p: Probe, probe: Callable[[Any, Any], Any], dso: Any, flow: Any) -> None:
        try:
            p.future.set_result(probe(dso, flow))
        except BaseException as exc:  # noqa: BLE001 - handed to the test that waits for it
            p.future.set_exception(exc)

    def sleep_until(self, at: float) -> None:
        if self._stop.wait(max(0.0, at - time.monotonic())):
            raise Cancelled

    def stop(self) -> None:
        self._stop.set()

    def result(self, name: str, http: Http, outwait: Callable[[float, str], None]) -> Any:
        """What the probe of ``name`` saw, once it has; its exchanges go to the current test."""
        p = self.probes.get(name)
        if p is None:
            raise Blocked(f"{name} was not prepared (variant not in the profile)")
        for exchange in p.setup:
            http.evidence.exchanges.append({**exchange, "shared": True})
        if p.failed is not None:
            raise p.failed
        outwait(p.wait, p.what)
        if not self.allowed(p.wait):  # outwait skips first; never block on a probe that never started
            pytest.skip(f"{p.what} is not awaited")
        try:
            return p.future.result()
        finally:
            http.evidence.exchanges.extend(p.exchanges)


def start(dso: Any, allowed: Callable[[float], bool]) -> Timeline:
    """Create every flow the expiry tests need; each takes a few requests, so all clocks start together."""
    t = Timeline(dso, allowed)
    variants = dso.features.get("variants", [])
    unit = dso.expiry_unit
    reading = "s" if unit == "s" else "ms"

    def code_ttl(reg: Any) -> float:
        return reg.ttl_s(reading)

    def registered(d: Any) -> Any:
        return d.register()

    def approved(d: Any) -> Any:
        reg = d.register()
        d.approve_by_any_route(reg)
        return reg

    if "dsra" in variants:

        def unapproved(d: Any, reg: Any) -> dict[str, Any]:
            ttl = code_ttl(reg)
            t.sleep_until(reg.at + max(reg.period, ttl * 0.7))
            seen: dict[str, Any] = {"ttl": ttl, "reading": reading, "mid": d.poll(reg.token)}
            t.sleep_until(reg.at + past(ttl))
            seen["late"] = d.poll(reg.token)
            if 200 <= seen["late"].status_code < 300 and unit == "auto":
                ttl_s = reg.ttl_s("s")  # still alive under the ms reading: try the seconds reading
                if not t.allowed(past(ttl_s)):
                    seen["skip"] = f"expiry after {past(ttl_s):g}s is not awaited (use --include-slow)"
                    return seen
                t.sleep_until(reg.at + past(ttl_s))
                seen.update(late=d.poll(reg.token), reading="s", ttl=ttl_s)
            return seen

        def poll_late(d: Any, reg: Any) -> Any:
            t.sleep_until(reg.at + past(code_ttl(reg)))
            return d.poll(reg.token)

        def approve_late(d: Any, reg: Any) -> Any:
            t.sleep_until(reg.at + past(code_ttl(reg)))
            return d.approve(reg.code, role="primary")

        def sign_on_late(d: Any, reg: Any) -> tuple[Any, float]:
            _, got = d.collect(reg)  # waits one polling period
            collected, ttl = time.monotonic(), d.activation_ttl_s
            t.sleep_until(collected + past(ttl))
            return d.activation_sign_on(got["signOnActivationToken"]), ttl

        def expiry(reg: Any) -> float:
            return past(code_ttl(reg))

        def activation_expiry(reg: Any) -> float:
            return reg.period * 1.05 + past(dso.activation_ttl_s)

        t.start("pending", registered, expiry, "the registration's expiry", unapproved)
        t.start("approved", approved, expiry, "the registration's expiry", poll_late)
        t.start("late", registered, expiry, "the registration's expiry", approve_late)
        t.start("activation", approved, activation_expiry, "the activation token's expiry", sign_on_late)
    if "rfc8628" in variants:

        def device_expiry(da: Any) -> float:
            return past(da.expires_in)

        def token_poll_late(d: Any, da: Any) -> Any:
            t.sleep_until(da.at + device_expiry(da))
            return d.token_poll(da.device_code)

        def page_late(d: Any, da: Any) -> tuple[str, Any]:
            t.sleep_until(da.at + device_expiry(da))
            if d.page_by_hook:
                return "hook", d.hook(da.user_code, "primary", "approve")
            return "page", d.page_sign_in(da.user_code, "primary")

        def authorized(d: Any) -> Any:
            return d.authorize()

        t.start("da_poll", authorized, device_expiry, "the device code's expiry", token_poll_late)
        t.start("da_page", authorized, device_expiry, "the user code's expiry", page_late)
    return t
