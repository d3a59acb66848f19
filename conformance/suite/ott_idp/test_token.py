"""Token endpoint: the password grant, client authentication and request validation."""

from __future__ import annotations

import base64

import httpx
import pytest

from conformance import openapi
from conformance.bodies import error_code
from conformance.checks import Blocked
from conformance.oauth_checks import error_is, json_error, no_store, pragma_no_cache, token_answer
from conformance.suite.ott_idp.client import id_token_claims

req = pytest.mark.requirement


@req("OTT-TOKEN-001", "OTT-TOKEN-002", "OTT-TOKEN-003", "OTT-SCHEMA-001")
def test_password_grant_succeeds(ott, check):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], "openid email")
    check.status("OTT-TOKEN-001", resp, 200, fatal=True)
    body = check.json_object("OTT-TOKEN-001", resp)
    # A 200 carrying an error is no success: the other members and headers are not judged on it.
    answer = token_answer(resp)
    check.that(
        "OTT-TOKEN-001",
        answer.ok,
        f"the grant answered {answer.why}",
        passed="an access_token issued",
        fatal=True,
    )
    check.that(
        "OTT-TOKEN-001",
        isinstance(body.get("access_token"), str)
        and bool(body["access_token"])
        and str(body.get("token_type", "")).lower() == "bearer"
        and isinstance(body.get("id_token"), str),
        f"expected access_token, token_type Bearer and id_token; got members {sorted(body)} "
        f"with token_type {body.get('token_type')!r}",
        passed="access_token, token_type Bearer and id_token present",
    )
    check.media_type("OTT-TOKEN-002", resp, "application/json")
    no_store(check, "OTT-TOKEN-003", resp)
    # What OTT-TOKEN-001 judges (and OTT-IDT-001, the id_token's encoding) is not judged again here.
    problems = openapi.errors(
        "ott_idp", "TokenResponse", body, judged_elsewhere=("access_token", "token_type", "id_token")
    )
    check.that(
        "OTT-SCHEMA-001", not problems, "; ".join(problems[:3]), passed="validates against TokenResponse"
    )


def _granted(ott) -> httpx.Response:
    """A successful password grant of the primary account; without one, OTT-TOKEN-001 has failed."""
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], "openid email")
    answer = token_answer(resp)
    if not answer.ok:
        raise Blocked(f"the password grant answered {answer.why}", by="OTT-TOKEN-001")
    return resp


# The SHOULDs of a successful answer have tests of their own: a missing recommendation is a WARN
# that must not hold back the MUSTs judged on the same answer.
@req("OTT-TOKEN-004")
def test_pragma_no_cache(ott, check):
    pragma_no_cache(check, "OTT-TOKEN-004", _granted(ott))


@req("OTT-TOKEN-005")
def test_expires_in(ott, check):
    body = token_answer(_granted(ott)).body
    check.that(
        "OTT-TOKEN-005",
        "expires_in" in body,
        "no expires_in member",
        passed=f"expires_in {body.get('expires_in')}",
    )


@req("OTT-TOKEN-006")
def test_wrong_client_secret_is_invalid_client(ott, check):
    acct = ott.account("primary")
    resp = ott.token(
        acct["username"], acct["password"], auth=ott.basic(secret="wrong-" + ott.client_secret[:4])
    )
    check.status("OTT-TOKEN-006", resp, 401)
    error_is(check, "OTT-TOKEN-006", resp, "invalid_client")
    www = resp.headers.get("www-authenticate", "")
    check.that(
        "OTT-TOKEN-006",
        www.lower().startswith("basic"),
        f"WWW-Authenticate is {www or 'missing'!r}, expected the Basic scheme",
        passed=f"WWW-Authenticate: {www}",
    )


@req("OTT-TOKEN-007")
def test_missing_client_authentication(ott, check):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], auth={})
    check.status("OTT-TOKEN-007", resp, (400, 401))
    error_is(check, "OTT-TOKEN-007", resp, "invalid_client")


@req("OTT-TOKEN-008")
@pytest.mark.parametrize(
    "value",
    ["Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon-here").decode()],
    ids=["not-base64", "no-colon"],
)
def test_malformed_basic_header(ott, check, value):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], auth={"Authorization": value})
    ok = (resp.status_code, error_code(resp)) in {(400, "invalid_request"), (401, "invalid_client")}
    check.that(
        "OTT-TOKEN-008",
        ok,
        f"expected 400 invalid_request or 401 invalid_client, got {resp.status_code} {error_code(resp)!r}",
        passed=f"{resp.status_code} {error_code(resp)}",
    )


