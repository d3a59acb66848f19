"""Sign-up endpoint: a 2xx means the new customer can sign in right away."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import openapi
from conformance.bodies import body_of, error_code, json_of, media_type_of
from conformance.oauth_checks import error_is
from conformance.suite.ott_idp.client import id_token_claims

req = pytest.mark.requirement
NAME = "Conformance Tester"


@req("OTT-SIGNUP-001", "OTT-SIGNUP-002", "OTT-SIGNUP-003", "OTT-SIGNUP-012")
def test_signup_then_sign_in(ott, check):
    email, password = ott.new_email(), ott.new_password()
    resp = ott.signup(email, password, NAME)
    check.that(
        "OTT-SIGNUP-001",
        200 <= resp.status_code < 300,
        f"sign-up answered {resp.status_code}",
        f"HTTP {resp.status_code}",
    )
    body = json_of(resp)
    echoed = password in resp.text
    problems = openapi.errors("ott_idp", "SignupResponse", body) if isinstance(body, dict | None) else []
    check.that(
        "OTT-SIGNUP-012",
        not echoed and not problems,
        "the sign-up reply echoes the password" if echoed else "; ".join(problems[:2]),
        "no password in the reply",
    )
    # Whatever the status said, the account must now work (the status has its own requirement).
    login = ott.token(email, password, "openid email profile")
    claims = id_token_claims(login)
    check.that(
        "OTT-SIGNUP-002",
        login.status_code == 200 and claims,
        f"signing in with the new credentials answered {login.status_code}",
        "new account signs in",
    )
    check.that(
        "OTT-SIGNUP-002",
        str(claims.get("email", "")).lower() == email.lower(),
        "the id_token's email is not the new username",
        "email is the new username",
    )
    if ott.features.get("profile_scope") and ott.features.get("name_claim"):
        check.that(
            "OTT-SIGNUP-003",
            claims.get("name") == NAME,
            "the id_token's name is not the sign-up name",
            "name carried over",
        )


@req("OTT-SIGNUP-004")
def test_signup_wrong_client_secret(ott, check):
    email, password = ott.new_email(), ott.new_password()
    resp = ott.signup(email, password, auth=ott.basic(secret="wrong-secret-x"))
    check.status("OTT-SIGNUP-004", resp, 401)
    error_is(check, "OTT-SIGNUP-004", resp, "invalid_client")
    login = ott.token(email, password)
    check.that(
        "OTT-SIGNUP-004",
        login.status_code != 200,
        "the refused sign-up created an account anyway",
        "no account created",
    )


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
    again = ott.signup(email, second)
    check.that(
        "OTT-SIGNUP-007",
        400 <= again.status_code < 500 and error_code(again),
        f"a duplicate sign-up answered {again.status_code} error {error_code(again)!r}",
        f"refused with {again.status_code} {error_code(again)}",
    )
    old = ott.token(email, first)
    new = ott.token(email, second)
    check.that(
        "OTT-SIGNUP-008",
        old.status_code == 200 and new.status_code != 200,
        f"after the duplicate: old password {old.status_code}, new password {new.status_code}",
        "the old password still works, the new one does not",
    )
    local, _, domain = email.partition("@")
    variant = ott.signup(local.upper() + "@" + domain.upper(), second)
    check.that(
        "OTT-SIGNUP-009",
        400 <= variant.status_code < 500,
        f"the same email in another case answered {variant.status_code}",
        "treated as a duplicate",
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
        "invalid_request, rule described",
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
    check.that("OTT-SIGNUP-011", answers, "none of the invalid sign-ups was refused", fatal=True)
    for label, resp in answers:
        ctype = media_type_of(resp)
        check.that(
            "OTT-SIGNUP-011",
            400 <= resp.status_code < 500
            and ctype == "application/json"
            and isinstance(error_code(resp), str),
            f"{label}: {resp.status_code} {ctype or 'no Content-Type'} error {error_code(resp)!r}",
            f"{label}: {resp.status_code} application/json {error_code(resp)}",
        )


@req("OTT-SIGNUP-013")
def test_signup_get_not_served(ott, check):
    email, password = ott.new_email(), ott.new_password()
    resp = ott.signup(email, password, method="GET")
    check.that(
        "OTT-SIGNUP-013",
        not 200 <= resp.status_code < 300,
        f"GET answered {resp.status_code}",
        f"GET answered {resp.status_code}",
    )
    check.that(
        "OTT-SIGNUP-013",
        ott.token(email, password).status_code != 200,
        "GET created an account",
        "no account created",
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
        "exactly one was not refused as a duplicate",
    )
