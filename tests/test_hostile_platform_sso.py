"""Hostile vendor answers fed to the `platform_sso` readers and checks: each is judged (a failed
check of the right requirement, a skip that says "not this requirement", or blocked by the
requirement that carries the FAIL), never an exception.

Unit level: the suite's own test functions run with a real ``Checker`` and the real ``Psso``
client, whose HTTP calls are answered from a route table of ``httpx.Response`` objects (a table of
mutated answers). What the real server does end to end is proven by the selftest.
"""

from __future__ import annotations

import base64
import inspect
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from conformance import results
from conformance.checks import Blocked, Checker, CheckFailed
from conformance.profile import REFERENCE_PROFILE, load, with_base_url
from conformance.redact import Redactor
from conformance.suite.platform_sso import checks, readers, test_errors, test_flow, test_sso, tokens
from conformance.suite.platform_sso.client import App, Psso

PROFILE = with_base_url(load(REFERENCE_PROFILE), "http://vendor.invalid")
SECTION = PROFILE.section("platform_sso")
M = SECTION["mvpd"]


def answer(status: int = 200, body: Any = None, *, text: str | None = None) -> httpx.Response:
    """An httpx.Response: ``body`` as JSON, or ``text`` as an HTML page, or nothing at all."""
    if text is not None:
        return httpx.Response(status, content=text.encode(), headers={"Content-Type": "text/html"})
    if body is not None:
        content = json.dumps(body).encode()
        return httpx.Response(status, content=content, headers={"Content-Type": "application/json"})
    return httpx.Response(status)


HTML = answer(200, text="<html><body>Welcome!</body></html>")
EEC = {"status": 400, "code": "invalid_header_device_identifier", "message": "no", "action": "none"}
PROFILE_BODY = {"notBefore": 1, "notAfter": 2, "issuer": M, "type": "platformSSO", "attributes": {}}
GRANTED = answer(200, {"profiles": {M: PROFILE_BODY}})
NOTHING = answer(200, {"profiles": {}})
PERMIT = answer(200, {"decisions": [{"authorized": True, "token": {"serializedToken": "x"}}]})

Route = httpx.Response | Callable[[dict[str, str]], httpx.Response]


def sequence(*answers: httpx.Response) -> Callable[[dict[str, str]], httpx.Response]:
    """Answers in turn, the last one for ever after (a vendor that changes its mind)."""
    left = list(answers)
    return lambda _headers: left.pop(0) if len(left) > 1 else left[0]


class ScriptedHttp:
    """Answers the client's calls from routes: (method, path suffix) -> answer or fn(headers)."""

    def __init__(self, routes: dict[tuple[str, str], Route]) -> None:
        self.routes = routes

    def _answer(self, method: str, url: Any, headers: dict[str, str] | None = None, **_: Any):
        path = urlsplit(str(url)).path
        for (verb, suffix), route in self.routes.items():
            if verb == method and path.endswith(suffix):
                return route(headers or {}) if callable(route) else route
        return HTML  # everything else: the 200 HTML page of a web server that answers anything

    def get(self, url: Any, **kw: Any) -> httpx.Response:
        return self._answer("GET", url, **kw)

    def post(self, url: Any, **kw: Any) -> httpx.Response:
        return self._answer("POST", url, **kw)

    def delete(self, url: Any, **kw: Any) -> httpx.Response:
        return self._answer("DELETE", url, **kw)


class ScriptedPsso(Psso):
    """The real client; registration and the MVPD login are taken as done (their own tests judge them)."""

    def __init__(self, routes: dict[tuple[str, str], Route] | None = None) -> None:
        super().__init__(PROFILE, ScriptedHttp(routes or {}), Redactor(b"hostile"))  # type: ignore[arg-type]
        self.features = {**self.features, "mvpd_login": "hook"}  # the login is ``authenticate`` below

    def app(self, role: str = "first") -> App:
        return App(self, role, "cid-" + role, "secret", "at-" + uuid.uuid4().hex)

    def authenticate(self, app: App, mvpd: str | None = None, account: str = "primary") -> dict[str, Any]:
        return {"code": "CODE1234"}


