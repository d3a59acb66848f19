"""Dynamic Client Registration: client credentials from a software statement, then an access token."""

from __future__ import annotations

import time

import jwt
import pytest

from conformance import openapi
from conformance.bodies import body_of
from conformance.jose import b64url_encode
from conformance.oauth_checks import no_store
from conformance.suite.platform_sso.checks import dcr_oauth_error, matches_schema
from conformance.suite.platform_sso.readers import code_of

req = pytest.mark.requirement


@req("PSSO-DCR-001")
def test_registration_returns_client_credentials(psso, check):
    app = psso.applications.get("first", {})
    extra = {"redirect_uri": app["redirect_uri"]} if app.get("redirect_uri") else {}
    resp = psso.register(psso.software_statement("first"), **extra)
    check.status("PSSO-DCR-001", resp, 201, fatal=True)
    body = check.json_object("PSSO-DCR-001", resp)
    if body.get("client_secret"):
        psso.redactor.remember(str(body["client_secret"]))
    grants = body.get("grant_types")
    check.that(
        "PSSO-DCR-001",
        isinstance(body.get("client_id"), str)
        and isinstance(body.get("client_secret"), str)
        and isinstance(body.get("client_id_issued_at"), int)
        and isinstance(body.get("redirect_uris"), list)
        and isinstance(grants, list)
        and "client_credentials" in grants
        and isinstance(body.get("scopes"), list),
        f"expected client_id, client_secret, client_id_issued_at, redirect_uris, grant_types with "
        f"client_credentials and scopes; got members {sorted(body)} with grant_types {grants!r}",
        passed="client credentials with every documented member",
    )
    matches_schema(check, "PSSO-DCR-001", "ClientRegistration", body)


@req("PSSO-DCR-002")
def test_registration_without_statement(psso, check):
    dcr_oauth_error(check, "PSSO-DCR-002", psso.register(None), "invalid_request")


@req("PSSO-DCR-010")
@pytest.mark.parametrize(
    "case", ["register-without-statement", "register-garbage", "token-wrong-secret", "token-grant-type"]
)
def test_dcr_errors_are_oauth_errors(psso, check, case):
    if case == "register-without-statement":
        resp = psso.register(None)
    elif case == "register-garbage":
        resp = psso.register("not-a-software-statement")
    else:
        cid, secret = psso.credentials("first")
        grant = "password" if case == "token-grant-type" else "client_credentials"
        secret = "wrong-" + secret[:6] if case == "token-wrong-secret" else secret
        resp = psso.token_request([("client_id", cid), ("client_secret", secret), ("grant_type", grant)])
    if resp.status_code < 400:
        pytest.skip(f"no error was provoked (HTTP {resp.status_code}); its own requirement judges that")
    check.media_type("PSSO-DCR-010", resp, "application/json")
    body = body_of(resp)
    problems = openapi.errors("platform_sso", "OAuthError", body)
    check.that(
        "PSSO-DCR-010",
        isinstance(body.get("error"), str) and not problems and "code" not in body,
        f"not an OAuth error object: {resp.text[:120]!r} {'; '.join(problems[:2])}",
        passed=f"OAuth error {body.get('error')}",
    )


@req("PSSO-DCR-003")
@pytest.mark.parametrize("kind", ["garbage", "unsigned", "bad-signature", "foreign-key"])
def test_registration_with_untrusted_statement(psso, check, kind):
    good = psso.software_statement("first")
    head, payload, _ = (good.split(".") + ["", "", ""])[:3]
    statements = {
        "garbage": "not-a-software-statement",
        "unsigned": b64url_encode(b'{"alg":"none","typ":"JWT"}') + f".{payload}.",
        "bad-signature": f"{head}.{payload}.AAAA",
        "foreign-key": jwt.encode(
            jwt.decode(good, options={"verify_signature": False}),
            "a-key-the-server-never-saw-0123456789",
            algorithm="HS256",
        ),
    }
    psso.redactor.remember(statements[kind])
    dcr_oauth_error(check, "PSSO-DCR-003", psso.register(statements[kind]), "invalid_software_statement")


@req("PSSO-DCR-004")
def test_revoked_statement(psso, check):
    resp = psso.register(psso.software_statement("revoked"))
    dcr_oauth_error(check, "PSSO-DCR-004", resp, "unapproved_software_statement")


