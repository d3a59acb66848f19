"""Sign-up endpoint: a 2xx means the new customer can sign in right away."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import openapi
from conformance.bodies import body_of, error_code, json_of, media_type_of
from conformance.checks import Blocked
from conformance.jose import claims_of
from conformance.oauth_checks import error_is

req = pytest.mark.requirement
NAME = "Conformance Tester"


@req("OTT-SIGNUP-001", "OTT-SIGNUP-002", "OTT-SIGNUP-003", "OTT-SIGNUP-012")
def test_signup_then_sign_in(ott, check):
    email, password = ott.new_email(), ott.new_password()
    resp = ott.signup(email, password, NAME)
    body = json_of(resp)
    # The 2xx must come from the sign-up API: an empty body or a JSON object (SignupResponse), not
    # a web page that answers 200 to anything.
    api_answer = not resp.content.strip() or isinstance(body, dict)
    shape = "with a JSON object" if isinstance(body, dict) else "with no body"
    check.that(
        "OTT-SIGNUP-001",
        200 <= resp.status_code < 300 and api_answer,
        f"sign-up answered {resp.status_code} {media_type_of(resp) or 'no Content-Type'}"
        + ("" if api_answer else ", a body that is neither empty nor a JSON object"),
        passed=f"HTTP {resp.status_code} {shape}",
    )
    echoed = password in resp.text
    problems = openapi.errors("ott_idp", "SignupResponse", body) if isinstance(body, dict) else []
    check.that(
        "OTT-SIGNUP-012",
        not echoed and not problems,
        "the sign-up reply echoes the password" if echoed else "; ".join(problems[:2]),
        passed="no password in the reply",
    )
    # Whatever the status said, the account must now work (the status has its own requirement).
    login = ott.sign_in(email, password, "openid email profile")
    check.that(
        "OTT-SIGNUP-002",
        login.ok,
        f"signing in with the new credentials answered {login.why}",
        passed="the new account signs in",
    )
    if not login.ok:
        check.unreached("OTT-SIGNUP-003", "the new account does not sign in", by="OTT-SIGNUP-002")
        return
    claims = claims_of(login.body.get("id_token"))
    if claims is None:  # no id_token, or one that does not decode: OTT-TOKEN-001 / OTT-IDT-001 say so
        why = "the new account's sign-in gave no readable id_token"
        check.unreached("OTT-SIGNUP-002", why, by="OTT-TOKEN-001")
        check.unreached("OTT-SIGNUP-003", why, by="OTT-TOKEN-001")
        return
    check.that(
        "OTT-SIGNUP-002",
        str(claims.get("email", "")).lower() == email.lower(),
        "the id_token's email is not the new username",
        passed="email is the new username",
    )
    if ott.features.get("profile_scope") and ott.features.get("name_claim"):
        check.that(
            "OTT-SIGNUP-003",
            claims.get("name") == NAME,
            "the id_token's name is not the sign-up name",
            passed="name carried over",
        )


def _refused_without_account(check, ott, req: str, resp, email: str, password: str, statuses) -> None:
    """VSU-04: the sign-up is refused with invalid_client (a 401 with a Basic challenge) and no
    account is created: a later sign-in with those credentials is refused as an OAuth error."""
    check.status(req, resp, statuses)
    error_is(check, req, resp, "invalid_client")
    if resp.status_code == 401:
        www = resp.headers.get("www-authenticate", "")
        check.that(
            req,
            www.lower().startswith("basic"),
            f"WWW-Authenticate is {www or 'missing'!r}, expected the Basic scheme",
            passed=f"WWW-Authenticate: {www}",
        )
    login = ott.sign_in(email, password)
    if login.ok:
        check.that(req, False, "the refused sign-up created an account anyway", passed="no account created")
    elif login.refused:
        check.that(
            req, True, "", passed=f"no account created (sign-in refused with {login.body.get('error')})"
        )
    else:  # what a refused sign-in looks like is OTT-TOKEN-010's to judge
        check.unreached(
            req,
            f"cannot tell whether an account was created: sign-in answered {login.why}",
            by="OTT-TOKEN-010",
        )


@req("OTT-SIGNUP-004")
def test_signup_wrong_client_secret(ott, check):
    email, password = ott.new_email(), ott.new_password()
    resp = ott.signup(email, password, auth=ott.basic(secret="wrong-secret-x"))
    _refused_without_account(check, ott, "OTT-SIGNUP-004", resp, email, password, 401)


@req("OTT-SIGNUP-004")
def test_signup_without_client_authentication(ott, check):
    email, password = ott.new_email(), ott.new_password()
    resp = ott.signup(email, password, auth={})
    _refused_without_account(check, ott, "OTT-SIGNUP-004", resp, email, password, (400, 401))


@req("OTT-SIGNUP-005")
@pytest.mark.parametrize("missing", ["username", "password"])
def test_signup_missing_field(ott, check, missing):
    email, password = ott.new_email(), ott.new_password()
    resp = ott.signup(None if missing == "username" else email, None if missing == "password" else password)
    check.status("OTT-SIGNUP-005", resp, 400)
    error_is(check, "OTT-SIGNUP-005", resp, "invalid_request")


@req("OTT-SIGNUP-006")
def test_signup_username_not_an_email(ott, check):
    resp = ott.signup("not-an-email-address", ott.new_password())
    check.status("OTT-SIGNUP-006", resp, 400)
    error_is(check, "OTT-SIGNUP-006", resp, "invalid_request")


@req("OTT-SIGNUP-007", "OTT-SIGNUP-008", "OTT-SIGNUP-009")
def test_duplicate_signup(ott, check):
    email, first, second = ott.new_email(), ott.new_password(), ott.new_password()
    ott.signup(email, first)
    before = ott.sign_in(email, first)
    if not before.ok:  # no working account, so nothing to duplicate: OTT-SIGNUP-002 carries the FAIL
        raise Blocked(f"a new account does not sign in ({before.why})", by="OTT-SIGNUP-002")
    again = ott.signup(email, second)
    check.that(
        "OTT-SIGNUP-007",
        400 <= again.status_code < 500 and isinstance(error_code(again), str),
        f"a duplicate sign-up answered {again.status_code} error {error_code(again)!r}",
        passed=f"refused with {again.status_code} {error_code(again)}",
    )
    old = ott.sign_in(email, first)
    new = ott.sign_in(email, second)
    check.that(
        "OTT-SIGNUP-008",
        old.ok and new.refused,
        f"after the duplicate: old password {old.why}, new password {new.why}",
        passed="the old password still works, the new one is refused",
    )
    local, _, domain = email.partition("@")
    variant = ott.signup(local.upper() + "@" + domain.upper(), second)
    check.that(
        "OTT-SIGNUP-009",
        400 <= variant.status_code < 500 and isinstance(error_code(variant), str),
        f"the same email in another case answered {variant.status_code} error {error_code(variant)!r}",
        passed=f"treated as a duplicate ({variant.status_code} {error_code(variant)})",
    )


@req("OTT-SIGNUP-010")
def test_weak_password_refused(ott, check):
    weak = ott.signup_cfg.get("weak_password", "abc")
    resp = ott.signup(ott.new_email(), weak)
    check.status("OTT-SIGNUP-010", resp, 400)
    desc = body_of(resp).get("error_description") if error_code(resp) else None
    check.that(
        "OTT-SIGNUP-010",
        error_code(resp) == "invalid_request" and desc,
        f"error {error_code(resp)!r} without a description of the rule",
        passed="invalid_request, rule described",
    )


@req("OTT-SIGNUP-011")
def test_signup_errors_are_oauth_shaped(ott, check):
    answers = [
        ("missing password", ott.signup(ott.new_email(), None)),
        (
            "wrong client secret",
            ott.signup(ott.new_email(), ott.new_password(), auth=ott.basic(secret="nope-x")),
        ),
        ("not an email", ott.signup("nobody", ott.new_password())),
    ]
    answers = [(label, resp) for label, resp in answers if resp.status_code >= 400]  # accepted: not ours
    check.that(
        "OTT-SIGNUP-011",
        answers,
        "none of the invalid sign-ups was refused",
        passed=f"{len(answers)} invalid sign-ups refused",
        fatal=True,
    )
    for label, resp in answers:
        ctype = media_type_of(resp)
        check.that(
            "OTT-SIGNUP-011",
            400 <= resp.status_code < 500
            and ctype == "application/json"
            and isinstance(error_code(resp), str),
            f"{label}: {resp.status_code} {ctype or 'no Content-Type'} error {error_code(resp)!r}",
            passed=f"{label}: {resp.status_code} application/json {error_code(resp)}",
        )


@req("OTT-SIGNUP-013")
def test_signup_get_not_served(ott, check):
    email, password = ott.new_email(), ott.new_password()
    resp = ott.signup(email, password, method="GET")
    # Refused means a 4xx: a redirect is not followed and proves nothing.
    check.that(
        "OTT-SIGNUP-013",
        400 <= resp.status_code < 500,
        f"GET answered {resp.status_code}, expected a 4xx",
        passed=f"GET refused with {resp.status_code}",
    )
    login = ott.sign_in(email, password)
    if login.ok or login.refused:
        check.that("OTT-SIGNUP-013", login.refused, "GET created an account", passed="no account created")
    else:
        check.unreached(
            "OTT-SIGNUP-013",
            f"cannot tell whether GET created an account: sign-in answered {login.why}",
            by="OTT-TOKEN-010",
        )


@req("OTT-SIGNUP-014")
def test_parallel_duplicate_signups(ott, check):
    email = ott.new_email()
    passwords = [ott.new_password() for _ in range(4)]
    with ThreadPoolExecutor(len(passwords)) as pool:
        answers = list(pool.map(lambda pw: ott.signup(email, pw), passwords))
    # Duplicates must be refused with a 4xx; the winner may answer anything (its status is
    # OTT-SIGNUP-001's business).
    wins = sum(not 400 <= r.status_code < 500 for r in answers)
    check.that(
        "OTT-SIGNUP-014",
        wins == 1,
        f"{wins} of {len(answers)} parallel sign-ups were not refused as duplicates",
        passed="exactly one was not refused as a duplicate",
    )