def declared(fn: Callable, case: str | None = None) -> list[str]:
    marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "requirement"]
    found = [a for m in marks for a in m.args]
    if case is not None and fn is test_sso.test_subject_token_grants_nothing:
        found.append(test_sso.BAD_TOKENS[case][0])  # its requirement is a mark of the parameter
    return found


def run(fn: Callable, case: str | None = None, **kwargs: Any) -> results.TestRecord:
    """Run a suite test function as the plugin would: a Blocked is recorded with its blocker, a skip
    as the judged "not this requirement" it is."""
    record = results.TestRecord(f"hostile::{fn.__name__}", "platform_sso", declared(fn, case))
    if case is not None:
        kwargs["case"] = case
    wanted = inspect.signature(fn).parameters  # the fixtures it asks for, as pytest would give them
    kwargs = {k: v for k, v in kwargs.items() if k in wanted}
    try:
        fn(check=Checker(record, Redactor(b"hostile")), **kwargs)
    except CheckFailed:  # a fatal check: what the test did not reach is blocked by that requirement
        stopper = next(c.requirement for c in reversed(record.checks) if not c.ok)
        checked = {c.requirement for c in record.checks}
        for req in record.requirements:
            if req not in checked:
                record.blocked_by[req] = stopper
    except Blocked as exc:
        for req in record.requirements:
            record.blocked_by.setdefault(req, exc.by or "")
    except pytest.skip.Exception as exc:
        record.outcome, record.skip_reason = "skipped", str(exc)
    return record


def failed(record: results.TestRecord) -> set[str]:
    return {c.requirement for c in record.checks if not c.ok}


def with_app(routes: dict[tuple[str, str], Route]) -> dict[str, Any]:
    psso = ScriptedPsso(routes)
    app = psso.app()
    return {"psso": psso, "app": app, "signed_in": (app, {"code": "CODE1234"})}


ERR, SSO = test_errors.test_top_level_error_is_eec, test_sso
MEDIA = test_flow.test_authorize_permit_and_media_token
DROP = SSO.test_decisions_after_dropping_the_subject_token
GRANTS = SSO.test_subject_token_grants_nothing

EC_KEY = ec.generate_private_key(ec.SECP256R1())
NOW_MS = int(time.time() * 1000)
EC_JWK = {**json.loads(ECAlgorithm.to_jwk(EC_KEY.public_key())), "kid": "m-1", "alg": "ES256", "use": "sig"}
RSA_JWK = {
    **json.loads(RSAAlgorithm.to_jwk(rsa.generate_private_key(65537, 2048).public_key())),
    "kid": "m-1",
}


def media_token(signed: bool = True) -> str:
    claims = {"resource": SECTION["resource"], "mvpd": M, "serviceProvider": SECTION["service_provider"]}
    compact = jwt.encode({**claims, "exp": int(time.time()) + 600}, EC_KEY, "ES256", headers={"kid": "m-1"})
    return base64.b64encode((compact if signed else "not-a-jws").encode()).decode()


def permit(serialized: Any) -> httpx.Response:
    item = {
        "resource": SECTION["resource"],
        "serviceProvider": SECTION["service_provider"],
        "mvpd": M,
        "source": "mvpd",
        "authorized": True,
        "token": {"serializedToken": serialized, "notBefore": NOW_MS, "notAfter": NOW_MS + 600_000},
    }
    return answer(200, {"decisions": [item]})


def media(decision: httpx.Response, jwks: Any = None) -> Callable[[], dict]:
    routes = {("POST", f"/decisions/authorize/{M}"): decision}
    if jwks is not None:
        routes[("GET", "/media-token/jwks.json")] = answer(200, jwks)
    return lambda: routes


