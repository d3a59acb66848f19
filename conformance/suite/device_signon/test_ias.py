"""IAS: sign-on with the activation token (I1), the companion's password sign-on, refresh."""

from __future__ import annotations

import time

import pytest

from conformance import openapi
from conformance.bodies import body_of
from conformance.checks import Blocked
from conformance.jose import claims_of
from conformance.oauth_checks import no_store
from conformance.suite.device_signon.checks import (
    codes_well_formed,
    enough_entropy,
    keeps_code_out,
    positive_number,
)

req = pytest.mark.requirement
SAMPLES = 8  # tokens sampled: enough that a fixed part cannot pass for chance (codes.entropy_bits)


@req("DSO-IAS-001", "DSO-IAS-006", "DSO-IAS-014", "DSO-IAS-015")
def test_activation_sign_on(dso, check):
    _, got, _ = dso.activated()
    resp = dso.activation_sign_on(got["signOnActivationToken"])
    check.status("DSO-IAS-001", resp, 201, fatal=not 200 <= resp.status_code < 300)
    body = check.json_object("DSO-IAS-001", resp)
    check.that(
        "DSO-IAS-001",
        isinstance(body.get("access_token"), str) and isinstance(body.get("refresh_token"), str),
        f"expected access_token and refresh_token, got members {sorted(body)}",
        passed="access_token and refresh_token present",
    )
    problems = openapi.errors("device_signon", "IasTokens", body, ("access_token", "refresh_token"))
    check.that("DSO-IAS-006", not problems, "; ".join(problems[:3]), passed="validates against IasTokens")
    check.that(
        "DSO-IAS-006",
        claims_of(body.get("access_token")) is not None,
        "access_token is not a JWT (3 base64url segments with a JSON header and claims)",
        passed="access_token is a 3-segment JWT",
    )
    check.that(
        "DSO-IAS-006",
        str(body.get("token_type", "")).lower() == "bearer",
        f"token_type is {body.get('token_type')!r}",
        passed=f"token_type {body.get('token_type')}",
    )
    exp_in = body.get("expires_in")
    positive_number(
        check,
        "DSO-IAS-006",
        "expires_in",
        exp_in,
        f"JWT access token, token_type {body.get('token_type')}, expires_in {exp_in}",
    )
    no_store(check, "DSO-IAS-014", resp, what="I1 ")
    claims = claims_of(body.get("access_token")) or {}
    life = [v for v in (exp_in,) if isinstance(v, int | float) and not isinstance(v, bool)]
    exp, iat = claims.get("exp"), claims.get("iat")
    if isinstance(exp, int | float) and isinstance(iat, int | float) and exp < 1e11:
        life.append(exp - iat)  # seconds only (a millisecond exp is DSO-IAS-008's business)
    if not life:  # no numeric expires_in and no exp/iat: DSO-IAS-006 carries that fault
        check.unreached("DSO-IAS-015", "the answer states no lifetime to judge", by="DSO-IAS-006")
        return
    check.that(
        "DSO-IAS-015",
        max(life) <= 3600,
        f"the access token lives {max(life)}s (more than one hour)",
        passed=f"lifetime {max(life)}s",
    )


@req("DSO-IAS-002")
def test_activation_token_single_use(dso, check):
    _, got, _ = dso.activated()
    first = dso.activation_sign_on(got["signOnActivationToken"])
    if not 200 <= first.status_code < 300:
        raise Blocked(f"the first sign-on failed (HTTP {first.status_code})", by="DSO-IAS-001")
    again = dso.activation_sign_on(got["signOnActivationToken"])
    check.status("DSO-IAS-002", again, 401)
    check.that(
        "DSO-IAS-002",
        "access_token" not in body_of(again),
        "the second use issued tokens",
        passed="the second use issued no tokens",
    )


@req("DSO-IAS-004")
def test_activation_refuses_other_tokens(dso, check):
    reg = dso.register()
    dso.approve_by_any_route(reg)
    check.status("DSO-IAS-004", dso.activation_sign_on(reg.token), 401)  # approved, not collected
    companion = dso.companion_token("primary")
    check.status("DSO-IAS-004", dso.activation_sign_on(companion), 401)


@req("DSO-IAS-005")
def test_activation_without_authorization(dso, check):
    check.status("DSO-IAS-005", dso.activation_sign_on(None), (400, 401))


