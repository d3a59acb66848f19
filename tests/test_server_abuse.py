"""Abuse controls of the reference server over real loopback HTTP: brute force on the MVPD login,
password spraying on every password check, no open redirect after MVPD login, throttling that a
client cannot escape by rotating X-Forwarded-For, and error_description within RFC 6749 §5.2.

Time is injected through ``reference_server.abuse.now`` (the limiter's only clock), so no test
sleeps through a window. Every abuse loop is bounded (at most 50 requests)."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from conformance.profile import REFERENCE_PROFILE, load
from conformance.suite.platform_sso.tokens import software_statement
from reference_server import abuse
from reference_server.limits import Limits
from reference_server.server import EmbeddedServer
from tests.test_platform_sso_server import DEVICE_INFO, App, b64

LOOPBACK = ("127.0.0.1", "::1")
# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
DESCRIPTION = re.compile(r"^[\x20\x21\x23-\x5b\x5d-\x7e]*$")
HOSTILE = ['a"b', "back\\slash", "caf\u00e9", "ctl\x01\x7f", "line\nbreak", "\u2028sep", "<script>"]


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return load(REFERENCE_PROFILE, env={}).data


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The limiter's clock: tests move it forward instead of sleeping."""
    t = [1_000_000.0]
    monkeypatch.setattr(abuse, "now", lambda: t[0])
    return t


@pytest.fixture(scope="module")
def server(profile) -> Iterator[EmbeddedServer]:
    # As `conformance run` starts it: loopback is a trusted proxy; default credential limits.
    with EmbeddedServer(profile, limits=Limits(trusted_proxies=LOOPBACK)) as srv:
        yield srv


@pytest.fixture
def http(server) -> Iterator[httpx.Client]:
    server.reset()  # each test starts with no counters
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


@pytest.fixture(scope="module")
def untrusted(profile) -> Iterator[EmbeddedServer]:
    """No trusted proxies, and loopback not exempt from the platform_sso throttle."""
    data = copy.deepcopy(profile)
    data["reference_server"]["platform_sso"]["throttle_exempt_peers"] = []
    with EmbeddedServer(data, limits=Limits()) as srv:
        yield srv


def login_page(app: App, url: str) -> tuple[str, str]:
    start = app.http.get(url, headers={"Accept": "text/html"})
    assert start.status_code == 302, start.text
    page = app.http.get(start.headers["location"])
    assert page.status_code == 200, page.text
    action = re.search(r'<form id="mvpd-login" method="post" action="([^"]+)"', page.text).group(1)
    return action, re.search(r'name="txn" value="([^"]+)"', page.text).group(1)


def app_with_redirect_uri(http: httpx.Client, section: dict[str, Any], uri: str) -> App:
    """An App whose client registered ``uri`` as its redirect URI at DCR."""
    app = App.__new__(App)
    app.http, app.section, app.subject = http, section, None
    app.sp, app.api = section["service_provider"], section["api_base_url"]
    app.device = "fingerprint " + b64(str(uuid.uuid4()))
    reg = http.post(
        f"{section['dcr_base_url']}/client/register",
        json={"software_statement": software_statement(section, "first"), "redirect_uri": uri},
        headers={"X-Device-Info": DEVICE_INFO},
    )
    assert reg.status_code == 201, reg.text
    app.client_id, app.secret = reg.json()["client_id"], reg.json()["client_secret"]
    form = {"client_id": app.client_id, "client_secret": app.secret, "grant_type": "client_credentials"}
    tok = http.post(f"{section['dcr_base_url']}/client/token", data=form)
    assert tok.status_code == 201, tok.text
    app.token = tok.json()["access_token"]
    return app


def account(profile: dict[str, Any], contract: str, role: str = "primary") -> dict[str, Any]:
    return next(a for a in profile[contract]["accounts"] if a["role"] == role)


