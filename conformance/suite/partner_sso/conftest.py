"""The fixtures every `partner_sso` test shares: the client, a registered application, a sign-in.

The client is in ``client`` (platform_sso's ``Psso`` read from ``[partner_sso]``, plus the partner
calls), PFS values in ``pfs``, SAML in ``saml`` and the named checks in ``checks``: tests import
those modules, never this one.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.http import Http
from conformance.profile import Profile
from conformance.redact import Redactor
from conformance.suite.partner_sso.client import Partner
from conformance.suite.platform_sso.client import App


@pytest.fixture(scope="session")
def partner(profile: Profile, http: Http, redactor: Redactor) -> Partner:
    return Partner(profile, http, redactor)


@pytest.fixture
def app(partner: Partner) -> App:
    """A fresh registration of the first application on a fresh device (no PFS yet)."""
    return partner.app("first")


@pytest.fixture
def signed_in(partner: Partner, app: App) -> tuple[App, dict[str, Any]]:
    """The first application after the partner flow: it sends a valid PFS and holds an appleSSO
    profile (the one Profiles Partner answered with)."""
    return app, partner.sign_in(app)