@req("DSO-IAS-007", "DSO-IAS-008")
def test_activation_tokens_name_the_device(dso, check):
    jtis = []
    for i in range(2):
        got, tokens = dso.signed_on()
        if not isinstance(got.get("clientId"), str) or not got["clientId"]:
            raise Blocked("D2 delivered no clientId to compare with", by="DSO-DSRA-010")
        claims = claims_of(tokens.get("access_token")) or {}
        jtis.append(claims.get("jti"))
        if i:
            continue
        check.that(
            "DSO-IAS-007",
            tokens.get("client_id") == got["clientId"],
            f"client_id {tokens.get('client_id')!r} is not D2's clientId",
            passed="client_id equals D2's clientId",
        )
        check.that(
            "DSO-IAS-008",
            claims.get("deviceId") == got.get("clientId"),
            "deviceId is not D2's clientId",
            passed="deviceId equals D2's clientId",
        )
        exp, now = claims.get("exp"), time.time()
        check.that(
            "DSO-IAS-008",
            isinstance(exp, int | float) and now < exp < now + 10 * 365 * 86400,
            f"exp {exp!r} is not a NumericDate in seconds in the future",
            passed="exp is a NumericDate in seconds",
        )
    check.that(
        "DSO-IAS-008",
        jtis[0] and jtis[0] != jtis[1],
        f"jti missing or repeated between sign-ons ({'missing' if not jtis[0] else 'repeated'})",
        passed="deviceId = clientId, exp in seconds, distinct jti",
    )


@req("DSO-IAS-009")
def test_suspended_account_is_refused(dso, check):
    if "suspended" not in dso.accounts:
        pytest.skip("not applicable: the profile names no suspended account")
    acct = dso.account("suspended")
    if not acct.get("account_id"):
        pytest.skip("not applicable: the suspended account has no account_id for the portal approval")
    reg = dso.register()
    resp = dso.portal_approve(reg.code, acct["account_id"])
    if not 200 <= resp.status_code < 300:
        raise Blocked(f"the portal approval failed (HTTP {resp.status_code})", by="DSO-PORT-001")
    _, got = dso.collect(reg)
    signon = dso.activation_sign_on(got["signOnActivationToken"])
    check.status("DSO-IAS-009", signon, 403)
    code = body_of(signon).get("code")
    check.that("DSO-IAS-009", code == 20002, f"code is {code!r}, expected 20002", passed="code 20002")


@req("DSO-IAS-010", "DSO-IAS-011")
def test_ias_refresh_rotates(dso, check):
    _, tokens = dso.signed_on()
    old = tokens.get("refresh_token")
    if not isinstance(old, str):
        raise Blocked("I1 issued no refresh_token", by="DSO-IAS-001")
    resp = dso.ias_refresh(old)
    new = body_of(resp)
    check.status("DSO-IAS-010", resp, 200)
    check.that(
        "DSO-IAS-010",
        isinstance(new.get("access_token"), str)
        and new["access_token"] != tokens["access_token"]
        and isinstance(new.get("refresh_token"), str)
        and new["refresh_token"] != old,
        "the refresh did not re-issue both tokens",
        passed="new access_token and new refresh_token",
    )
    reuse = dso.ias_refresh(old)
    check.that(
        "DSO-IAS-011",
        not 200 <= reuse.status_code < 300 and "access_token" not in body_of(reuse),
        f"the rotated-out refresh token still works ({reuse.status_code})",
        passed=f"the old refresh token is refused ({reuse.status_code})",
    )


@req("DSO-IAS-012")
def test_password_sign_on(dso, check):
    resp = dso.password_sign_on("primary")
    check.status("DSO-IAS-012", resp, 201)
    body = body_of(resp)
    check.that(
        "DSO-IAS-012",
        isinstance(body.get("access_token"), str) and isinstance(body.get("refresh_token"), str),
        "no access_token and refresh_token",
        passed="access_token and refresh_token",
    )


@req("DSO-IAS-013")
def test_password_sign_on_wrong_password(dso, check):
    resp = dso.password_sign_on("primary", password=dso.account("primary")["password"] + "-wrong")
    check.status("DSO-IAS-013", resp, 401)
    check.that(
        "DSO-IAS-013", "access_token" not in body_of(resp), "tokens were issued", passed="no tokens issued"
    )


# --- entropy -------------------------------------------------------------------------------------


@req("DSO-SEC-001", "DSO-SEC-002")
def test_dsra_token_and_code_entropy(dso, check):
    regs = [dso.register() for _ in range(SAMPLES)]
    enough_entropy(check, "DSO-SEC-001", "dsraTokens", [r.token for r in regs])
    keeps_code_out(check, "DSO-SEC-001", "dsraTokens", [(r.token, r.code) for r in regs])
    codes_well_formed(check, "DSO-SEC-002", "codes", [r.code for r in regs])


@req("DSO-SEC-003")
def test_activation_token_entropy(dso, check):
    samples = [dso.activated()[1]["signOnActivationToken"] for _ in range(2)]
    enough_entropy(check, "DSO-SEC-003", "activation tokens", samples)