# ----------------------------------------------------------------------------- platform_sso MVPD login
def test_mvpd_login_brute_force_is_limited_until_the_window_passes(http, profile, clock):
    app = App(http, profile["platform_sso"])
    ses = app.session()
    assert ses.status_code == 200, ses.text
    action, txn = login_page(app, ses.json()["url"])
    acct = account(profile, "platform_sso")
    statuses = []
    for i in range(30):
        resp = http.post(action, data={"txn": txn, "username": acct["username"], "password": f"wrong-{i}"})
        statuses.append(resp.status_code)
        assert "location" not in resp.headers
    limit = Limits().credential_failures
    assert statuses[:limit] == [401] * limit
    assert statuses[limit:] == [429] * (30 - limit)
    refused = http.post(action, data={"txn": txn, "username": acct["username"], "password": acct["password"]})
    assert refused.status_code == 429 and "location" not in refused.headers
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["content-type"].startswith("text/html")
    assert acct["password"] not in refused.text
    clock[0] += Limits().credential_window_s + 1
    done = http.post(action, data={"txn": txn, "username": acct["username"], "password": acct["password"]})
    assert done.status_code == 302 and done.headers["location"] == app.redirect_url


@pytest.mark.parametrize(
    "target",
    ["https://evil.example.org/steal", "https://example.test.evil.org/", "javascript:alert(1)"],
)
def test_mvpd_login_never_redirects_to_an_unregistered_url(http, profile, clock, target):
    app = App(http, profile["platform_sso"])
    ses = app.session(redirectUrl=target)
    if ses.status_code == 400:  # refused at creation: as good as refused later
        return
    start = http.get(ses.json()["url"], headers={"Accept": "text/html"})
    assert start.status_code == 400 and "location" not in start.headers, start.text
    assert start.headers["content-type"].startswith("text/html")


def test_mvpd_login_redirects_to_registered_urls(http, profile, clock):
    acct = account(profile, "platform_sso")
    own = App(http, profile["platform_sso"]).redirect_url
    section = profile["platform_sso"]
    for target in (own, "https://app.example.test/signed-in", "adobepass://first.example.test"):
        # A new device each time (no profile yet, so a login again); the app scheme is registered at DCR.
        app = (
            app_with_redirect_uri(http, section, target)
            if target.startswith("adobepass:")
            else App(http, section)
        )
        ses = app.session(redirectUrl=target)
        assert ses.status_code == 200, ses.text
        action, txn = login_page(app, ses.json()["url"])
        done = http.post(
            action, data={"txn": txn, "username": acct["username"], "password": acct["password"]}
        )
        assert done.status_code == 302 and done.headers["location"] == target


def test_mvpd_logout_never_redirects_to_an_unregistered_url(http):
    evil = http.get("/mvpd/RefCable/logout?" + urlencode({"redirect_url": "https://evil.example.org/"}))
    assert evil.status_code == 400 and "location" not in evil.headers
    landing = str(http.base_url).rstrip("/") + "/landing/x"
    own = http.get("/mvpd/RefCable/logout?" + urlencode({"redirect_url": landing}))
    assert own.status_code == 302


def test_mvpd_login_spraying_hits_the_peer_limit(http, profile, clock):
    app = App(http, profile["platform_sso"])
    ses = app.session()
    action, txn = login_page(app, ses.json()["url"])
    statuses = [
        http.post(
            action, data={"txn": txn, "username": f"sprayed{i}@example.test", "password": "Summer2026!"}
        ).status_code
        for i in range(40)
    ]
    spray = Limits().spray_failures
    assert statuses[:spray] == [401] * spray and set(statuses[spray:]) == {429}


def test_dcr_client_secret_brute_force_is_limited(http, profile, clock):
    section = profile["platform_sso"]
    app = App(http, section)
    url = f"{section['dcr_base_url']}/client/token"
    form = {"client_id": app.client_id, "grant_type": "client_credentials"}
    codes = [http.post(url, data={**form, "client_secret": f"wrong-{i}"}).status_code for i in range(8)]
    limit = Limits().credential_failures
    assert codes == [400] * limit + [429] * (8 - limit)
    refused = http.post(url, data={**form, "client_secret": app.secret})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 1
    clock[0] += Limits().credential_window_s + 1
    assert http.post(url, data={**form, "client_secret": app.secret}).status_code == 201


