"""Hostile vendor answers fed to every `ott_idp` check: each is judged (a failed check of the right
requirement, or blocked by the requirement that carries the FAIL), never an exception.

Unit level: the suite's own test functions run with a real ``Checker`` and the real ``Ott`` client,
whose four HTTP calls are answered from a script of ``httpx.Response`` objects (a table of mutated
answers). What the real server does end to end is proven by the selftest and tests/test_broken_targets.py.
"""

from __future__ import annotations

import ast
import base64
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from conformance import jose, oauth_checks, openapi, results
from conformance.bodies import without_identifiers
from conformance.checks import Blocked, Checker, CheckFailed
from conformance.jose import Decoded, candidate_keys, decode, verify
from conformance.oauth_checks import ERROR, GARBAGE, SUCCESS, token_answer
from conformance.profile import REFERENCE_PROFILE, load
from conformance.redact import Redactor
from conformance.suite.ott_idp import (
    test_discovery,
    test_errors,
    test_id_token,
    test_refresh,
    test_security,
    test_signup,
    test_token,
)
from conformance.suite.ott_idp.client import Ott

PROFILE = load(REFERENCE_PROFILE)
CLIENT_ID = PROFILE.section("ott_idp")["client_id"]
PRIMARY = next(a for a in PROFILE.section("ott_idp")["accounts"] if a["role"] == "primary")

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def _jwk(public: Any, kid: str, alg: str) -> dict[str, Any]:
    algo = RSAAlgorithm if alg.startswith("RS") else ECAlgorithm
    return {**json.loads(algo.to_jwk(public)), "kid": kid, "alg": alg, "use": "sig"}


RSA_JWK = _jwk(RSA_KEY.public_key(), "rsa-1", "RS256")
EC_JWK = _jwk(EC_KEY.public_key(), "ec-1", "ES256")


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "https://idp.example.com",
        "sub": "u-0123456789",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 600,
        "email": PRIMARY["username"],
        "email_verified": True,
        "name": PRIMARY.get("name", "Conformance Primary"),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def es256(payload: dict[str, Any] | None = None, kid: str = "ec-1") -> str:
    """Signed as given: PyJWT's claim checks would refuse the wrong types some cases need."""
    raw = json.dumps(payload or claims()).encode()
    return jwt.api_jws.encode(raw, EC_KEY, algorithm="ES256", headers={"kid": kid, "typ": "JWT"})


def rs256(payload: dict[str, Any] | None = None, kid: str = "rsa-1") -> str:
    return jwt.encode(payload or claims(), RSA_KEY, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})


def broken(token: str) -> str:
    """The same token with one bit of its signature flipped."""
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{body}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


def padded(token: str) -> str:
    """Header and claims re-encoded with '=' padding (a space keeps some padding in sight)."""
    head, body, sig = token.split(".")

    def pad(seg: str) -> str:
        raw = base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))
        return base64.urlsafe_b64encode(raw + (b" " if len(raw) % 3 == 0 else b"")).decode()

    return f"{pad(head)}.{pad(body)}.{sig}"


# --- answers --------------------------------------------------------------------------------------


def answer(status: int = 200, body: Any = None, *, text: str | None = None, headers: dict | None = None):
    """An httpx.Response: ``body`` as JSON, or ``text`` as an HTML page, or nothing."""
    hdrs = dict(headers or {})
    if text is not None:
        hdrs.setdefault("Content-Type", "text/html; charset=utf-8")
        return httpx.Response(status, content=text.encode(), headers=hdrs)
    if body is not None:
        hdrs.setdefault("Content-Type", "application/json")
        return httpx.Response(status, content=json.dumps(body).encode(), headers=hdrs)
    return httpx.Response(status, headers=hdrs)


