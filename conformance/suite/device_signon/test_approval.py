"""Approval of a registration code: the companion app (D3) and the operator portal (D4)."""

from __future__ import annotations

import secrets

import pytest

from conformance.bodies import body_of
from conformance.jose import claims_of
from conformance.suite.device_signon.checks import nothing_approved
from conformance.suite.device_signon.codes import never_issued

req = pytest.mark.requirement


def bound_account(tokens: dict) -> str | None:
    claims = claims_of(tokens.get("access_token")) or {}
    return tokens.get("accountId") or claims.get("accountId")


# --- D3 (companion) ----------------------------------------------------------------------------


@req("DSO-APPR-001")
def test_companion_approval(dso, check):
    reg = dso.register()
    resp = dso.approve(reg.code)
    check.status("DSO-APPR-001", resp, 202)


@req("DSO-APPR-002")
def test_companion_approval_without_token(dso, check):
    reg = dso.register()
    resp = dso.approve(reg.code, token="")
    check.status("DSO-APPR-002", resp, 400)
    nothing_approved(check, "DSO-APPR-002", dso, reg)


@req("DSO-APPR-003")
def test_companion_approval_with_invalid_token(dso, check):
    reg = dso.register()
    real = dso.companion_token("primary")
    for forged in ("not-a-token-" + secrets.token_hex(8), real[:-6] + "AAAAAA"):
        check.status("DSO-APPR-003", dso.approve(reg.code, token=forged), 403)
    nothing_approved(check, "DSO-APPR-003", dso, reg)


@req("DSO-APPR-004")
def test_companion_approval_without_code(dso, check):
    dso.register()
    check.status("DSO-APPR-004", dso.approve(None, role="primary"), 400)


@req("DSO-APPR-005")
def test_companion_approval_of_unknown_code(dso, check):
    reg = dso.register()
    check.status("DSO-APPR-005", dso.approve(never_issued(reg.code), role="primary"), 404)


@req("DSO-APPR-006")
def test_companion_approval_twice(dso, check):
    reg = dso.register()
    first = dso.approve(reg.code)
    if not 200 <= first.status_code < 300:
        pytest.skip("first approval failed (DSO-APPR-001 reports it)")
    check.status("DSO-APPR-006", dso.approve(reg.code), 403)


@req("DSO-APPR-008")
def test_companion_approval_after_delivery(dso, check):
    reg, _, _ = dso.activated()
    check.status("DSO-APPR-008", dso.approve(reg.code), 403)


@req("DSO-APPR-009")
def test_companion_approval_normalises_code(dso, check):
    for variant in (
        lambda c: c.lower(),
        lambda c: f"{c[: len(c) // 2]}-{c[len(c) // 2 :]}".lower(),
        lambda c: f"{c[: len(c) // 2]} {c[len(c) // 2 :]}",
    ):
        reg = dso.register()
        typed = variant(reg.code)
        resp = dso.approve(typed)
        check.that(
            "DSO-APPR-009",
            200 <= resp.status_code < 300,
            f"the code typed as {typed!r} was refused ({resp.status_code})",
            passed="lower case, dash and space accepted",
        )


@req("DSO-APPR-010")
def test_companion_approval_brute_force(dso, check):
    cfg = dso.section.get("bruteforce", {})
    attempts = int(cfg.get("attempts", 9))
    reg = dso.register()
    token = dso.companion_token("lockout")
    statuses = [dso.approve(never_issued(reg.code), token=token).status_code for _ in range(attempts)]
    check.that(
        "DSO-APPR-010",
        429 in statuses[:9],
        f"{attempts} wrong codes were never throttled: {statuses}",
        passed=f"throttled after {statuses.index(429) if 429 in statuses else '?'} wrong codes",
    )
    right = dso.approve(reg.code, token=token)
    check.that(
        "DSO-APPR-010",
        not 200 <= right.status_code < 300,
        f"the right code was accepted while throttled ({right.status_code})",
        passed=f"the right code refused while throttled ({right.status_code})",
    )