# ----------------------------------------------------------------------------- X-Forwarded-For
def _configuration(app: App, forwarded: str) -> int:
    return app.get("/configuration", h={"X-Forwarded-For": forwarded}).status_code


def test_rotating_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_throttle(untrusted, profile):
    untrusted.reset()
    with httpx.Client(base_url=untrusted.url, timeout=5) as client:
        app = App(client, profile["platform_sso"])
        statuses = [_configuration(app, f"198.51.100.{i}") for i in range(40)]
    burst = profile["platform_sso"]["throttle_burst"]
    # DCR (register + token) already took 2 of the peer's burst; one token may refill meanwhile.
    assert statuses.count(429) >= 40 - burst, statuses


def test_x_forwarded_for_from_a_trusted_proxy_names_the_bucket(http, profile):
    app = App(http, profile["platform_sso"])
    first = [_configuration(app, "203.0.113.10") for _ in range(15)]
    assert 429 in first
    assert _configuration(app, "203.0.113.11") != 429  # another client behind the same proxy


def test_forged_hops_before_the_proxy_are_ignored():
    limits = Limits(trusted_proxies=LOOPBACK)

    def request(peer: str, forwarded: str | None) -> Any:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        from starlette.requests import Request

        return Request({"type": "http", "client": (peer, 1), "headers": headers})

    assert abuse.client_address(request("127.0.0.1", "6.6.6.6, 203.0.113.5"), limits) == "203.0.113.5"
    assert abuse.client_address(request("127.0.0.1", "203.0.113.5, ::1"), limits) == "203.0.113.5"
    assert abuse.client_address(request("127.0.0.1", None), limits) == "127.0.0.1"
    assert abuse.client_address(request("192.0.2.9", "203.0.113.5"), limits) == "192.0.2.9"


# ----------------------------------------------------------------------------- password spraying
def _ott_grant(http: httpx.Client, profile: dict[str, Any], username: str, password: str, **extra: Any):
    s = profile["ott_idp"]
    return http.post(
        s["token_url"],
        data={"grant_type": "password", "username": username, "password": password, "scope": "openid email"},
        auth=(s["client_id"], s["client_secret"]),
        **extra,
    )


def test_ott_idp_spraying_50_usernames_hits_the_peer_limit(http, profile, clock):
    answers = [_ott_grant(http, profile, f"user{i}@example.test", "Winter2026!") for i in range(50)]
    spray = Limits().spray_failures
    assert [a.status_code for a in answers[:spray]] == [400] * spray
    for limited in answers[spray:]:
        assert limited.status_code == 429 and limited.json()["error"] == "invalid_grant"
        assert int(limited.headers["retry-after"]) >= 1
    acct = account(profile, "ott_idp")
    assert _ott_grant(http, profile, acct["username"], acct["password"]).status_code == 429
    clock[0] += Limits().credential_window_s + 1
    assert _ott_grant(http, profile, acct["username"], acct["password"]).status_code == 200


def test_ott_idp_spraying_is_counted_per_forwarded_client(http, profile, clock):
    hdr = {"X-Forwarded-For": "203.0.113.20"}
    for i in range(Limits().spray_failures):
        assert _ott_grant(http, profile, f"u{i}@example.test", "x-Wrong-1", headers=hdr).status_code == 400
    assert _ott_grant(http, profile, "u99@example.test", "x-Wrong-1", headers=hdr).status_code == 429
    other = _ott_grant(
        http, profile, "u99@example.test", "x-Wrong-1", headers={"X-Forwarded-For": "203.0.113.21"}
    )
    assert other.status_code == 400


