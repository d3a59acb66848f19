"""IAS: sign-on with the activation token (I1), the companion's password sign-on, refresh."""

from __future__ import annotations

import time

import pytest

from conformance import openapi
from conformance.bodies import body_of
from conformance.jose import claims_of
from conformance.oauth_checks import no_store
from conformance.suite.device_signon.checks import codes_well_formed, enough_entropy, positive_number
from conformance.suite.device_signon.codes import entropy_bits

req = pytest.mark.requirement


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
        "access_token and refresh_token present",
    )
    problems = openapi.errors("device_signon", "IasTokens", body)
    check.that("DSO-IAS-006", not problems, "; ".join(problems[:3]), "validates against IasTokens")
    check.that(
        "DSO-IAS-006",
        isinstance(body.get("access_token"), str) and body["access_token"].count(".") == 2,
        "access_token is not a 3-segment JWT",
    )
    check.that(
        "DSO-IAS-006",
        str(body.get("token_type", "")).lower() == "bearer",
        f"token_type is {body.get('token_type')!r}",
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
    life = [v for v in (exp_in,) if isinstance(v, int | float)]
    exp, iat = claims.get("exp"), claims.get("iat")
    if isinstance(exp, int | float) and isinstance(iat, int | float) and exp < 1e11:
        life.append(exp - iat)  # seconds only (a millisecond exp is DSO-IAS-008's business)
    check.that(
        "DSO-IAS-015",
        life and max(life) <= 3600,
        f"the access token lives {max(life) if life else '?'}s (more than one hour)",
        f"lifetime {max(life) if life else '?'}s",
    )


@req("DSO-IAS-002")
def test_activation_token_single_use(dso, check):
    _, got, _ = dso.activated()
    first = dso.activation_sign_on(got["signOnActivationToken"])
    if not 200 <= first.status_code < 300:
        pytest.skip("the first sign-on failed (DSO-IAS-001 reports it)")
    again = dso.activation_sign_on(got["signOnActivationToken"])
    check.status("DSO-IAS-002", again, 401)
    check.that("DSO-IAS-002", "access_token" not in body_of(again), "the second use issued tokens")


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
        claims = claims_of(tokens.get("access_token")) or {}
        jtis.append(claims.get("jti"))
        if i:
            continue
        check.that(
            "DSO-IAS-007",
            tokens.get("client_id") == got["clientId"],
            f"client_id {tokens.get('client_id')!r} is not D2's clientId",
            "client_id equals D2's clientId",
        )
        check.that("DSO-IAS-008", claims.get("deviceId") == got["clientId"], "deviceId is not D2's clientId")
        exp, now = claims.get("exp"), time.time()
        check.that(
            "DSO-IAS-008",
            isinstance(exp, int | float) and now < exp < now + 10 * 365 * 86400,
            f"exp {exp!r} is not a NumericDate in seconds in the future",
        )
    check.that(
        "DSO-IAS-008",
        jtis[0] and jtis[0] != jtis[1],
        f"jti missing or repeated between sign-ons ({'missing' if not jtis[0] else 'repeated'})",
        "deviceId = clientId, exp in seconds, distinct jti",
    )


@req("DSO-IAS-009")
def test_suspended_account_is_refused(dso, check):
    acct = dso.account("suspended")
    reg = dso.register()
    resp = dso.portal_approve(reg.code, acct.get("account_id"))
    if not 200 <= resp.status_code < 300:
        pytest.skip("portal approval failed (DSO-PORT-001 reports it)")
    _, got = dso.collect(reg)
    signon = dso.activation_sign_on(got["signOnActivationToken"])
    check.status("DSO-IAS-009", signon, 403)
    check.that(
        "DSO-IAS-009", body_of(signon).get("code") == 20002, f"code is {body_of(signon).get('code')!r}"
    )


@req("DSO-IAS-010", "DSO-IAS-011")
def test_ias_refresh_rotates(dso, check):
    _, tokens = dso.signed_on()
    old = tokens.get("refresh_token")
    if not isinstance(old, str):
        pytest.skip("no refresh_token (DSO-IAS-001 reports it)")
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
        "new access_token and new refresh_token",
    )
    reuse = dso.ias_refresh(old)
    check.that(
        "DSO-IAS-011",
        not 200 <= reuse.status_code < 300 and "access_token" not in body_of(reuse),
        f"the rotated-out refresh token still works ({reuse.status_code})",
        f"the old refresh token is refused ({reuse.status_code})",
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
    )


@req("DSO-IAS-013")
def test_password_sign_on_wrong_password(dso, check):
    resp = dso.password_sign_on("primary", password=dso.account("primary")["password"] + "-wrong")
    check.status("DSO-IAS-013", resp, 401)
    check.that("DSO-IAS-013", "access_token" not in body_of(resp), "tokens were issued")


# --- entropy -------------------------------------------------------------------------------------


@req("DSO-SEC-001", "DSO-SEC-002")
def test_dsra_token_and_code_entropy(dso, check):
    regs = [dso.register() for _ in range(8)]
    enough_entropy(check, "DSO-SEC-001", "dsraTokens", [r.token for r in regs])
    embedded = [r for r in regs if r.code in r.token or r.code.lower() in r.token.lower()]
    check.that("DSO-SEC-001", not embedded, "a dsraToken embeds its registration code")
    codes_well_formed(check, "DSO-SEC-002", "codes", [r.code for r in regs])


@req("DSO-SEC-003")
def test_activation_token_entropy(dso, check):
    samples = [dso.activated()[1]["signOnActivationToken"] for _ in range(2)]
    bits = entropy_bits(samples)
    check.that(
        "DSO-SEC-003", bits >= 128, f"activation tokens carry about {bits:.0f} bits", f"{bits:.0f} bits"
    )