HTML = answer(200, text="<html><body>Welcome!</body></html>")
REDIRECT = answer(302, headers={"Location": "/oauth/token"})
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def tokens(id_token: str | None = None, **changes: Any) -> httpx.Response:
    body = {
        "access_token": "at-" + uuid.uuid4().hex,
        "token_type": "Bearer",
        "expires_in": 3600,
        "id_token": id_token or es256(),
        "refresh_token": "rt-" + uuid.uuid4().hex,
    }
    body.update(changes)
    return answer(200, {k: v for k, v in body.items() if v is not None}, headers=NO_STORE)


def error(code: Any = "invalid_grant", status: int = 400, **extra: Any) -> httpx.Response:
    headers = {**NO_STORE, **({"WWW-Authenticate": 'Basic realm="x"'} if status == 401 else {})}
    return answer(status, {"error": code, "error_description": "refused", **extra}, headers=headers)


Script = Callable[..., httpx.Response]


def always(resp: httpx.Response) -> Script:
    return lambda **_: resp


class ScriptedOtt(Ott):
    """The real client, its HTTP calls answered by a script (a function of the call's arguments)."""

    def __init__(
        self,
        token: Script = always(HTML),
        signup: Script = always(HTML),
        discovery: httpx.Response = HTML,
        jwks: httpx.Response = HTML,
    ) -> None:
        super().__init__(PROFILE, None, Redactor(b"hostile"))  # type: ignore[arg-type]
        self._token, self._signup, self._disc, self._jwks = token, signup, discovery, jwks

    def token(self, username=None, password=None, scope="openid email", *, grant_type="password", **kw):
        return self._token(username=username, password=password, scope=scope, grant_type=grant_type, **kw)

    def signup(self, username, password, name=None, **kw):
        return self._signup(username=username, password=password, name=name, **kw)

    def discovery_response(self) -> httpx.Response:
        return self._disc

    def jwks_response(self) -> httpx.Response:
        return self._jwks


class ScriptedHttp:
    def __init__(self, resp: httpx.Response) -> None:
        self.resp = resp

    def get(self, *args: Any, **kwargs: Any) -> httpx.Response:
        return self.resp


def jwks(*keys: Any) -> httpx.Response:
    return answer(200, {"keys": list(keys)})


# --- running one suite test function --------------------------------------------------------------


def declared(fn: Callable) -> list[str]:
    return [a for m in getattr(fn, "pytestmark", []) if m.name == "requirement" for a in m.args]


def run(fn: Callable, **kwargs: Any) -> results.TestRecord:
    """Run a suite test function as the plugin would; a Blocked is recorded like ``check.unreached``."""
    record = results.TestRecord(f"hostile::{fn.__name__}", "ott_idp", declared(fn))
    try:
        fn(check=Checker(record, Redactor(b"hostile")), **kwargs)
    except CheckFailed:
        pass
    except Blocked as exc:
        for req in record.requirements:
            record.blocked_by.setdefault(req, exc.by or "")
    return record


def failed(record: results.TestRecord) -> set[str]:
    return {c.requirement for c in record.checks if not c.ok}


def primary_of(resp: httpx.Response) -> dict[str, Any]:
    return json.loads(resp.content)


def id_token_of(token: str) -> Decoded:
    """The primary id_token as the suite's fixture reads it (leniently: encoding is OTT-IDT-001's)."""
    return decode(token)