# Each case: (name, suite test function, its parametrization or None, routes, requirements that
# must fail, requirements that must be blocked and by whom, or "skip"). Nothing else may fail.
CASES: list[tuple[str, Callable, str | None, Callable[[], dict], set[str], dict[str, str] | str]] = [
    # Top-level errors (PSSO-EEC-001/003).
    ("405 without a body", ERR, "wrong-method", lambda: {("DELETE", "/profiles"): answer(405)}, set(), {}),
    (
        "405 with an HTML page",
        ERR,
        "wrong-method",
        lambda: {("DELETE", "/profiles"): answer(405, text="<h1>Method Not Allowed</h1>")},
        set(),
        {},
    ),
    (
        "405 JSON without action",
        ERR,
        "wrong-method",
        lambda: {
            ("DELETE", "/profiles"): answer(
                405, {"status": 405, "code": "method_not_allowed", "message": "x"}
            )
        },
        {"PSSO-EEC-001"},
        {},
    ),
    (
        "400 HTML",
        ERR,
        "missing-device-identifier",
        lambda: {("POST", "/sessions"): answer(400, text="<h1>Bad Request</h1>")},
        {"PSSO-EEC-001"},
        {},
    ),
    (
        "400 empty",
        ERR,
        "missing-device-identifier",
        lambda: {("POST", "/sessions"): answer(400)},
        {"PSSO-EEC-001"},
        {},
    ),
    (
        "400 JSON array",
        ERR,
        "missing-device-identifier",
        lambda: {("POST", "/sessions"): answer(400, [EEC])},
        {"PSSO-EEC-001"},
        {},
    ),
    (
        "400 missing action (not also PSSO-EEC-003)",
        ERR,
        "missing-device-identifier",
        lambda: {("POST", "/sessions"): answer(400, {k: v for k, v in EEC.items() if k != "action"})},
        {"PSSO-EEC-001"},
        {},
    ),
    (
        "400 whose status says 403",
        ERR,
        "missing-device-identifier",
        lambda: {("POST", "/sessions"): answer(400, {**EEC, "status": 403})},
        {"PSSO-EEC-001"},
        {},
    ),
    (
        "400 wrong JSON types",
        ERR,
        "missing-device-identifier",
        lambda: {
            ("POST", "/sessions"): answer(
                400, {"status": "400", "code": 5, "message": None, "action": ["none"], "helpUrl": 7}
            )
        },
        {"PSSO-EEC-001"},
        {},
    ),
    (
        "400 with the code list's code and another action",
        ERR,
        "missing-device-identifier",
        lambda: {("POST", "/sessions"): answer(400, {**EEC, "action": "retry"})},
        {"PSSO-EEC-003"},
        {},
    ),
    (
        "200 with an error body: no error to judge here",
        ERR,
        "missing-device-identifier",
        lambda: {("POST", "/sessions"): answer(200, EEC)},
        set(),
        "skip",
    ),
    # Bad subject tokens served as if absent (PSSO-SSO-006).
    (
        "bad tokens: 200 HTML everywhere",
        SSO.test_bad_subject_tokens_cause_no_error,
        None,
        dict,
        {"PSSO-SSO-006"},
        {},
    ),
    (
        "bad tokens: sessions answer 200 with an error body",
        SSO.test_bad_subject_tokens_cause_no_error,
        None,
        lambda: {("GET", "/profiles"): NOTHING, ("POST", "/sessions"): answer(200, EEC)},
        {"PSSO-SSO-006"},
        {},
    ),
    (
        "bad tokens: profiles is a list",
        SSO.test_bad_subject_tokens_cause_no_error,
        None,
        lambda: {
            ("GET", "/profiles"): answer(200, {"profiles": [M]}),
            ("POST", "/sessions"): answer(400, EEC),
        },
        {"PSSO-SSO-006"},
        {},
    ),
    # Bad subject tokens grant nothing (PSSO-SSO-007, 012 to 015).
    *[
        (f"{case}: honoured", GRANTS, case, lambda: {("GET", "/profiles"): GRANTED}, {rid}, {})
        for case, (rid, _) in SSO.BAD_TOKENS.items()
    ],
    (
        "untrusted key: HTML, so SSO never works",
        GRANTS,
        "untrusted-rs256",
        dict,
        set(),
        {"PSSO-SSO-014": "PSSO-SSO-001"},
    ),
    (
        "unsigned: profiles is a list",
        GRANTS,
        "unsigned",
        lambda: {("GET", "/profiles"): answer(200, {"profiles": [M]})},
        set(),
        {"PSSO-SSO-013": "PSSO-SSO-001"},
    ),
    (
        "expired: the bad token gets a 400 HTML page",
        GRANTS,
        "expired-jws",
        lambda: {("GET", "/profiles"): sequence(GRANTED, answer(400, text="<h1>no</h1>"))},
        set(),
        {"PSSO-SSO-012": "PSSO-SSO-006"},
    ),
    (
        "other issuer: refused",
        GRANTS,
        "other-issuer",
        lambda: {("GET", "/profiles"): sequence(GRANTED, NOTHING)},
        set(),
        {},
    ),
    (
        "another user: 200 HTML is no evidence",
        SSO.test_another_platform_user_gets_nothing,
        None,
        dict,
        {"PSSO-ISO-004"},
        {},
    ),
    (
        "another user: nothing",
        SSO.test_another_platform_user_gets_nothing,
        None,
        lambda: {("GET", "/profiles"): NOTHING},
        set(),
        {},
    ),
    # Decisions once the subject token is dropped (PSSO-SSO-016).
    ("dropped token: HTML", DROP, None, dict, set(), {"PSSO-SSO-016": "PSSO-SSO-004"}),
    (
        "dropped token: still permitted",
        DROP,
        None,
        lambda: {("POST", f"/decisions/authorize/{M}"): PERMIT, ("GET", "/profiles"): NOTHING},
        {"PSSO-SSO-016"},
        {},
    ),
    (
        "dropped token: decisions is a string, profiles HTML",
        DROP,
        None,
        lambda: {("POST", f"/decisions/authorize/{M}"): sequence(PERMIT, answer(200, {"decisions": "none"}))},
        {"PSSO-SSO-016"},
        {},
    ),
    (
        "dropped token: 403 without a code",
        DROP,
        None,
        lambda: {
            ("POST", f"/decisions/authorize/{M}"): sequence(PERMIT, answer(403)),
            ("GET", "/profiles"): NOTHING,
        },
        {"PSSO-SSO-016"},
        {},
    ),
    # Permits and their media tokens (PSSO-DEC-001, PSSO-DEC-007).
    ("permit: HTML", MEDIA, None, media(HTML), {"PSSO-DEC-001"}, {"PSSO-DEC-007": "PSSO-DEC-001"}),
    (
        "permit: serializedToken is a number",
        MEDIA,
        None,
        media(permit(5)),
        {"PSSO-DEC-001"},
        {"PSSO-DEC-007": "PSSO-DEC-001"},
    ),
    (
        "permit: serializedToken is not a JWS",
        MEDIA,
        None,
        media(permit(media_token(False))),
        {"PSSO-DEC-007"},
        {},
    ),
    (
        "permit: JWKS of other key types, junk and the same kid on an RSA key",
        MEDIA,
        None,
        media(permit(media_token()), {"keys": [5, "x", {"kty": "RSA", "n": "!!", "e": "AQAB"}, RSA_JWK]}),
        {"PSSO-DEC-007"},
        {},
    ),
    (
        "permit: JWKS keys is an object",
        MEDIA,
        None,
        media(permit(media_token()), {"keys": EC_JWK}),
        {"PSSO-DEC-007"},
        {},
    ),
    ("permit: JWKS is HTML", MEDIA, None, media(permit(media_token())), {"PSSO-DEC-007"}, {}),
    (
        "permit: a verifiable media token",
        MEDIA,
        None,
        media(permit(media_token()), {"keys": [RSA_JWK, EC_JWK]}),
        set(),
        {},
    ),
    (
        "permit: source is a list",
        MEDIA,
        None,
        lambda: {
            ("POST", f"/decisions/authorize/{M}"): answer(
                200,
                {
                    "decisions": [
                        {**json.loads(permit(media_token()).content)["decisions"][0], "source": ["mvpd"]}
                    ]
                },
            ),
            ("GET", "/media-token/jwks.json"): answer(200, {"keys": [EC_JWK]}),
        },
        {"PSSO-DEC-001"},
        {},
    ),
    # The whole SSO flow against a server that answers 200 HTML to everything: nothing passes.
    (
        "single sign-on: 200 HTML everywhere",
        SSO.test_two_applications_single_sign_on,
        None,
        dict,
        {
            "PSSO-SSO-001",
            "PSSO-SSO-002",
            "PSSO-SSO-003",
            "PSSO-SSO-004",
            "PSSO-SSO-005",
            "PSSO-SSO-008",
            "PSSO-SSO-009",
            "PSSO-SSO-010",
            "PSSO-SSO-011",
        },
        {},
    ),
]


