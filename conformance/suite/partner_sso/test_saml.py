"""Profiles Partner refuses every SAML response it must not trust (OASIS SAML V2.0 Profiles §4.1.4.3,
docs/partner_sso.md), with 400 invalid_parameter_saml_response, and no appleSSO profile appears.

Each forgery answers a live request of the application (Sessions Partner with a valid PFS), so a
vendor that refused it for want of a request would not pass by accident. Forgeries made with the
MVPD's trusted key skip when the vendor's hook makes the responses (features.saml = "hook").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conformance.checks import Blocked
from conformance.suite.partner_sso import checks, saml
from conformance.suite.partner_sso.client import profiles_map

req = pytest.mark.requirement


def _live(partner, app) -> saml.SamlRequest:
    partner.with_pfs(app)
    _, request = partner.partner_request(app)
    return request


def _refused(partner, app, check, rid: str, value: str, what: str) -> None:
    partner.redactor.remember(value)
    resp = partner.profiles_partner(app, value)
    checks.saml_refused(check, rid, resp, sent=f"{what} ({saml.structure(value)})")
    checks.no_apple_profile(check, rid, partner, app, what)


def _accepted_then_signed_out(partner, app, value: str) -> None:
    """Profiles Partner accepts the genuine ``value`` and logout removes the profile: the ground a
    replay or a second answer is judged on. Else the test is BLOCKED by the requirement that failed."""
    first = partner.profiles_partner(app, value)
    if first.status_code not in (200, 201) or partner.mvpd not in profiles_map(first):
        raise Blocked(f"the genuine response was not accepted (HTTP {first.status_code})", by="PTR-PP-001")
    logout = app.logout()
    if partner.apple_profile(app) is not None:
        raise Blocked(f"the profile survived logout (HTTP {logout.status_code})", by="PTR-LOG-002")


def _refused_when_signed(partner, app, check, rid: str, what: str, **answer: Any) -> None:
    """A response answering a live request, signed with the MVPD's trusted key, but whose assertion
    differs from a valid one by ``answer`` (validity, audience, issuer): refused."""
    partner.need_signing(what)
    request = _live(partner, app)
    value = partner.made(partner.signed(partner.answer(request.id, **answer)))
    _refused(partner, app, check, rid, value, what)


def _signed_assertion(value: str) -> Any:
    root = saml.parse_response(value)
    found = [a for a in saml.assertions_of(root) if a.find(saml.q(saml.DS, "Signature")) is not None]
    return found[0] if found else None


@req("PTR-SAML-001")
def test_unsigned_assertion(partner, app, check):
    request = _live(partner, app)
    value = partner.made(saml.signed_response(partner.answer(request.id), None))
    _refused(partner, app, check, "PTR-SAML-001", value, "an unsigned assertion")


@req("PTR-SAML-002")
def test_assertion_signed_by_untrusted_key(partner, app, check):
    request = _live(partner, app)
    value = partner.made(partner.signed(partner.answer(request.id), saml.forger()))
    _refused(partner, app, check, "PTR-SAML-002", value, "an assertion signed by an untrusted key")


@req("PTR-SAML-003")
def test_assertion_altered_after_signing(partner, app, check):
    request = _live(partner, app)
    other = f"someone-else-{request.id[-8:]}"
    partner.redactor.remember(other)
    value = saml.tampered_name_id(partner.respond(request), other)
    if value is None:
        raise Blocked("the valid response has no NameID to alter")
    _refused(partner, app, check, "PTR-SAML-003", value, "a NameID altered after signing")


@req("PTR-SAML-004")
def test_in_response_to_names_no_request(partner, app, check):
    request = _live(partner, app)
    never = saml.new_id()
    partner.redactor.remember(never)
    if partner.saml_mode == "hook":  # the hook answers a request the vendor never issued
        fake = request.b64 if request.xml is None else _with_id(request, never)
        value = partner.hook_response(fake)
    else:
        value = partner.made(partner.signed(partner.answer(never)))
    _refused(partner, app, check, "PTR-SAML-004", value, "an InResponseTo naming no issued request")


def _with_id(request: saml.SamlRequest, new: str) -> str:
    from lxml import etree

    root = etree.fromstring(request.xml, saml.SAFE_PARSER)
    root.set("ID", new)
    return saml.b64(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@req("PTR-SAML-005")
def test_replayed_response(partner, app, check):
    value = partner.respond(_live(partner, app))
    _accepted_then_signed_out(partner, app, value)
    _refused(partner, app, check, "PTR-SAML-005", value, "the same response sent again")


@req("PTR-PP-006")
def test_second_answer_to_one_request(partner, app, check):
    request = _live(partner, app)
    _accepted_then_signed_out(partner, app, partner.respond(request))
    fresh = partner.respond(request)  # a new response (new IDs, new signature) to the same request
    _refused(partner, app, check, "PTR-PP-006", fresh, "a second response to an answered request")


@req("PTR-SAML-006")
def test_expired_assertion(partner, app, check):
    now = saml.utcnow()
    window = {"not_before": now - dt.timedelta(minutes=20), "not_on_or_after": now - dt.timedelta(minutes=10)}
    _refused_when_signed(partner, app, check, "PTR-SAML-006", "an assertion past its NotOnOrAfter", **window)


@req("PTR-SAML-007")
def test_wrong_audience(partner, app, check):
    other = "https://sp.other.example.test/saml"
    _refused_when_signed(partner, app, check, "PTR-SAML-007", "an Audience other than the SP", audience=other)


@req("PTR-SAML-008")
def test_wrong_issuer(partner, app, check):
    idp = "https://idp.other-mvpd.example.test"
    _refused_when_signed(partner, app, check, "PTR-SAML-008", "an Issuer other than the MVPD's", idp=idp)


@req("PTR-SAML-009")
def test_signature_wrapping(partner, app, check):
    genuine = partner.respond(_live(partner, app))
    _accepted_then_signed_out(partner, app, genuine)
    signed = _signed_assertion(genuine)
    if signed is None:
        raise Blocked("the genuine response has no signed assertion to wrap")
    live = _live(partner, app)
    value = partner.made(saml.wrapped(partner.answer(live.id), signed))
    _refused(partner, app, check, "PTR-SAML-009", value, "a wrapped signature")


@req("PTR-SAML-010")
def test_request_of_another_application(partner, app, check):
    _live(partner, app)  # the victim application has a live request of its own
    other = partner.app("second")
    other.device = app.device  # the same device: only the application differs
    theirs = _live(partner, other)
    value = partner.respond(theirs)  # validly signed, for the other application's request
    _refused(partner, app, check, "PTR-SAML-010", value, "a response to another application's request")