# Each case: (name, suite test function, its arguments, requirements that must fail, requirements
# that must be blocked, each by whom). Nothing else may fail, and nothing may raise.
TOK, IDT, SUP, ERR, DISC, SEC, REF = (
    test_token,
    test_id_token,
    test_signup,
    test_errors,
    test_discovery,
    test_security,
    test_refresh,
)
ES_TOKEN = es256()
CASES: list[tuple[str, Callable, Callable[[], dict], set[str], dict[str, str]]] = [
    # The token endpoint.
    (
        "grant: 200 HTML",
        TOK.test_password_grant_succeeds,
        lambda: {"ott": ScriptedOtt()},
        {"OTT-TOKEN-001"},
        {},
    ),
    (
        "grant: 200 with an error body",
        TOK.test_password_grant_succeeds,
        lambda: {"ott": ScriptedOtt(token=always(error(status=200)))},
        {"OTT-TOKEN-001"},
        {},
    ),
    (
        "grant: no token_type fails OTT-TOKEN-001 only, not the schema",
        TOK.test_password_grant_succeeds,
        lambda: {"ott": ScriptedOtt(token=always(tokens(token_type=None)))},
        {"OTT-TOKEN-001"},
        {},
    ),
    (
        "grant: a JSON array",
        TOK.test_password_grant_succeeds,
        lambda: {"ott": ScriptedOtt(token=always(answer(200, [1, 2])))},
        {"OTT-TOKEN-001"},
        {},
    ),
    (
        "grant: wrong JSON types",
        TOK.test_password_grant_succeeds,
        lambda: {"ott": ScriptedOtt(token=always(tokens(token_type=5, expires_in="3600")))},
        {"OTT-TOKEN-001", "OTT-SCHEMA-001"},
        {},
    ),
    (
        "unknown parameter: 200 HTML",
        TOK.test_unknown_parameter_is_ignored,
        lambda: {"ott": ScriptedOtt()},
        {"OTT-TOKEN-017"},
        {},
    ),
    (
        "unknown parameter: 200 with an error body",
        TOK.test_unknown_parameter_is_ignored,
        lambda: {"ott": ScriptedOtt(token=always(error("invalid_request", status=200)))},
        {"OTT-TOKEN-017"},
        {},
    ),
    (
        "GET: a redirect",
        TOK.test_get_is_not_served,
        lambda: {"ott": ScriptedOtt(), "http": ScriptedHttp(REDIRECT)},
        {"OTT-TOKEN-018"},
        {},
    ),
    (
        "GET: 405 without a body",
        TOK.test_get_is_not_served,
        lambda: {"ott": ScriptedOtt(), "http": ScriptedHttp(answer(405))},
        {"OTT-TOKEN-018"},
        {},
    ),
    (
        "GET: 200 HTML",
        TOK.test_get_is_not_served,
        lambda: {"ott": ScriptedOtt(), "http": ScriptedHttp(HTML)},
        {"OTT-TOKEN-018"},
        {},
    ),
    (
        "wrong secret: 401 HTML",
        TOK.test_wrong_client_secret_is_invalid_client,
        lambda: {"ott": ScriptedOtt(token=always(answer(401, text="<h1>401</h1>")))},
        {"OTT-TOKEN-006"},
        {},
    ),
    (
        "no client auth: error is a number",
        TOK.test_missing_client_authentication,
        lambda: {"ott": ScriptedOtt(token=always(error(401, status=401)))},
        {"OTT-TOKEN-007"},
        {},
    ),
    (
        "wrong password: 200 with an error body",
        TOK.test_wrong_password_is_invalid_grant,
        lambda: {"ott": ScriptedOtt(token=always(error(status=200)))},
        {"OTT-TOKEN-010"},
        {},
    ),
    (
        "unknown scope: 200 with an error body",
        TOK.test_unknown_scope,
        lambda: {"ott": ScriptedOtt(token=always(error("invalid_scope", status=200)))},
        {"OTT-TOKEN-015"},
        {},
    ),
    (
        "case-insensitive username: 200 with an error body",
        TOK.test_username_case_insensitive,
        lambda: {
            "ott": ScriptedOtt(token=always(error(status=200))),
            "primary_id_token": id_token_of(ES_TOKEN),
        },
        {"OTT-TOKEN-019"},
        {},
    ),
    (
        "refresh: 200 HTML",
        REF.test_refresh_token_grant,
        lambda: {"ott": ScriptedOtt()},
        {"OTT-TOKEN-020"},
        {},
    ),
    (
        "refresh: no refresh_token blocks the exchange",
        REF.test_refresh_token_grant,
        lambda: {"ott": ScriptedOtt(token=always(tokens(refresh_token=None)))},
        {"OTT-TOKEN-020"},
        {"OTT-TOKEN-021": "OTT-TOKEN-020"},
    ),
    # Error answers.
    (
        "errors: 200 to everything",
        ERR.test_error_responses_are_well_formed,
        lambda: {"ott": ScriptedOtt()},
        {"OTT-ERR-001"},
        {},
    ),
    (
        "errors: 400 HTML",
        ERR.test_error_responses_are_well_formed,
        lambda: {"ott": ScriptedOtt(token=always(answer(400, text="<h1>Bad Request</h1>")))},
        {"OTT-ERR-001"},
        {},
    ),
    (
        "errors: wrong JSON types",
        ERR.test_error_responses_are_well_formed,
        lambda: {"ott": ScriptedOtt(token=always(answer(400, {"error": 7, "error_description": ["x"]})))},
        {"OTT-ERR-001", "OTT-SCHEMA-002"},
        {},
    ),
    (
        "errors not stored: 400 without Cache-Control",
        ERR.test_error_responses_are_not_stored,
        lambda: {"ott": ScriptedOtt(token=always(answer(400, {"error": 7})))},
        {"OTT-ERR-003"},
        {},
    ),
    (
        "errors not stored: nothing refused",
        ERR.test_error_responses_are_not_stored,
        lambda: {"ott": ScriptedOtt()},
        set(),
        {"OTT-ERR-003": "OTT-ERR-001"},
    ),
    (
        "expires_in: the grant answers HTML",
        TOK.test_expires_in,
        lambda: {"ott": ScriptedOtt()},
        set(),
        {"OTT-TOKEN-005": "OTT-TOKEN-001"},
    ),
    (
        "expires_in: missing",
        TOK.test_expires_in,
        lambda: {"ott": ScriptedOtt(token=always(tokens(expires_in=None)))},
        {"OTT-TOKEN-005"},
        {},
    ),
    (
        "Pragma: a 200 with an error body",
        TOK.test_pragma_no_cache,
        lambda: {"ott": ScriptedOtt(token=always(error(status=200)))},
        set(),
        {"OTT-TOKEN-004": "OTT-TOKEN-001"},
    ),
    # Discovery and JWKS.
    (
        "password grant listed: grant_types_supported a number",
        DISC.test_discovery_lists_the_password_grant,
        lambda: {"ott": ScriptedOtt(discovery=answer(200, {"grant_types_supported": 5}))},
        {"OTT-DISC-002"},
        {},
    ),
    (
        "password grant listed: no discovery document",
        DISC.test_discovery_lists_the_password_grant,
        lambda: {"ott": ScriptedOtt()},
        set(),
        {"OTT-DISC-002": "OTT-DISC-001"},
    ),
    ("discovery: HTML", DISC.test_discovery_document, lambda: {"ott": ScriptedOtt()}, {"OTT-DISC-001"}, {}),
    (
        "discovery: wrong JSON types",
        DISC.test_discovery_document,
        lambda: {
            "ott": ScriptedOtt(
                discovery=answer(
                    200,
                    {
                        "issuer": 5,
                        "id_token_signing_alg_values_supported": "RS256",
                        "grant_types_supported": 5,
                    },
                )
            )
        },
        {"OTT-DISC-001"},
        {},
    ),
    ("jwks: HTML", DISC.test_jwks, lambda: {"ott": ScriptedOtt()}, {"OTT-DISC-003"}, {}),
    (
        "jwks: keys are not objects",
        DISC.test_jwks,
        lambda: {"ott": ScriptedOtt(jwks=answer(200, {"keys": [1, "a"]}))},
        {"OTT-DISC-003"},
        {},
    ),
    (
        "jwks: a key without kid",
        DISC.test_jwks,
        lambda: {"ott": ScriptedOtt(jwks=jwks({"kty": "RSA"}, EC_JWK))},
        {"OTT-DISC-003"},
        {},
    ),
    # The id_token.
    (
        "signature: ES256 token broken, an unused RSA key published too",
        IDT.test_signature_verifies,
        lambda: _idt(broken(es256()), jwks(RSA_JWK, EC_JWK)),
        {"OTT-IDT-003"},
        {},
    ),
    (
        "signature: ES256 verifies although an RSA key is published first",
        IDT.test_signature_verifies,
        lambda: _idt(es256(), jwks(RSA_JWK, EC_JWK)),
        set(),
        {},
    ),
    (
        "signature: ES256 token broken, its kid not published",
        IDT.test_signature_verifies,
        lambda: _idt(broken(es256(kid="nope")), jwks(RSA_JWK, EC_JWK)),
        {"OTT-IDT-003"},
        {},
    ),
    (
        "signature: the JWKS holds garbage keys",
        IDT.test_signature_verifies,
        lambda: _idt(
            es256(),
            jwks(
                1,
                {"kty": "EC", "crv": "P-256", "x": "!!", "y": 5, "kid": "ec-1"},
                {"kty": "RSA", "n": 3, "e": None},
            ),
        ),
        {"OTT-IDT-003"},
        {},
    ),
    (
        "signature: HS256 against a JWKS",
        IDT.test_signature_verifies,
        lambda: _idt(jwt.encode(claims(), "s" * 32, algorithm="HS256"), jwks(RSA_JWK, EC_JWK)),
        {"OTT-IDT-003"},
        {},
    ),
    (
        "signature: the JWKS is HTML",
        IDT.test_signature_verifies,
        lambda: _idt(es256(), HTML),
        set(),
        {"OTT-IDT-003": "OTT-DISC-003"},
    ),
    (
        "kid: keys are not objects",
        IDT.test_kid_is_published,
        lambda: _idt(es256(), answer(200, {"keys": ["a", 2]})),
        {"OTT-IDT-002"},
        {},
    ),
    (
        "compact JWS: padded",
        IDT.test_id_token_is_a_compact_jws,
        lambda: {"primary": {"id_token": padded(es256())}},
        {"OTT-IDT-001"},
        {},
    ),
    (
        "compact JWS: two segments",
        IDT.test_id_token_is_a_compact_jws,
        lambda: {"primary": {"id_token": "a.b"}},
        {"OTT-IDT-001"},
        {},
    ),
    (
        "compact JWS: header not JSON",
        IDT.test_id_token_is_a_compact_jws,
        lambda: {"primary": {"id_token": "bm90IGpzb24.e30.c2ln"}},
        {"OTT-IDT-001"},
        {},
    ),
    ("iss: a number", IDT.test_iss, lambda: _idt(es256(claims(iss=5))), {"OTT-IDT-004"}, {}),
    ("iss: not a URL", IDT.test_iss, lambda: _idt(es256(claims(iss="http://[::1"))), {"OTT-IDT-004"}, {}),
    (
        "lifetime: exp a string",
        IDT.test_id_token_lifetime,
        lambda: _idt(es256(claims(exp="soon"))),
        set(),
        {"OTT-IDT-008": "OTT-IDT-007"},
    ),
    (
        "kid: none, and the JWKS holds two keys",
        IDT.test_kid_is_published,
        lambda: _idt(jwt.encode(claims(), EC_KEY, algorithm="ES256"), jwks(RSA_JWK, EC_JWK)),
        {"OTT-IDT-002"},
        {},
    ),
    ("sub: a list", IDT.test_sub_shape, lambda: _idt(es256(claims(sub=["a"]))), {"OTT-IDT-005"}, {}),
    ("aud: an object", IDT.test_aud, lambda: _idt(es256(claims(aud={"x": 1}))), {"OTT-IDT-006"}, {}),
    ("exp: a string", IDT.test_exp_and_iat, lambda: _idt(es256(claims(exp="soon"))), {"OTT-IDT-007"}, {}),
    (
        "email: a number",
        IDT.test_email_claims,
        lambda: _idt(es256(claims(email=5, email_verified="true"))),
        {"OTT-IDT-009", "OTT-IDT-010"},
        {},
    ),
    (
        "header: typ a number, crit a list",
        IDT.test_header_hygiene,
        lambda: _idt(jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"typ": 5, "crit": ["x"]})),
        {"OTT-IDT-015"},
        {},
    ),
    (
        "second sign-in: 200 with an error body",
        IDT.test_sub_is_stable,
        lambda: _idt(es256(), token=always(error(status=200))),
        set(),
        {"OTT-IDT-012": "OTT-TOKEN-001"},
    ),
    (
        "second sign-in: no id_token",
        IDT.test_sub_differs_between_accounts,
        lambda: _idt(es256(), token=always(_no_id_token())),
        set(),
        {"OTT-IDT-013": "OTT-TOKEN-001"},
    ),
    (
        "second sign-in: the id_token is garbage",
        IDT.test_sub_differs_between_accounts,
        lambda: _idt(es256(), token=always(tokens(id_token="not-a-jws"))),
        set(),
        {"OTT-IDT-013": "OTT-IDT-001"},
    ),
    # Sign-up.
    (
        "sign-up: 200 HTML, then the sign-in answers 200 with an error body",
        SUP.test_signup_then_sign_in,
        lambda: {"ott": ScriptedOtt(token=always(error(status=200)))},
        {"OTT-SIGNUP-001", "OTT-SIGNUP-002"},
        {"OTT-SIGNUP-003": "OTT-SIGNUP-002"},
    ),
    (
        "sign-up: a padded id_token fails the id_token requirement only",
        SUP.test_signup_then_sign_in,
        lambda: _signed_up(lambda email: padded(es256(claims(email=email, name=test_signup.NAME)))),
        set(),
        {},
    ),
    (
        "sign-up: the sign-in gives no id_token",
        SUP.test_signup_then_sign_in,
        lambda: _signed_up(None),
        set(),
        {"OTT-SIGNUP-002": "OTT-TOKEN-001", "OTT-SIGNUP-003": "OTT-TOKEN-001"},
    ),
    (
        "sign-up with a wrong secret: accepted",
        SUP.test_signup_wrong_client_secret,
        lambda: {"ott": ScriptedOtt(token=always(tokens()), signup=always(answer(201, {"sub": "u-1"})))},
        {"OTT-SIGNUP-004"},
        {},
    ),
    (
        "sign-up with a wrong secret: refused, the sign-in answers HTML",
        SUP.test_signup_wrong_client_secret,
        lambda: {"ott": ScriptedOtt(signup=always(error("invalid_client", status=401)))},
        set(),
        {"OTT-SIGNUP-004": "OTT-TOKEN-010"},
    ),
    (
        "sign-up with no client authentication: accepted",
        SUP.test_signup_without_client_authentication,
        lambda: {"ott": ScriptedOtt(token=always(error(status=200)), signup=always(answer(201)))},
        {"OTT-SIGNUP-004"},
        {},
    ),
    (
        "sign-up refused without WWW-Authenticate",
        SUP.test_signup_without_client_authentication,
        lambda: {
            "ott": ScriptedOtt(token=always(error()), signup=always(answer(401, {"error": "invalid_client"})))
        },
        {"OTT-SIGNUP-004"},
        {},
    ),
    (
        "duplicate sign-up: the account never signs in (200 with an error body)",
        SUP.test_duplicate_signup,
        lambda: {"ott": ScriptedOtt(token=always(error(status=200)), signup=always(answer(201)))},
        set(),
        {req: "OTT-SIGNUP-002" for req in ("OTT-SIGNUP-007", "OTT-SIGNUP-008", "OTT-SIGNUP-009")},
    ),
    (
        "sign-up errors: 400 HTML",
        SUP.test_signup_errors_are_oauth_shaped,
        lambda: {"ott": ScriptedOtt(signup=always(answer(400, text="<p>no</p>")))},
        {"OTT-SIGNUP-011"},
        {},
    ),
    (
        "sign-up GET: a redirect",
        SUP.test_signup_get_not_served,
        lambda: {"ott": ScriptedOtt(token=always(error()), signup=always(REDIRECT))},
        {"OTT-SIGNUP-013"},
        {},
    ),
    (
        "weak password: a 400 whose body is a list",
        SUP.test_weak_password_refused,
        lambda: {"ott": ScriptedOtt(signup=always(answer(400, ["invalid_request"])))},
        {"OTT-SIGNUP-010"},
        {},
    ),
    # Security.
    (
        "brute force: 200 HTML to everything",
        SEC.test_bruteforce_limit,
        lambda: {"ott": ScriptedOtt(), "request": None},
        {"OTT-SEC-001"},
        {"OTT-SEC-002": "OTT-SEC-001"},
    ),
    (
        "enumeration: nothing refused",
        SEC.test_no_user_enumeration,
        lambda: {"ott": ScriptedOtt()},
        set(),
        {"OTT-SEC-003": "OTT-TOKEN-010"},
    ),
    (
        "enumeration: the bodies differ by their error",
        SEC.test_no_user_enumeration,
        lambda: {
            "ott": ScriptedOtt(
                token=_by_user(lambda new: error("invalid_request" if new else "invalid_grant"))
            )
        },
        {"OTT-SEC-003"},
        {},
    ),
    (
        "enumeration: the bodies differ by a trace id only",
        SEC.test_no_user_enumeration,
        lambda: {"ott": ScriptedOtt(token=_by_user(lambda new: error(trace_id=str(uuid.uuid4()))))},
        set(),
        {},
    ),
]


