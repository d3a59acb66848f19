"""Who sees the appleSSO profile: only its application on its device, and only with a valid PFS."""

from __future__ import annotations

import copy

import pytest

from conformance.bodies import body_of
from conformance.suite.partner_sso.client import profiles_map
from conformance.suite.platform_sso.client import device_id

req = pytest.mark.requirement


@req("PTR-PRF-003")
@pytest.mark.parametrize("pfs_case", ["absent", "denied"])
def test_apple_profile_needs_a_valid_pfs(partner, signed_in, check, pfs_case):
    app, _ = signed_in
    value = None if pfs_case == "absent" else partner.pfs(app, "denied")
    for path_mvpd in (None, partner.mvpd):
        resp = app.profiles(path_mvpd, h={"AP-Partner-Framework-Status": value})
        where = f"GET /profiles{'/' + path_mvpd if path_mvpd else ''}"
        shown = profiles_map(resp).get(partner.mvpd)
        check.that(
            "PTR-PRF-003",
            resp.status_code == 200 and isinstance(body_of(resp).get("profiles"), dict),
            f"{where} with PFS {pfs_case} answers HTTP {resp.status_code} {resp.text[:100]!r}, expected 200 "
            "with a profiles object",
            passed=f"{where}: HTTP 200",
        )
        check.that(
            "PTR-PRF-003",
            not (isinstance(shown, dict) and shown.get("type") == "appleSSO"),
            f"{where} with PFS {pfs_case} still shows the appleSSO profile",
            passed=f"{where} with PFS {pfs_case}: no appleSSO profile",
        )


@req("PTR-PRF-004")
def test_apple_profile_bound_to_device(partner, signed_in, check):
    app, _ = signed_in
    other = copy.copy(app)
    other.device = device_id()
    shown = partner.apple_profile(other)
    check.that(
        "PTR-PRF-004",
        shown is None,
        "the same application on another device sees the appleSSO profile",
        passed="another device sees no appleSSO profile",
    )


@req("PTR-PRF-005")
def test_apple_profile_bound_to_application(partner, signed_in, check):
    app, _ = signed_in
    other = partner.app("second")
    other.device = app.device
    partner.with_pfs(other)
    shown = partner.apple_profile(other)
    check.that(
        "PTR-PRF-005",
        shown is None,
        "another application on the same device sees the appleSSO profile",
        passed="another application sees no appleSSO profile",
    )