@pytest.mark.parametrize(
    ("fn", "case", "routes", "must_fail", "blocked"),
    [
        pytest.param(fn, case, routes, fails, blocked, id=name)
        for name, fn, case, routes, fails, blocked in CASES
    ],
)
def test_hostile_answer_is_judged(fn, case, routes, must_fail, blocked):
    record = run(fn, case, **with_app(routes()))
    assert failed(record) == must_fail, [c for c in record.checks if not c.ok]
    if blocked == "skip":
        assert record.outcome == "skipped" and not record.checks
        return
    assert {r: b for r, b in record.blocked_by.items() if r in blocked} == blocked
    for rid in set(record.requirements) - must_fail - set(blocked):
        # Whatever else was judged by checks of its own, or stopped by one that failed.
        judged = any(c.requirement == rid for c in record.checks)
        assert judged or record.blocked_by.get(rid) in must_fail, rid


@pytest.mark.parametrize(
    "resp",
    [
        HTML,
        answer(400),
        answer(200, [1, 2]),
        answer(200, {"code": ["x"], "profiles": [1], "decisions": {"a": 1}}),
        answer(200, {"decisions": [1, "x", None, {"error": "flat"}]}),
        httpx.Response(200, content=b"\xff\xfe{", headers={"Content-Type": "application/json"}),
    ],
    ids=["html", "empty", "array", "wrong-types", "odd-items", "not-utf8"],
)
def test_readers_never_raise(resp):
    readers.code_of(resp)
    assert isinstance(readers.profiles_of(resp), dict)
    assert all(isinstance(d, dict) for d in readers.decisions_of(resp))
    for item in readers.decisions_of(resp):
        readers.item_error_code(item)
    assert (
        readers.path_of(5) == ""
        and readers.ms(True) is None
        and readers.ms("12") == 12
        and readers.ms("x") is None
    )


