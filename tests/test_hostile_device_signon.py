"""Hostile vendor answers to the `device_signon` suite: judged FAIL, WARN or BLOCKED, never a crash.

A loopback "vendor" answers each endpoint from a table (real HTTP, the suite's own client); the
suite's test functions run against it the way the plugin runs them, and each row states the status
its requirement must end with: the fault is the vendor's (FAIL/WARN), or a prerequisite the vendor
broke blocks it (BLOCKED by that requirement). ERROR (harness trouble) and tracebacks never appear.
The readers and checks are also fed hostile values directly.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import catalogue, plugin
from conformance.checks import Blocked, Checker, CheckFailed
from conformance.http import Http
from conformance.profile import Profile
from conformance.redact import Redactor
from conformance.results import TestRecord as Record
from conformance.results import evaluate
from conformance.suite.device_signon import checks as dso_checks
from conformance.suite.device_signon import operator, test_dsra, test_ias, test_page
from conformance.suite.device_signon.client import Dso
from conformance.suite.device_signon.codes import code_alphabet_ok, embeds_code, entropy_bits
from conformance.suite.device_signon.page import Page

JSON = "application/json"
HTML = "text/html; charset=utf-8"
D1, D2, D3 = "/dsra/code", "/dsra/poll", "/dsra/approve"
I1, IAS_PASSWORD = "/ias/activation", "/ias/password"
DEVICE, TOKEN, PAGE = "/oauth2/device_authorization", "/oauth2/token", "/device"
USER_CODE = "BCDF-GHJK"
HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Frame-Options": "DENY"}


def _jwt(**claims: Any) -> str:
    import base64

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(64)}"


ACCESS = _jwt(sub="u1", iat=1_700_000_000, exp=1_700_000_600, jti="j1")


def _json(status: int, body: Any) -> tuple[int, str, bytes]:
    return status, JSON, json.dumps(body).encode()


def _html(status: int, text: str) -> tuple[int, str, bytes]:
    return status, HTML, text.encode()


def _registration() -> tuple[int, str, bytes]:
    return _json(
        200,
        {
            "deviceRegistrationCode": "BCDFGHJK",
            "dsraToken": secrets.token_urlsafe(32),
            "expiresAfterMillis": 600000,
            "pollingPeriodSeconds": 0.01,
        },
    )


SIGN_IN_FORM = (
    '<form id="signin" method="post" action="/device"><input name="username"><input name="password">'
    '<input name="user_code" value="{code}"><button name="action" value="continue">Go</button></form>'
)


def _happy() -> dict[tuple[str, str], Any]:
    """A vendor that gets every prerequisite right (what each row then breaks)."""
    return {
        ("GET", D1): _registration,
        ("PUT", D2): _json(200, {"clientId": "PUB_1", "signOnActivationToken": secrets.token_urlsafe(32)}),
        ("PUT", D3): (202, JSON, b""),
        ("POST", IAS_PASSWORD): _json(
            201,
            {"access_token": "a.b.c", "refresh_token": "r" * 20, "expires_in": 60, "token_type": "Bearer"},
        ),
        ("POST", I1): _json(
            201,
            {"access_token": ACCESS, "refresh_token": "s" * 20, "expires_in": 600, "token_type": "bearer"},
        ),
        ("POST", DEVICE): lambda: _json(
            200,
            {
                "device_code": secrets.token_urlsafe(32),
                "user_code": USER_CODE,
                "verification_uri": VENDOR.url + PAGE,
                "verification_uri_complete": f"{VENDOR.url}{PAGE}?user_code={USER_CODE}",
                "expires_in": 600,
                "interval": 0.01,
            },
        ),
        ("POST", TOKEN): _json(400, {"error": "authorization_pending"}),
        ("GET", PAGE): _html(200, SIGN_IN_FORM.format(code="")),
        ("POST", PAGE): _html(
            200, '<form id="consent"><input type="hidden" name="consent" value="c1"></form>'
        ),
    }


class Vendor:
    """A loopback server answering (method, path) from ``routes``: a (status, type, body) or a
    callable making one; 404 for anything else."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Any] = {}
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = vendor.routes.get((self.command, self.path.split("?")[0]), (404, JSON, b"{}"))
                status, media, body = answer() if callable(answer) else answer
                self.send_response(status)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(body)))
                for name, value in HEADERS.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


VENDOR: Vendor


@pytest.fixture(scope="module", autouse=True)
def vendor():
    global VENDOR
    VENDOR = Vendor()
    yield VENDOR
    VENDOR.server.shutdown()


