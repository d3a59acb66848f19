"""Errors of the partner endpoints: the partner, the common headers, the SAMLResponse parameter, and
the EEC shape of every top-level error (PTR-EEC-001 judges the shape, the others status and code)."""

from __future__ import annotations

import base64

import pytest

from conformance.suite.partner_sso import checks
from conformance.suite.partner_sso.client import CONTRACT, GARBAGE
from conformance.suite.platform_sso.checks import eec_shape, unauthorized

req = pytest.mark.requirement
ENDPOINTS = ("sessions", "profiles")
NOT_SAML = {
    "not-base64": "%%% this is not base64 %%%",
    "base64-text": base64.b64encode(b"hello, this is not XML").decode(),
    "base64-other-xml": base64.b64encode(b'<?xml version="1.0"?><note><to>nobody</to></note>').decode(),
    "base64-html": base64.b64encode(b"<html><body>SAML</body></html>").decode(),
}


def _call(partner, app, endpoint, **kw):
    if endpoint == "sessions":
        return partner.sessions_partner(app, **kw)
    return partner.profiles_partner(app, "PHNhbWxwOlJlc3BvbnNlLz4=", **kw)  # "<samlp:Response/>"


@req("PTR-SESS-015")
def test_sessions_partner_unsupported_partner(partner, app, check):
    partner.with_pfs(app)
    resp = partner.sessions_partner(app, partner=partner.unsupported_partner)
    checks.error(check, "PTR-SESS-015", resp, "invalid_parameter_partner")


@req("PTR-PP-005")
def test_profiles_partner_unsupported_partner(partner, app, check):
    partner.with_pfs(app)
    _, request = partner.partner_request(app)
    resp = partner.profiles_partner(app, partner.respond(request), partner=partner.unsupported_partner)
    checks.error(check, "PTR-PP-005", resp, "invalid_parameter_partner")
    checks.no_apple_profile(check, "PTR-PP-005", partner, app, "the unsupported partner")


@req("PTR-SESS-016")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_partner_without_device_identifier(partner, app, check, endpoint):
    partner.with_pfs(app)
    resp = _call(partner, app, endpoint, h={"AP-Device-Identifier": None})
    checks.error(check, "PTR-SESS-016", resp, "invalid_header_device_identifier")


@req("PTR-SESS-017")
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("bearer", ["absent", "unknown"])
def test_partner_without_valid_token(partner, app, check, endpoint, bearer):
    partner.with_pfs(app)
    auth = None if bearer == "absent" else f"Bearer {GARBAGE}"
    resp = _call(partner, app, endpoint, h={"Authorization": auth})
    unauthorized(check, "PTR-SESS-017", resp)


@req("PTR-PP-003")
def test_profiles_partner_without_saml_response(partner, app, check):
    partner.with_pfs(app)
    partner.partner_request(app)  # a live request: only the parameter is missing
    resp = partner.profiles_partner(app, None)
    checks.saml_refused(check, "PTR-PP-003", resp)


@req("PTR-PP-004")
@pytest.mark.parametrize("kind", list(NOT_SAML))
def test_profiles_partner_with_garbage_saml_response(partner, app, check, kind):
    partner.with_pfs(app)
    partner.partner_request(app)
    resp = partner.profiles_partner(app, NOT_SAML[kind])
    checks.saml_refused(check, "PTR-PP-004", resp)


CASES = [
    "sessions-unsupported-partner",
    "profiles-unsupported-partner",
    "sessions-no-device-identifier",
    "profiles-no-device-identifier",
    "profiles-no-saml-response",
    "profiles-garbage-saml-response",
    "profiles-no-pfs",
    "profiles-denied-pfs",
    "sessions-unknown-token",
]


def _provoke(partner, app, case):
    partner.with_pfs(app)
    if case == "sessions-unsupported-partner":
        return partner.sessions_partner(app, partner=partner.unsupported_partner)
    if case == "profiles-unsupported-partner":
        return partner.profiles_partner(app, NOT_SAML["base64-text"], partner=partner.unsupported_partner)
    if case == "sessions-no-device-identifier":
        return partner.sessions_partner(app, h={"AP-Device-Identifier": None})
    if case == "profiles-no-device-identifier":
        return partner.profiles_partner(app, NOT_SAML["base64-text"], h={"AP-Device-Identifier": None})
    if case == "profiles-no-saml-response":
        return partner.profiles_partner(app, None)
    if case == "profiles-garbage-saml-response":
        return partner.profiles_partner(app, NOT_SAML["not-base64"])
    if case == "profiles-no-pfs":
        return partner.profiles_partner(app, NOT_SAML["base64-text"], pfs_value=None)
    if case == "profiles-denied-pfs":
        return partner.profiles_partner(app, NOT_SAML["base64-text"], pfs_value=partner.pfs(app, "denied"))
    if case == "sessions-unknown-token":
        return partner.sessions_partner(app, h={"Authorization": f"Bearer {GARBAGE}"})
    raise AssertionError(case)


@req("PTR-EEC-001")
@pytest.mark.parametrize("case", CASES)
def test_partner_error_is_eec(partner, app, check, case):
    resp = _provoke(partner, app, case)
    if resp.status_code < 400:
        pytest.skip(f"no error was provoked (HTTP {resp.status_code}); its own requirement judges that")
    if resp.status_code == 401 and not resp.content.strip():
        check.that("PTR-EEC-001", True, "", passed="401 without a body (allowed, rule 10)")
        return
    eec_shape(check, "PTR-EEC-001", resp, CONTRACT)