@req("DSO-APPR-011")
def test_companion_approval_binds_approver(dso, check):
    if "companion" not in dso.approvals():
        pytest.skip("no companion route")
    acct = dso.account("secondary")
    if not acct.get("account_id"):
        pytest.skip("the secondary account has no account_id in the profile")
    reg = dso.register()
    resp = dso.approve(reg.code, role="secondary")
    if not 200 <= resp.status_code < 300:
        pytest.skip("approval failed (DSO-APPR-001 reports it)")
    _, got = dso.collect(reg)
    tokens = body_of(dso.activation_sign_on(got["signOnActivationToken"]))
    seen = bound_account(tokens)
    check.that(
        "DSO-APPR-011",
        seen == acct["account_id"],
        f"the device landed on account {seen!r}, not the approver's",
        passed="the device is on the approver's account",
    )


@req("DSO-APPR-012")
def test_companion_approval_refuses_operator_token(dso, check):
    reg = dso.register()
    op = dso.operator_token()
    check.status("DSO-APPR-012", dso.approve(reg.code, token=op), 403)
    nothing_approved(check, "DSO-APPR-012", dso, reg)


# --- D4 (operator portal) ----------------------------------------------------------------------


def account_id(dso, role: str = "secondary") -> str:
    acct = dso.account(role)
    if not acct.get("account_id"):
        pytest.skip(f"the {role} account has no account_id in the profile")
    return acct["account_id"]


@req("DSO-PORT-001")
def test_portal_approval(dso, check):
    reg = dso.register()
    check.status("DSO-PORT-001", dso.portal_approve(reg.code, account_id(dso)), 202)


@req("DSO-PORT-002")
def test_portal_approval_without_tenant(dso, check):
    reg = dso.register()
    check.status("DSO-PORT-002", dso.portal_approve(reg.code, account_id(dso), tenant=None), 400)


@req("DSO-PORT-003")
def test_portal_approval_without_account(dso, check):
    reg = dso.register()
    check.status("DSO-PORT-003", dso.portal_approve(reg.code, None), 400)


@req("DSO-PORT-004")
def test_portal_approval_with_device_token(dso, check):
    reg = dso.register()
    device = dso.companion_token("primary")
    check.status("DSO-PORT-004", dso.portal_approve(reg.code, account_id(dso), token=device), 403)


@req("DSO-PORT-005")
def test_portal_approval_binds_account(dso, check):
    target = account_id(dso)
    reg = dso.register()
    resp = dso.portal_approve(reg.code, target)
    if not 200 <= resp.status_code < 300:
        pytest.skip("portal approval failed (DSO-PORT-001 reports it)")
    _, got = dso.collect(reg)
    tokens = body_of(dso.activation_sign_on(got["signOnActivationToken"]))
    seen = bound_account(tokens)
    check.that(
        "DSO-PORT-005",
        seen == target,
        f"the device landed on account {seen!r}, not the given accountId",
        passed="the device is on the given account",
    )


@req("DSO-PORT-006")
def test_portal_approval_of_unknown_code(dso, check):
    reg = dso.register()
    check.status("DSO-PORT-006", dso.portal_approve(never_issued(reg.code), account_id(dso)), 404)


@req("DSO-PORT-007")
def test_portal_approval_with_invalid_token(dso, check):
    reg = dso.register()
    check.status(
        "DSO-PORT-007",
        dso.portal_approve(reg.code, account_id(dso), token="forged-" + secrets.token_hex(16)),
        403,
    )


@req("DSO-PORT-008")
def test_portal_approval_with_other_tenant(dso, check):
    reg = dso.register()
    other = "other-tenant-" + secrets.token_hex(4)
    check.status("DSO-PORT-008", dso.portal_approve(reg.code, account_id(dso), tenant=other), 403)