def _one_check(fn: Callable[[Checker], None], req: str = "PSSO-EEC-001") -> results.TestRecord:
    record = results.TestRecord("hostile::check", "platform_sso", [req])
    fn(Checker(record, Redactor(b"hostile")))
    return record


@pytest.mark.parametrize(
    ("name", "call", "ok"),
    [
        ("401 HTML", lambda c: checks.unauthorized(c, "PSSO-EEC-001", answer(401, text="<p>no</p>")), False),
        ("401 JSON array", lambda c: checks.unauthorized(c, "PSSO-EEC-001", answer(401, [1])), False),
        ("401 bodiless", lambda c: checks.unauthorized(c, "PSSO-EEC-001", answer(401)), True),
        (
            "401 status string",
            lambda c: checks.unauthorized(c, "PSSO-EEC-001", answer(401, {"status": "401"})),
            True,
        ),
        (
            "EEC error: 200 with an error body",
            lambda c: checks.eec_error(c, "PSSO-EEC-001", answer(200, EEC), EEC["code"]),
            False,
        ),
        (
            "EEC error: code is a list",
            lambda c: checks.eec_error(c, "PSSO-EEC-001", answer(400, {"code": [EEC["code"]]}), EEC["code"]),
            False,
        ),
        (
            "DCR error: HTML",
            lambda c: checks.dcr_oauth_error(c, "PSSO-EEC-001", HTML, "invalid_request"),
            False,
        ),
        (
            "schema: a list",
            lambda c: checks.matches_schema(c, "PSSO-EEC-001", "ErrorInformation", [EEC]),
            False,
        ),
    ],
)
def test_named_checks_judge_garbage(name, call, ok):
    record = _one_check(call)
    assert record.checks and all(c.ok for c in record.checks) == ok, record.checks
    assert all(c.message for c in record.checks), "every check says what it saw"


