"""Flows that must expire: started together before the first test, each probed at its own deadline.

An expiry check outwaits a vendor lifetime (a minute to ten for real vendors). Every flow that must
expire is created at once when the session starts (conftest.py), and each is probed in a background
thread at its deadline: the waits overlap each other and the rest of the suite, yet every probe
still comes on time (a mid-life poll before the expiry, an expired code tried soon after it, before
a vendor may purge it). The tests of test_expiry.py run last and judge what the probes saw; each
gets the exchanges that created its flow (marked shared) and those of its probe.

Deadlines come from conformance/deadlines.py: a probe that must find a code expired is sent only
once the code has certainly expired (the latest the vendor may have started its clock, plus the
lifetime and a clock slack); one that must find it alive (the mid-life poll, the approval that
prepares a flow) raises ``Outrun`` if its answer came when the code may have expired. A flow that
outran its lifetime is created and probed once more, in the test's thread, before it is an ERROR.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from conformance.checks import Blocked
from conformance.deadlines import Deadline, Outrun, now
from conformance.http import Evidence, Http

MARGIN = 0.1  # seconds beyond the instant a code has certainly expired before probing it


def past(deadline: Deadline) -> float:
    """How long after the flow's start (the issuing answer) the probe goes: certainly expired by then."""
    return deadline.expired_from - deadline.issued_received + MARGIN


class Cancelled(Exception):
    """The session ended before the probe's deadline."""


class Probe:
    def __init__(self, arrange: Callable[[Any], Any], probe: Callable[[Any, Any], Any]) -> None:
        self.arrange, self.probe = arrange, probe
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
        p = self.probes[name] = Probe(arrange, probe)
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
        if self._stop.wait(max(0.0, at - now())):
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
        try:
            if p.failed is not None:
                raise p.failed
            outwait(p.wait, p.what)
            if not self.allowed(p.wait):  # outwait stops first; never block on a probe that never started
                pytest.skip(f"{p.what} is not awaited")
            try:
                return p.future.result()
            finally:
                http.evidence.exchanges.extend(p.exchanges)
        except Outrun as first:
            return self._again(p, http, first)

    def _again(self, p: Probe, http: Http, first: Outrun) -> Any:
        """The flow outran its lifetime: create and probe it once more, here, then it is an ERROR."""
        dso = self._own_dso()
        try:
            return p.probe(dso, p.arrange(dso))
        except Outrun as second:
            raise first.again(second) from None
        finally:
            http.evidence.exchanges.extend(dso.http.evidence.exchanges)


def start(dso: Any, allowed: Callable[[float], bool]) -> Timeline:
    """Create every flow the expiry tests need; each takes a few requests, so all clocks start together."""
    t = Timeline(dso, allowed)
    variants = dso.features.get("variants", [])
    unit = dso.expiry_unit
    reading = "s" if unit == "s" else "ms"

    def code_deadline(reg: Any) -> Deadline:
        if reg.declared is not None:
            return reg.deadline
        return Deadline(reg.sent, reg.at, reg.ttl_s(reading), "the registration code")

    def registered(d: Any) -> Any:
        return d.register()

    def approved(d: Any) -> Any:
        reg = d.register()
        d.approve_by_any_route(reg)
        return reg

    if "dsra" in variants:

        def unapproved(d: Any, reg: Any) -> dict[str, Any]:
            deadline = code_deadline(reg)
            ttl = deadline.lifetime
            t.sleep_until(reg.at + max(reg.period, ttl * 0.7))
            seen: dict[str, Any] = {"ttl": ttl, "reading": reading, "mid": d.poll(reg.token)}  # must be alive
            t.sleep_until(reg.at + past(deadline))
            seen["late"] = d.poll(reg.token, late=True)
            if 200 <= seen["late"].status_code < 300 and unit == "auto" and reg.declared is None:
                # still alive under the ms reading: try the seconds reading
                longer = Deadline(reg.sent, reg.at, reg.ttl_s("s"), "the registration code")
                if not t.allowed(past(longer)):
                    seen["not_awaited"] = (
                        past(longer),
                        f"expiry after {past(longer):g}s is not awaited (use --include-slow)",
                    )
                    return seen
                t.sleep_until(reg.at + past(longer))
                seen.update(late=d.poll(reg.token, late=True), reading="s", ttl=longer.lifetime)
            return seen

        def poll_late(d: Any, reg: Any) -> Any:
            t.sleep_until(reg.at + past(code_deadline(reg)))
            return d.poll(reg.token, late=True)

        def approve_late(d: Any, reg: Any) -> Any:
            t.sleep_until(reg.at + past(code_deadline(reg)))
            return d.approve(reg.code, role="primary", late=True)

        def sign_on_late(d: Any, reg: Any) -> tuple[Any, float]:
            _, got = d.collect(reg)  # waits one polling period
            token = got["signOnActivationToken"]
            deadline = d.deadlines.of(token)
            t.sleep_until(deadline.issued_received + past(deadline))
            return d.activation_sign_on(token, late=True), deadline.lifetime

        def expiry(reg: Any) -> float:
            return past(code_deadline(reg))

        def activation_expiry(reg: Any) -> float:
            ttl = dso.activation_ttl_s
            return reg.period * 1.05 + past(Deadline(0.0, 0.0, ttl))

        t.start("pending", registered, expiry, "the registration's expiry", unapproved)
        t.start("approved", approved, expiry, "the registration's expiry", poll_late)
        t.start("late", registered, expiry, "the registration's expiry", approve_late)
        t.start("activation", approved, activation_expiry, "the activation token's expiry", sign_on_late)
    if "rfc8628" in variants:

        def device_expiry(da: Any) -> float:
            return past(da.deadline)

        def token_poll_late(d: Any, da: Any) -> Any:
            t.sleep_until(da.at + device_expiry(da))
            return d.token_poll(da.device_code, late=True)

        def page_late(d: Any, da: Any) -> tuple[str, Any]:
            t.sleep_until(da.at + device_expiry(da))
            if d.page_by_hook:
                return "hook", d.hook(da.user_code, "primary", "approve", late=True)
            return "page", d.page_sign_in(da.user_code, "primary", late=True)

        def authorized(d: Any) -> Any:
            return d.authorize()

        t.start("da_poll", authorized, device_expiry, "the device code's expiry", token_poll_late)
        t.start("da_page", authorized, device_expiry, "the user code's expiry", page_late)
    return t