def _by_user(make: Callable[[bool], httpx.Response]) -> Script:
    """A token script that answers by whether the username is one the suite just made up."""
    return lambda username=None, **_: make(str(username).startswith("ott-"))


def _no_id_token() -> httpx.Response:
    resp = tokens()
    body = json.loads(resp.content)
    del body["id_token"]
    return answer(200, body, headers=NO_STORE)


def _idt(id_token: str, key_set: httpx.Response | None = None, **scripts: Any) -> dict[str, Any]:
    """Arguments of an id_token test: the primary sign-in and its id_token as the fixtures give
    them, and a client whose JWKS is ``key_set`` (the EC key by default)."""
    return {
        "primary": {"id_token": id_token},
        "primary_id_token": id_token_of(id_token),
        "ott": ScriptedOtt(jwks=key_set or jwks(EC_JWK), **scripts),
    }


def _signed_up(make_id_token: Callable[[str], str] | None) -> dict[str, Any]:
    """A sign-up answered 201; the sign-in with its credentials succeeds with the given id_token."""
    seen: dict[str, str] = {}

    def signup(username, **_):
        seen["email"] = username
        return answer(201, {"sub": "u-1"})

    def token(username=None, **_):
        if make_id_token is None:
            return _no_id_token()
        return tokens(id_token=make_id_token(seen.get("email", str(username))))

    return {"ott": ScriptedOtt(token=token, signup=signup)}