def _profile(accounts: tuple[str, ...] = ("primary", "secondary")) -> Profile:
    data = {
        "name": "hostile",
        "target": {"base_url": VENDOR.url, "contracts": ["device_signon"]},
        "device_signon": {
            "dsra_code_url": D1,
            "dsra_poll_url": D2,
            "dsra_approve_url": D3,
            "ias_activation_url": I1,
            "ias_password_url": IAS_PASSWORD,
            "device_authorization_url": DEVICE,
            "token_url": TOKEN,
            "verification_url": PAGE,
            "public_client_id": "tv",
            "claims": ["*"],
            "features": {"variants": ["dsra", "rfc8628"], "approval": ["companion"]},
            "accounts": [
                {"role": r, "username": f"{r}@example.test", "password": f"{r}-pw-123", "account_id": r}
                for r in accounts
            ],
        },
    }
    return Profile(path=Path("hostile.toml"), data=data, base_url=VENDOR.url)


def _dso() -> Dso:
    redactor = Redactor(b"hostile")
    return Dso(_profile(), Http(redactor, timeout=5.0), redactor)


def _run(fn, profile: Profile | None = None) -> dict[str, Any]:
    """Run one suite test function as the plugin does; each declared requirement's status."""
    ids = [i for mark in fn.pytestmark if mark.name == "requirement" for i in mark.args]
    redactor = Redactor(b"hostile")
    http = Http(redactor, timeout=5.0)
    dso = Dso(profile or _profile(), http, redactor)
    record = Record(fn.__name__, "device_signon", ids)
    check = Checker(record, redactor)
    kwargs = {"dso": dso, "check": check, "http": http}
    try:
        fn(**{k: v for k, v in kwargs.items() if k in fn.__code__.co_varnames[: fn.__code__.co_argcount]})
        record.outcome = "failed" if check.failures else "passed"
    except pytest.skip.Exception as exc:
        record.outcome, record.skip_reason = "skipped", str(exc)
    except (CheckFailed, Blocked) as exc:
        plugin._classify(record, exc, redactor)
        record.outcome = "failed"
    finally:
        http.close()
    reqs = catalogue.load("device_signon").requirements
    return {i: evaluate(reqs[i], reqs[i].level, [record]) for i in ids} | {"_record": record}


def _breaks(**routes: Any) -> dict[tuple[str, str], Any]:
    table = _happy()
    for key, answer in routes.items():
        method, path = key.split(" ", 1)
        table[(method, path)] = answer
    return table


GARBAGE = _html(200, "<html><body>Welcome! \x00\xff</body></html>")
ERROR_BODY = _json(200, {"code": 31000, "message": "internal error"})