def test_ott_idp_spraying_from_an_untrusted_peer_cannot_rotate_x_forwarded_for(untrusted, profile, clock):
    untrusted.reset()
    with httpx.Client(base_url=untrusted.url, timeout=5) as client:
        codes = [
            _ott_grant(
                client,
                profile,
                f"r{i}@example.test",
                "x-Wrong-1",
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(Limits().spray_failures + 5)
        ]
    assert codes.count(429) == 5


def test_device_signon_password_spraying_hits_the_peer_limit(http, profile, clock):
    url = profile["device_signon"]["ias_password_url"]
    answers = [
        http.post(url, json={"username": f"s{i}@example.test", "password": "Autumn2026!"}) for i in range(50)
    ]
    spray = Limits().spray_failures
    assert [a.status_code for a in answers[:spray]] == [401] * spray
    assert {a.status_code for a in answers[spray:]} == {429}
    assert answers[-1].json()["code"] == 20029 and int(answers[-1].headers["retry-after"]) >= 1
    clock[0] += Limits().credential_window_s + 1
    acct = account(profile, "device_signon")
    ok = http.post(url, json={"username": acct["username"], "password": acct["password"]})
    assert ok.status_code == 201, ok.text


def test_device_signon_verification_page_spraying_hits_the_peer_limit(http, profile, clock):
    url = profile["device_signon"]["verification_url"]
    spray = Limits().spray_failures
    statuses = [
        http.post(
            url, data={"username": f"p{i}@example.test", "password": "Spring2026!", "user_code": "BCDF-GHJK"}
        ).status_code
        for i in range(spray + 5)
    ]
    assert statuses[:spray] == [400] * spray and set(statuses[spray:]) == {429}


def test_operator_client_secret_brute_force_is_limited(http, profile, clock):
    d = profile["device_signon"]
    url, cid, secret = d["operator_token_url"], d["operator_client_id"], d["operator_client_secret"]
    form = {"grant_type": "client_credentials"}
    codes = [http.post(url, data=form, auth=(cid, f"wrong-{i}")).status_code for i in range(8)]
    limit = Limits().credential_failures
    assert codes == [401] * limit + [429] * (8 - limit)
    refused = http.post(url, data=form, auth=(cid, secret))
    assert refused.status_code == 429 and refused.json()["error"] == "invalid_client"
    clock[0] += Limits().credential_window_s + 1
    assert http.post(url, data=form, auth=(cid, secret)).status_code == 200


# ----------------------------------------------------------------------------- error_description
def _descriptions(resp: httpx.Response) -> str:
    body = resp.json()
    assert "error" in body, body
    return body.get("error_description", "")


@pytest.mark.parametrize("value", HOSTILE)
def test_error_descriptions_stay_within_rfc6749(http, profile, value):
    s, d = profile["ott_idp"], profile["device_signon"]
    auth = (s["client_id"], s["client_secret"])
    acct = account(profile, "ott_idp")
    base = {"grant_type": "password", "username": acct["username"], "password": acct["password"]}
    answers = [
        # an unknown scope value (OTT-ERR-002 with a hostile scope)
        http.post(s["token_url"], data={**base, "scope": f"openid {value}"}, auth=auth),
        # a hostile parameter name sent twice
        http.post(
            s["token_url"],
            content=urlencode([(value, "1"), (value, "2"), *base.items()]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=auth,
        ),
        http.post(s["token_url"], data={**base, "grant_type": value}, auth=auth),
        http.post(d["device_authorization_url"], data={"client_id": d["public_client_id"], "scope": value}),
        http.post(
            d["device_authorization_url"],
            content=urlencode([("client_id", d["public_client_id"]), (value, "1"), (value, "2")]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        http.post(d["token_url"], data={"client_id": d["public_client_id"], "grant_type": value}),
    ]
    for resp in answers:
        assert resp.status_code >= 400, resp.text
        text = _descriptions(resp)
        assert DESCRIPTION.match(text), (resp.request.url, text)