@req("OTT-TOKEN-009")
def test_two_client_authentication_methods(ott, check):
    acct = ott.account("primary")
    resp = ott.token(
        acct["username"],
        acct["password"],
        extra=[("client_id", ott.client_id), ("client_secret", ott.client_secret)],
    )
    check.status("OTT-TOKEN-009", resp, 400)
    error_is(check, "OTT-TOKEN-009", resp, "invalid_request")


@req("OTT-TOKEN-010")
def test_wrong_password_is_invalid_grant(ott, check):
    acct = ott.account("secondary")
    resp = ott.token(acct["username"], acct["password"] + "-wrong")
    check.status("OTT-TOKEN-010", resp, 400)
    error_is(check, "OTT-TOKEN-010", resp, "invalid_grant")


@req("OTT-TOKEN-011")
@pytest.mark.parametrize("missing", ["username", "password"])
def test_missing_username_or_password(ott, check, missing):
    acct = ott.account("primary")
    resp = ott.token(
        None if missing == "username" else acct["username"],
        None if missing == "password" else acct["password"],
    )
    check.status("OTT-TOKEN-011", resp, 400)
    error_is(check, "OTT-TOKEN-011", resp, "invalid_request")


@req("OTT-TOKEN-012")
def test_missing_grant_type(ott, check):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], grant_type=None)
    check.status("OTT-TOKEN-012", resp, 400)
    error_is(check, "OTT-TOKEN-012", resp, "invalid_request")


@req("OTT-TOKEN-013")
def test_unsupported_grant_type(ott, check):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], grant_type="urn:example:not-a-grant")
    check.status("OTT-TOKEN-013", resp, 400)
    error_is(check, "OTT-TOKEN-013", resp, "unsupported_grant_type")


@req("OTT-TOKEN-014")
def test_scope_without_openid(ott, check):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], scope="email")
    check.status("OTT-TOKEN-014", resp, 400)
    error_is(check, "OTT-TOKEN-014", resp, "invalid_scope")


@req("OTT-TOKEN-015")
def test_unknown_scope(ott, check):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], scope="openid email urn:example:unknown-scope")
    answer = token_answer(resp)
    if answer.ok:
        granted = str(answer.body.get("scope", ""))
        check.that(
            "OTT-TOKEN-015",
            granted and "urn:example:unknown-scope" not in granted.split(),
            f"unknown scope accepted and the granted scope is {granted or 'not stated'!r}",
            passed=f"200 with granted scope {granted!r}",
        )
    else:
        check.status("OTT-TOKEN-015", resp, 400)
        error_is(check, "OTT-TOKEN-015", resp, "invalid_scope")


@req("OTT-TOKEN-016")
def test_repeated_parameter(ott, check):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], extra=[("password", acct["password"])])
    check.status("OTT-TOKEN-016", resp, 400)
    error_is(check, "OTT-TOKEN-016", resp, "invalid_request")


@req("OTT-TOKEN-017")
def test_unknown_parameter_is_ignored(ott, check):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"], extra=[("x_conformance_probe", "1")])
    answer = token_answer(resp)
    # The grant must succeed, tokens and all: a 200 page or a 200 error body is not a success.
    check.that(
        "OTT-TOKEN-017",
        answer.ok,
        f"with an unknown parameter the grant answered {answer.why}",
        passed="the grant succeeded (access_token issued)",
    )


@req("OTT-TOKEN-018")
def test_get_is_not_served(ott, check, http):
    acct = ott.account("primary")
    params = {"grant_type": "password", "username": acct["username"], "password": acct["password"]}
    resp = http.get(ott.token_url, params={**params, "scope": "openid email"}, headers=ott.basic())
    # Refused means 400 or 405 with an RFC 6749 §5.2 error body (VTK-17, VTK-18); a redirect is not
    # followed and proves nothing.
    check.that(
        "OTT-TOKEN-018",
        resp.status_code in (400, 405) and not token_answer(resp).ok,
        f"GET answered {token_answer(resp).why}, expected 400 or 405",
        passed=f"GET refused with {resp.status_code}",
    )
    json_error(check, "OTT-TOKEN-018", resp, "the refused GET: ")


@req("OTT-TOKEN-019")
def test_username_case_insensitive(ott, check, primary_id_token):
    acct = ott.account("primary")
    local, _, domain = acct["username"].partition("@")
    variant = local.swapcase() + "@" + domain.upper()
    resp = ott.token(variant, acct["password"])
    answer = token_answer(resp)
    check.that(
        "OTT-TOKEN-019",
        answer.ok,
        f"the differently-cased username answered {answer.why}",
        passed="the differently-cased username signs in",
        fatal=True,
    )
    sub = id_token_claims(resp).get("sub")
    check.that(
        "OTT-TOKEN-019",
        sub == primary_id_token.claims.get("sub"),
        "the differently-cased username signed in to an account with another sub",
        passed="same account (same sub)",
    )