@pytest.mark.parametrize("name, fn, args, must_fail, must_block", CASES, ids=[c[0] for c in CASES])
def test_hostile_answer_is_judged(name, fn, args, must_fail, must_block):
    kwargs = args()
    params = fn.__code__.co_varnames[: fn.__code__.co_argcount]
    record = run(fn, **{k: v for k, v in kwargs.items() if k in params})
    assert failed(record) == must_fail, [c.message for c in record.checks if not c.ok]
    for req, by in must_block.items():
        assert record.blocked_by.get(req) == by, (req, record.blocked_by, record.unreached)


# --- the pieces the checks are made of ------------------------------------------------------------


def test_key_selection_skips_keys_of_other_types():
    """An ES256 token verifies with the EC key although an RSA key comes first; a broken one fails."""
    keys = [RSA_JWK, EC_JWK]
    good = es256()
    assert candidate_keys(keys, {"alg": "ES256", "kid": "ec-1"}) == [EC_JWK]
    assert candidate_keys(keys, {"alg": "ES256", "kid": "nope"}) == [EC_JWK]  # unknown kid: by alg
    assert candidate_keys(keys, {"alg": "RS256"}) == [RSA_JWK]
    assert verify(good, [(k, ["ES256", "RS256"]) for k in keys]) is None
    assert verify(broken(good), [(k, ["ES256", "RS256"]) for k in keys]) is not None
    assert verify(rs256(), [(RSA_JWK, ["RS256"])]) is None


