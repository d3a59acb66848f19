"""Profiles Partner refuses a validly signed answer to a live request when the PFS beside it is not
valid (docs/partner_sso.md: the PFS table, rule 50, INFERRED), and creates no appleSSO profile."""

from __future__ import annotations

import pytest

from conformance.suite.partner_sso import checks

req = pytest.mark.requirement
PREFIX = "invalid_header_pfs_"

# name -> (requirement, expected code, codes also accepted).
CASES = {
    "absent": ("PTR-PFS-001", "permission_access_not_present", ()),
    "no-access-status": ("PTR-PFS-001", "permission_access_not_present", ()),
    "not-base64": ("PTR-PFS-001", "permission_access_not_present", ()),
    "not-json": ("PTR-PFS-001", "permission_access_not_present", ()),
    "not-object": ("PTR-PFS-001", "permission_access_not_present", ()),
    "notDetermined": ("PTR-PFS-002", "permission_access_not_determined", ()),
    "pending": ("PTR-PFS-002", "permission_access_not_determined", ("permission_access_not_granted",)),
    "denied": ("PTR-PFS-003", "permission_access_not_granted", ()),
    "restricted": ("PTR-PFS-003", "permission_access_not_granted", ()),
    "unknown-id": ("PTR-PFS-004", "provider_id_not_determined", ()),
    "expired": ("PTR-PFS-005", "provider_info_expired", ()),
    # The design checks the SAML before the mismatch, and the suite signs for one MVPD only: a
    # vendor that judges the response against the PFS's MVPD refuses it as SAML first. Either
    # refusal keeps the profile out; the report shows which code came.
    "other-mvpd": ("PTR-PFS-006", "provider_id_mismatch", ("saml_response",)),
}


@pytest.mark.parametrize(
    "case, rid, code, also",
    [pytest.param(k, r, c, a, marks=req(r), id=k) for k, (r, c, a) in CASES.items()],
)
def test_profiles_partner_refuses_invalid_pfs(partner, app, check, case, rid, code, also):
    partner.with_pfs(app)
    if case == "other-mvpd":
        value = partner.pfs(app, "granted", partner.need("sso_disabled_mvpd"))
    elif case == "absent":
        value = None
    else:
        value = partner.pfs(app, case)
    _, request = partner.partner_request(app)
    resp = partner.profiles_partner(app, partner.respond(request), pfs_value=value)
    also = tuple("invalid_parameter_" + a if a == "saml_response" else PREFIX + a for a in also)
    checks.error(check, rid, resp, PREFIX + code, also=also)
    checks.no_apple_profile(check, rid, partner, app, f"a PFS {case}")