# (why, test function, routes that break, requirement, expected status, blocked by)
ROWS = [
    ("D1 answers HTML", test_dsra.test_registration_code, {"GET " + D1: GARBAGE}, "DSO-DSRA-001", "FAIL", ""),
    ("D1 answers an empty 200", test_dsra.test_registration_code, {"GET " + D1: (200, JSON, b"")},
     "DSO-DSRA-001", "FAIL", ""),
    ("D1 answers 200 with an error body", test_dsra.test_registration_code, {"GET " + D1: ERROR_BODY},
     "DSO-DSRA-001", "FAIL", ""),
    ("D1 expiresAfterMillis is a string", test_dsra.test_registration_code,
     {"GET " + D1: _json(200, {"deviceRegistrationCode": "BCDFGHJK", "dsraToken": "t" * 43,
                               "expiresAfterMillis": "600000", "pollingPeriodSeconds": 5})},
     "DSO-DSRA-001", "FAIL", ""),
    ("D1 pollingPeriodSeconds is negative", test_dsra.test_registration_code,
     {"GET " + D1: _json(200, {"deviceRegistrationCode": "BCDFGHJK", "dsraToken": "t" * 43,
                               "expiresAfterMillis": 600000, "pollingPeriodSeconds": -5})},
     "DSO-DSRA-001", "FAIL", ""),
    ("D1 is a JSON array", test_dsra.test_registration_code, {"GET " + D1: _json(200, [1, 2])},
     "DSO-DSRA-001", "FAIL", ""),
    ("D1 garbage blocks the freshness test", test_dsra.test_every_registration_is_new,
     {"GET " + D1: GARBAGE}, "DSO-DSRA-002", "BLOCKED", "DSO-DSRA-001"),
    ("D1 dsraToken is a number", test_ias.test_dsra_token_and_code_entropy,
     {"GET " + D1: _json(200, {"deviceRegistrationCode": "BCDFGHJK", "dsraToken": 12345,
                               "expiresAfterMillis": 600000, "pollingPeriodSeconds": 5})},
     "DSO-SEC-001", "BLOCKED", "DSO-DSRA-001"),
    ("D1 garbage blocks the sign-on", test_ias.test_activation_sign_on, {"GET " + D1: GARBAGE},
     "DSO-IAS-001", "BLOCKED", "DSO-DSRA-001"),
    ("D2 delivers HTML after approval", test_dsra.test_approved_registration_delivers_once,
     {"PUT " + D2: GARBAGE}, "DSO-DSRA-010", "FAIL", ""),
    ("D2 delivers no token after approval", test_dsra.test_approved_registration_delivers_once,
     {"PUT " + D2: _json(200, {"clientId": 7})}, "DSO-DSRA-010", "FAIL", ""),
    ("D2 without a token blocks the single-delivery check",
     test_dsra.test_approved_registration_delivers_once,
     {"PUT " + D2: _json(200, {"clientId": 7})}, "DSO-DSRA-013", "BLOCKED", "DSO-DSRA-010"),
    ("D2 without clientId blocks the known-device check", test_dsra.test_known_device_keeps_client_id,
     {"PUT " + D2: _json(200, {"signOnActivationToken": "a" * 43})},
     "DSO-DSRA-015", "BLOCKED", "DSO-DSRA-010"),
    ("D2 without clientId blocks the device naming", test_ias.test_activation_tokens_name_the_device,
     {"PUT " + D2: _json(200, {"signOnActivationToken": "a" * 43})},
     "DSO-IAS-007", "BLOCKED", "DSO-DSRA-010"),
    ("D2 without a token blocks the sign-on", test_ias.test_activation_sign_on,
     {"PUT " + D2: _json(200, {"clientId": "PUB_1"})}, "DSO-IAS-001", "BLOCKED", "DSO-DSRA-010"),
    ("the companion sign-on answers HTML", test_ias.test_activation_sign_on,
     {"POST " + IAS_PASSWORD: GARBAGE}, "DSO-IAS-001", "BLOCKED", "DSO-IAS-012"),
    ("I1 answers HTML", test_ias.test_activation_sign_on, {"POST " + I1: _html(201, "<p>ok</p>")},
     "DSO-IAS-001", "FAIL", ""),
    ("I1 answers 200 with an error body", test_ias.test_activation_sign_on,
     {"POST " + I1: _json(200, {"error": "invalid_token"})}, "DSO-IAS-001", "FAIL", ""),
    ("I1 expires_in is a string", test_ias.test_activation_sign_on,
     {"POST " + I1: _json(201, {"access_token": "x.y.z", "refresh_token": "r" * 20, "expires_in": "600",
                                "token_type": "bearer"})}, "DSO-IAS-006", "FAIL", ""),
    ("I1 expires_in is negative", test_ias.test_activation_sign_on,
     {"POST " + I1: _json(201, {"access_token": "x.y.z", "refresh_token": "r" * 20, "expires_in": -1,
                                "token_type": "bearer"})}, "DSO-IAS-006", "FAIL", ""),
    ("I1 access_token is malformed", test_ias.test_activation_sign_on,
     {"POST " + I1: _json(201, {"access_token": "!!.??.##", "refresh_token": "r" * 20, "expires_in": 60,
                                "token_type": "bearer"})}, "DSO-IAS-006", "FAIL", ""),
    ("the password sign-on answers 200 with an error body", test_ias.test_password_sign_on,
     {"POST " + IAS_PASSWORD: ERROR_BODY}, "DSO-IAS-012", "FAIL", ""),
    ("the verification page has no form", test_page.test_page_has_the_form,
     {"GET " + PAGE: _html(200, "<p>Enter your code in the app</p>")}, "DSO-PAGE-001", "FAIL", ""),
    ("the verification page is JSON", test_page.test_page_has_the_form,
     {"GET " + PAGE: _json(200, {"error": "not_found"})}, "DSO-PAGE-001", "FAIL", ""),
    ("the device authorization answers HTML", test_page.test_page_normalises_code,
     {"POST " + DEVICE: GARBAGE}, "DSO-PAGE-002", "BLOCKED", "DSO-8628-001"),
    ("the complete link shows no form", test_page.test_complete_uri_does_not_approve_by_itself,
     {"GET " + PAGE: _html(200, "<p>Open the app</p>")}, "DSO-PAGE-004", "BLOCKED", "DSO-PAGE-001"),
    ("signing in from the complete link approves", test_page.test_complete_uri_does_not_approve_by_itself,
     {"POST " + PAGE: _html(200, '<p id="result" data-result="approved">Done</p>'),
      "GET " + PAGE: _html(200, SIGN_IN_FORM.format(code=USER_CODE))}, "DSO-PAGE-004", "FAIL", ""),
    ("the page refuses the code in lower case", test_page.test_page_normalises_code,
     {"POST " + PAGE: _html(400, '<form id="signin"><p id="error" data-error="invalid_code">No</p></form>')},
     "DSO-PAGE-002", "WARN", ""),
]  # fmt: skip


