"""Sessions Partner falls back to the basic flow (200, never an error) when partner SSO cannot
proceed: a PFS that is not granted, absent, garbage or otherwise invalid; platform services
disabled for the MVPD; a missing parameter. Each fallback's code is a live authentication session.
"""

from __future__ import annotations

import pytest

from conformance.suite.partner_sso import checks

req = pytest.mark.requirement

# PFS variant -> the requirement its fallback judges (pfs.VARIANTS).
PFS_FALLBACKS = {
    "denied": "PTR-SESS-005",
    "restricted": "PTR-SESS-006",
    "notDetermined": "PTR-SESS-007",
    "absent": "PTR-SESS-008",
    "not-base64": "PTR-SESS-009",
    "not-json": "PTR-SESS-009",
    "not-object": "PTR-SESS-009",
    "no-access-status": "PTR-SESS-010",
    "pending": "PTR-SESS-010",
    "expired": "PTR-SESS-010",
    "unknown-id": "PTR-SESS-010",
}


@pytest.mark.parametrize(
    "variant, rid",
    [pytest.param(v, r, marks=req(r, "PTR-SESS-014"), id=v) for v, r in PFS_FALLBACKS.items()],
)
def test_pfs_fallback(partner, app, check, variant, rid):
    value = None if variant == "absent" else partner.pfs(app, variant)
    resp = partner.sessions_partner(app, pfs_value=value)
    body = checks.fallback(check, rid, partner, resp, "pfs_fallback")
    if body.get("mvpd") is not None and variant not in ("unknown-id",):
        check.that(
            rid,
            body.get("mvpd") == partner.mvpd,
            f"mvpd {body.get('mvpd')!r}, expected {partner.mvpd} (the PFS id maps to it)",
            passed=f"mvpd {partner.mvpd}",
        )
    checks.session_is_live(check, "PTR-SESS-014", app, resp, body, by=rid)


@req("PTR-SESS-011", "PTR-SESS-014")
def test_configuration_fallback(partner, app, check):
    disabled = partner.need("sso_disabled_mvpd")
    resp = partner.sessions_partner(app, pfs_value=partner.pfs(app, "granted", disabled))
    body = checks.fallback(check, "PTR-SESS-011", partner, resp, "configuration_fallback")
    checks.session_is_live(check, "PTR-SESS-014", app, resp, body, by="PTR-SESS-011")


@req("PTR-SESS-012", "PTR-SESS-014")
def test_missing_parameters_fallback(partner, app, check):
    partner.with_pfs(app)
    resp = partner.sessions_partner(app, redirectUrl=None)
    body = checks.fallback(
        check, "PTR-SESS-012", partner, resp, "missing_parameters_fallback", action=("resume", "direct")
    )
    missing = body.get("missingParameters")
    check.that(
        "PTR-SESS-012",
        isinstance(missing, list) and "redirectUrl" in missing,
        f"missingParameters is {missing!r}, expected a list with redirectUrl",
        passed=f"missingParameters {missing}",
    )
    checks.session_is_live(check, "PTR-SESS-014", app, resp, body, by="PTR-SESS-012")
