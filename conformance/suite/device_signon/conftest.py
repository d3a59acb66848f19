"""Fixtures and hooks of the `device_signon` suite: the client, the one wait gate, the expiry timeline.

How the suite talks to the vendor (and the profile keys it reads) is in client.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance import deadlines
from conformance.checks import Checker
from conformance.http import Http
from conformance.profile import Profile
from conformance.redact import Redactor
from conformance.suite.device_signon import timeline as expiry_timeline
from conformance.suite.device_signon.client import Dso


@pytest.fixture(scope="session")
def dso(profile: Profile, http: Http, redactor: Redactor) -> Dso:
    return Dso(profile, http, redactor)


@pytest.fixture
def outwait(dso: Dso, request: pytest.FixtureRequest, check: Checker) -> Callable[[float, str], None]:
    """``outwait(seconds, what)`` stops the test unless it may wait that long on a vendor timing:
    every requirement it declares is then "not awaited" (the run is PARTIAL, not CONFORMANT).

    The one gate of waits on an advertised expiry or a widened interval (client.LONG_WAIT_S, longer
    only with --include-slow): every test that outwaits such a timing asks for this fixture, which is
    how benchmarks/device_timed_waits.py finds them.
    """

    def gate(seconds: float, what: str) -> None:
        if not dso.wait_allowed(request, seconds):
            why = f"{what} ({seconds:g}s) is not awaited (use --include-slow)"
            judged = {c.requirement for c in check.record.checks}
            for req in check.record.requirements:
                if req not in judged:
                    check.not_awaited(req, seconds, why)
            pytest.skip(why)

    return gate


@pytest.fixture(scope="session")
def timeline(dso: Dso, request: pytest.FixtureRequest):
    """The flows that must expire, each probed at its deadline in the background (timeline.py)."""
    t = expiry_timeline.start(dso, lambda seconds: dso.wait_allowed(request, seconds))
    yield t
    t.stop()


@pytest.fixture(scope="session", autouse=True)
def _expiry_clocks_start_first(request: pytest.FixtureRequest) -> None:
    # Before the first device_signon test, so that the expiry waits overlap the whole run.
    if any("timeline" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("timeline")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool:
    """A flow that outran a code's lifetime (the suite was slow, not the vendor) runs once more with
    fresh codes, then is an ERROR (deadlines.py)."""
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    check = pyfuncitem.funcargs.get("check")
    deadlines.retried(lambda: pyfuncitem.obj(**args), check.record.checks if check else None)
    return True


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The expiry tests block until their probes' deadlines: last, once every other test used that time.
    items.sort(key=lambda item: "timeline" in getattr(item, "fixturenames", ()))