@pytest.mark.parametrize(("why", "fn", "routes", "req", "status", "by"), ROWS, ids=[r[0] for r in ROWS])
def test_hostile_answer_is_judged_not_crashed(why, fn, routes, req, status, by):
    VENDOR.routes = _breaks(**routes)
    outcome = _run(fn)
    record = outcome.pop("_record")
    assert not record.error, f"{why}: {record.error}"
    assert outcome[req].status == status, f"{why}: {req} is {outcome[req]} ({record})"
    if by:
        assert outcome[req].blocked_by == by, f"{why}: {outcome[req]}"
    assert all(e.status != "ERROR" for e in outcome.values()), outcome


def test_the_happy_vendor_passes_the_rows_requirements():
    # The table's baseline is right: without a break these tests find nothing wrong, so each row's
    # verdict comes from what the row broke.
    VENDOR.routes = _happy()
    for fn, req in [
        (test_dsra.test_registration_code, "DSO-DSRA-001"),
        (test_ias.test_activation_sign_on, "DSO-IAS-001"),
        (test_page.test_page_normalises_code, "DSO-PAGE-002"),
        (test_page.test_complete_uri_does_not_approve_by_itself, "DSO-PAGE-004"),
    ]:
        assert _run(fn)[req].status == "PASS", fn.__name__


def test_a_profile_without_a_suspended_account_skips_that_requirement():
    VENDOR.routes = _happy()
    outcome = _run(test_ias.test_suspended_account_is_refused, _profile(("primary", "secondary")))
    assert outcome["DSO-IAS-009"].status == "SKIP"
    assert "not applicable: the profile names no suspended account" in outcome["DSO-IAS-009"].message


# --- readers and checks fed hostile values directly -------------------------------------------------


def _checker(*reqs: str) -> Checker:
    return Checker(Record("t", "device_signon", list(reqs)), Redactor(b"x"))


@pytest.mark.parametrize("value", ["5", -1, 0, True, None, [], {"n": 5}, float("nan")])
def test_positive_number_fails_wrong_types(value):
    check = _checker("R")
    assert dso_checks.positive_number(check, "R", "expires_in", value) is False
    assert check.failures and "expires_in" in check.failures[0].message


@pytest.mark.parametrize("samples", [[], [""], ["same"] * 8, [5, None, "abc"], ["a", "bb", "ccc"]])
def test_entropy_check_judges_odd_samples(samples):
    check = _checker("R")
    assert dso_checks.enough_entropy(check, "R", "tokens", samples) is False


def test_entropy_counts_only_what_varies():
    import uuid

    assert entropy_bits([secrets.token_urlsafe(32) for _ in range(8)]) >= 128
    assert entropy_bits([secrets.token_hex(16) for _ in range(8)]) >= 128
    assert entropy_bits([str(uuid.uuid1()) for _ in range(8)]) < 64  # long, but time and MAC
    assert entropy_bits([f"dsra_{'0' * 30}{n:06d}" for n in range(8)]) < 32  # a counter


def test_embedded_code_is_found_plain_or_encoded():
    import base64

    code = "WDJBMJHT"
    assert embeds_code(f"dsra-wdjb-mjht-{secrets.token_hex(16)}", code)
    assert embeds_code(
        "dsra_" + base64.urlsafe_b64encode(b"WDJBMJHT:" + secrets.token_bytes(24)).decode(), code
    )
    assert embeds_code((b"id=" + code.encode()).hex() + secrets.token_hex(16), "WDJB-MJHT")
    assert not any(embeds_code(secrets.token_urlsafe(32), code) for _ in range(200))
    assert not embeds_code(None, code) and not embeds_code("abc", "")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", [None, 12345678, "", "AEIOU-0OIL", ["BCDF"]])
def test_code_alphabet_judges_anything(code):
    assert code_alphabet_ok(code)[0] is False  # type: ignore[arg-type]
    check = _checker("R")
    assert dso_checks.codes_well_formed(check, "R", "codes", [code]) is False