@pytest.mark.parametrize(
    "jwks",
    [
        "not json",
        {"keys": "x"},
        {"keys": [5, {"kty": "oct", "k": "AAAA"}]},
        {"keys": [{"kty": "RSA", "use": "enc", "n": "!!", "e": "AQAB"}]},
        {"keys": [{"kty": "EC", "use": "enc", "crv": "P-256"}]},
    ],
    ids=["text", "keys-not-a-list", "no-usable-key", "bad-rsa", "ec-without-coordinates"],
)
def test_a_broken_jwe_jwks_blocks_instead_of_crashing(jwks):
    with pytest.raises(Blocked):
        tokens.jwe_key({"jwe_encryption_jwks": jwks})


def test_forged_tokens_are_signed_by_keys_nobody_trusts():
    """RS256 and ES256 with keys made for this run; the claims are those of a valid token."""
    idp = SECTION["platform_identity"]
    trusted = serialization.load_pem_public_key(
        (REFERENCE_PROFILE.parent / "keys/platform_sso_identity_jws.pub.pem").read_bytes()
    )
    for alg in tokens.FORGED_ALGS:
        token = tokens.forged_subject_token(SECTION, "someone", alg)
        assert jwt.get_unverified_header(token)["alg"] == alg
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["iss"], claims["aud"], claims["sub"]) == (idp["issuer"], idp["audience"], "someone")
    forged = tokens.forged_subject_token(SECTION, "someone", "ES256")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, trusted, algorithms=["ES256"], options={"verify_aud": False})


# --- what a profile can describe -----------------------------------------------------------------


def test_accounts_are_chosen_per_mvpd():
    """An account without ``mvpd`` exists at every MVPD; one with it only there."""
    psso = ScriptedPsso()
    psso.accounts = [
        {"role": "primary", "username": "cable-user", "password": "x", "mvpd": M},
        {"role": "primary", "username": "dummy-user", "password": "y", "mvpd": "RefDummy"},
        {"role": "secondary", "username": "anywhere", "password": "z"},
    ]
    assert psso.account("primary")["username"] == "cable-user"
    assert psso.account("primary", "RefDummy")["username"] == "dummy-user"
    assert psso.account("secondary", "RefDummy")["username"] == "anywhere"
    with pytest.raises(Blocked):
        psso.account("primary", "ElsewhereTV")


def test_statement_claim_names_follow_the_profile():
    section = {
        **SECTION,
        "software_statement": {
            **SECTION["software_statement"],
            "claim_names": {"service_providers": "channels"},
        },
    }
    claims = jwt.decode(tokens.software_statement(section, "first"), options={"verify_signature": False})
    assert claims["channels"] == [SECTION["service_provider"]] and "service_providers" not in claims


def test_jwe_key_from_a_jwks_file_or_inline(tmp_path):
    from joserfc.jwk import RSAKey

    pem = (REFERENCE_PROFILE.parent / SECTION["platform_identity"]["jwe_encryption_key_file"]).read_bytes()
    jwk = {**RSAKey.import_key(pem).as_dict(), "kid": "jwe-1", "use": "enc"}
    jwks = {"keys": [{**EC_JWK, "use": "sig"}, jwk]}
    (tmp_path / "vendor.jwks.json").write_text(json.dumps(jwks))
    for idp in (
        {"jwe_encryption_key_file": "vendor.jwks.json"},
        {"jwe_encryption_jwks": jwks},
        {"jwe_encryption_jwks": json.dumps(jwks), "jwe_kid": "jwe-1"},
    ):
        key = tokens.jwe_key(idp, tmp_path)
        assert key.kid == "jwe-1"
    section = {**SECTION, "platform_identity": {**SECTION["platform_identity"], "jwe_encryption_jwks": jwks}}
    token = tokens.jwe_subject_token(section, "someone")
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"] == "jwe-1"