@req("PSSO-DCR-005")
def test_redirect_uri_outside_domains(psso, check):
    foreign = psso.section.get("software_statement", {}).get("foreign_redirect_uri")
    foreign = foreign or "https://elsewhere.invalid/callback"
    resp = psso.register(psso.software_statement("first"), redirect_uri=foreign)
    dcr_oauth_error(check, "PSSO-DCR-005", resp, "invalid_redirect_uri")


@req("PSSO-DCR-006", "PSSO-DCR-013")
def test_access_token(psso, check):
    cid, secret = psso.credentials("first")
    resp = psso.token_request(
        [("client_id", cid), ("client_secret", secret), ("grant_type", "client_credentials")]
    )
    check.status("PSSO-DCR-006", resp, 201)
    body = body_of(resp)
    if isinstance(body.get("access_token"), str):
        psso.redactor.remember(body["access_token"])
    created, expires = body.get("created_at"), body.get("expires_in")
    check.that(
        "PSSO-DCR-006",
        isinstance(body.get("id"), str)
        and isinstance(body.get("access_token"), str)
        and isinstance(created, int)
        and isinstance(expires, int)
        and expires > 0
        and str(body.get("token_type", "")).lower() == "bearer",
        f"expected id, access_token, created_at, expires_in > 0 and token_type bearer; got members "
        f"{sorted(body)}, token_type {body.get('token_type')!r}, expires_in {expires!r}",
        passed="id, access_token, created_at, expires_in and token_type bearer",
    )
    check.that(
        "PSSO-DCR-006",
        isinstance(created, int) and abs(created - time.time() * 1000) < 24 * 3600 * 1000,
        f"created_at {created!r} is not a time in milliseconds near now",
        passed="created_at in milliseconds",
    )
    matches_schema(check, "PSSO-DCR-006", "AccessToken", body)
    no_store(check, "PSSO-DCR-013", resp)


@pytest.fixture
def creds(psso):
    return psso.credentials("first")


@req("PSSO-DCR-007")
@pytest.mark.parametrize("wrong", ["secret", "client_id"])
def test_token_wrong_client(psso, check, creds, wrong):
    cid, secret = creds
    if wrong == "secret":
        secret = "wrong-" + secret[:6]
    else:
        cid = "unknown-client-" + cid[:6]
    resp = psso.token_request(
        [("client_id", cid), ("client_secret", secret), ("grant_type", "client_credentials")]
    )
    dcr_oauth_error(check, "PSSO-DCR-007", resp, "invalid_client")


@req("PSSO-DCR-008")
def test_token_other_grant_type(psso, check, creds):
    cid, secret = creds
    resp = psso.token_request([("client_id", cid), ("client_secret", secret), ("grant_type", "password")])
    dcr_oauth_error(check, "PSSO-DCR-008", resp, "unsupported_grant_type", "unauthorized_client")


@req("PSSO-DCR-009")
@pytest.mark.parametrize("missing", ["grant_type", "client_id"])
def test_token_missing_parameter(psso, check, creds, missing):
    cid, secret = creds
    form = [("client_id", cid), ("client_secret", secret), ("grant_type", "client_credentials")]
    resp = psso.token_request([(k, v) for k, v in form if k != missing])
    ok = code_of(resp) == "invalid_request" or (missing == "client_id" and code_of(resp) == "invalid_client")
    check.status("PSSO-DCR-009", resp, 400)
    check.that(
        "PSSO-DCR-009",
        ok,
        f"error is {code_of(resp)!r}, expected invalid_request",
        passed=f"error {code_of(resp)}",
    )


@req("PSSO-DCR-011")
def test_token_repeated_parameter(psso, check, creds):
    cid, secret = creds
    form = [
        ("client_id", cid),
        ("client_secret", secret),
        ("grant_type", "client_credentials"),
        ("grant_type", "client_credentials"),
    ]
    dcr_oauth_error(check, "PSSO-DCR-011", psso.token_request(form), "invalid_request")


@req("PSSO-DCR-012")
def test_token_parameters_in_query(psso, check, creds):
    cid, secret = creds
    resp = psso.token_request(
        [("client_id", cid), ("client_secret", secret), ("grant_type", "client_credentials")], query=True
    )
    token = body_of(resp).get("access_token")
    if isinstance(token, str):
        psso.redactor.remember(token)
    check.that(
        "PSSO-DCR-012",
        resp.status_code in (200, 201) and isinstance(token, str),
        f"query parameters were not accepted: HTTP {resp.status_code}, error {code_of(resp)!r}",
        passed=f"HTTP {resp.status_code} with an access token",
    )