@pytest.mark.parametrize(
    "text", ["", "\x00\xff\xfe", "<form><input name=", "<<<>>>", "{}", "<p id=result>no attrs</p>" * 3]
)
def test_page_reader_never_raises(text):
    page = Page(text)
    assert page.result is None and page.fields_of("password") == ({}, None)


@pytest.mark.parametrize(
    "timings",
    [
        {"expiresAfterMillis": "x", "pollingPeriodSeconds": -2},
        {"expiresAfterMillis": None, "pollingPeriodSeconds": "5"},
        {"expiresAfterMillis": [1], "pollingPeriodSeconds": 1e308},
        {},
    ],
)
def test_registration_timings_read_without_raising(timings):
    VENDOR.routes = _breaks(
        **{"GET " + D1: _json(200, {"deviceRegistrationCode": "BCDFGHJK", "dsraToken": "t" * 43, **timings})}
    )
    reg = _dso().register()  # what the answer says is judged by DSO-DSRA-001; reading it never raises
    assert reg.period > 0 and reg.ttl_s() > 0


@pytest.mark.parametrize(
    "timings", [{"interval": "fast"}, {"interval": -3, "expires_in": "soon"}, {"expires_in": 0}]
)
def test_authorization_timings_read_without_raising(timings):
    body = {"device_code": "d" * 43, "user_code": USER_CODE, "verification_uri": "/device", **timings}
    VENDOR.routes = _breaks(**{"POST " + DEVICE: _json(200, body)})
    da = _dso().authorize()
    assert da.interval > 0 and da.expires_in > 0


@pytest.mark.parametrize(
    "resp",
    [
        httpx.Response(200, text="<html>login</html>"),
        httpx.Response(200, json={"error": "invalid_client"}),
        httpx.Response(200, json={"access_token": 5}),
        httpx.Response(401, json={"error": "invalid_client"}),
        httpx.Response(200, content=b""),
    ],
)
def test_operator_token_answer_is_a_reason_not_a_crash(resp):
    with pytest.raises(Blocked, match="no operator token"):
        operator.issued_token(resp)


def test_operator_token_request_follows_the_profile():
    import base64

    body, headers = operator.token_request({"operator_client_id": "p", "operator_client_secret": "s&1"})
    assert body == b"grant_type=client_credentials"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"p:s%261").decode()
    body, headers = operator.token_request(
        {
            "operator_grant": "password",
            "operator_client_id": "portal",
            "operator_client_auth": "post",
            "operator_client_secret": "s",
            "operator_username": "ops@example.test",
            "operator_password": "pw 1",
            "operator_scope": "dsra",
        }
    )
    assert "Authorization" not in headers
    assert body == (
        b"grant_type=password&username=ops%40example.test&password=pw+1&scope=dsra&client_id=portal&client_secret=s"
    )
    assert operator.static_token({"operator_token": "tok"}) == "tok"
    with pytest.raises(Blocked, match="operator_username"):
        operator.token_request({"operator_grant": "password", "operator_client_id": "p"})
    ok = httpx.Response(200, json={"access_token": "t", "expires_in": "60"})
    assert operator.issued_token(ok) == ("t", operator.DEFAULT_LIFETIME_S)


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_operator_token_as_the_profile_describes_it_against_the_reference_server(auth):
    # Real HTTP on loopback: the portal token the suite approves with, fetched the way the profile
    # says (Basic or client_secret_post), then given as a static operator_token instead.
    from conformance.profile import REFERENCE_PROFILE, load, with_base_url
    from reference_server.server import EmbeddedServer

    reference = load(REFERENCE_PROFILE, env={})
    reference.data["device_signon"]["operator_client_auth"] = auth
    with EmbeddedServer(reference.data) as server:
        redactor = Redactor(b"ref")
        http = Http(redactor, timeout=5.0)
        try:
            token = Dso(with_base_url(reference, server.url), http, redactor).operator_token()
            assert token.count(".") == 2
            sent = http.evidence.exchanges[0]
            basic = any(k.lower() == "authorization" for k, _ in sent["request_headers"])
            assert basic == (auth == "basic") and ("client_secret=" in sent["request_body"]) == (
                auth == "post"
            )
            reference.data["device_signon"]["operator_token"] = token
            again = Dso(with_base_url(reference, server.url), http, redactor)
            assert again.operator_token() == token
            assert len(http.evidence.exchanges) == 1  # the static token needs no request
        finally:
            http.close()
