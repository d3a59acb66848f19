"""The fixtures every `platform_sso` test shares: the client, registered applications, signed-in flows.

The client itself is in ``client``, what the suite signs in ``tokens``, the named checks in
``checks`` and the answer readers in ``readers``: tests import those modules, never this one.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from conformance.http import Http
from conformance.profile import Profile
from conformance.redact import Redactor
from conformance.suite.platform_sso.client import App, Psso


@pytest.fixture(scope="session")
def psso(profile: Profile, http: Http, redactor: Redactor) -> Psso:
    return Psso(profile, http, redactor)


@pytest.fixture
def app(psso: Psso) -> App:
    """A fresh registration of the first application on a fresh device."""
    return psso.app("first")


@pytest.fixture(scope="session")
def expiring(psso: Psso) -> dict[str, tuple[App, dict[str, Any]]]:
    """The flows the expiry tests outwait, all started on first use: their clocks run together, so
    the run sits out the longest lifetime once instead of each one in turn."""
    code_app, profile_app = psso.app("first"), psso.app("first")
    return {
        "session": (code_app, psso.start_session(code_app)),  # an authentication code, never used
        "signed_in": (profile_app, psso.authenticate(profile_app)),  # a regular profile
    }


@pytest.fixture(scope="session", autouse=True)
def _expiry_clocks_start_first(request: pytest.FixtureRequest) -> None:
    # Before the first platform_sso test, so that the expiry waits overlap the whole run.
    if any("expiring" in getattr(item, "fixturenames", ()) for item in request.session.items):
        # A failure is cached by pytest: the expiry tests report it themselves, not every test.
        with contextlib.suppress(Exception, pytest.skip.Exception):
            request.getfixturevalue("expiring")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The expiry tests sleep until their flows expire: last, once every other test used that time.
    items.sort(key=lambda item: "expiring" in getattr(item, "fixturenames", ()))


@pytest.fixture
def signed_in(psso: Psso, app: App) -> tuple[App, dict[str, Any]]:
    """The first application after a completed MVPD login of the primary account."""
    return app, psso.authenticate(app)