@pytest.mark.parametrize(
    "token, key",
    [
        ("a.b", EC_JWK),
        ("!!.!!.!!", EC_JWK),
        (es256(), {"kty": "EC", "crv": "P-256", "x": 5, "y": "!!"}),
        (es256(), RSA_JWK),  # a key of another type, offered anyway
        (es256(), b"not a key"),
        (es256(), None),
    ],
    # Stable ids: the signed tokens differ per process, and parallel workers must collect alike.
    ids=["two-parts", "not-base64", "ec-key-bad-coordinates", "rsa-key", "bytes-key", "no-key"],
)
def test_verify_never_raises(token, key):
    assert isinstance(verify(token, [(key, ["ES256"])]), str)


@pytest.mark.parametrize(
    "resp, kind",
    [
        (tokens(), SUCCESS),
        (error(status=200), ERROR),
        (error(), ERROR),
        (HTML, GARBAGE),
        (REDIRECT, GARBAGE),
        (answer(200, {"token_type": "Bearer"}), GARBAGE),
        (answer(200, {"access_token": 5}), GARBAGE),
        (answer(200, [1]), GARBAGE),
        (httpx.Response(200, content=b"\xff\xfe\x00"), GARBAGE),
    ],
)
def test_token_answer_is_classified_once(resp, kind):
    assert token_answer(resp).kind == kind


def test_login_that_gets_an_error_body_is_blocked_by_the_grant_requirement():
    for resp in (error(status=200), HTML, _no_id_token()):
        with pytest.raises(Blocked) as exc:
            ScriptedOtt(token=always(resp)).login("primary")
        assert exc.value.by == "OTT-TOKEN-001"


def test_schema_leaves_out_facts_judged_elsewhere():
    body = {"access_token": "x", "expires_in": "3600"}
    assert len(openapi.errors("ott_idp", "TokenResponse", body)) == 2
    only = openapi.errors("ott_idp", "TokenResponse", body, judged_elsewhere=("token_type",))
    assert only == ["expires_in: '3600' is not of type 'integer'"]


def test_bodies_compare_modulo_identifiers():
    a = {
        "error": "invalid_grant",
        "trace_id": uuid.uuid4().hex,
        "request": str(uuid.uuid4()),
        "at": 1733212345,
    }
    b = {
        "error": "invalid_grant",
        "trace_id": uuid.uuid4().hex,
        "request": str(uuid.uuid4()),
        "at": 1733212999,
    }
    assert without_identifiers(a) == without_identifiers(b)
    assert without_identifiers({**a, "error": "invalid_request"}) != without_identifiers(b)
    assert without_identifiers("request 2026-12-03T06:12:14Z failed") == "request <time> failed"


def test_every_check_states_its_pass_wording():
    """A passed check prints what was seen, never its failure wording ("ok: kids not unique")."""
    files = [Path(jose.__file__), Path(oauth_checks.__file__), *Path(test_token.__file__).parent.glob("*.py")]
    silent = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "that"):
                continue
            never_passes = (
                len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and not node.args[1].value
            )
            has_wording = len(node.args) >= 4 or any(k.arg == "passed" for k in node.keywords)
            if not (has_wording or never_passes):
                silent.append(f"{path.name}:{node.lineno}")
    assert not silent, silent
