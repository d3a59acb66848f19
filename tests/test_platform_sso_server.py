"""The platform_sso reference server over real HTTP: DCR, the user-agent flow through the MVPD
login form, profiles, decisions, two-application single sign-on with JWS and JWE subject tokens,
negatives, faults against the catalogue, and replies against the OpenAPI document."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
import jsonschema
import jwt
import pytest
import yaml
from openapi_spec_validator import validate

from conformance import catalogue, openapi
from conformance.profile import REFERENCE_PROFILE, load
from conformance.suite.platform_sso.tokens import (
    jwe_subject_token,
    jws_subject_token,
    software_statement,
    subject_claims,
)
from reference_server.faults import for_contract
from reference_server.platform_sso import ENDPOINTS, Deviations, Settings, api_routes, endpoints_for
from reference_server.server import EmbeddedServer

C = "platform_sso"
PROFILE_FILE = REFERENCE_PROFILE
ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- profile and tokens
@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return load(PROFILE_FILE, env={}).data


@pytest.fixture(scope="module")
def section(profile) -> dict[str, Any]:
    return profile[C]


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


DEVICE_INFO = b64(
    json.dumps(
        {
            "primaryHardwareType": "SetTopBox",
            "model": "RefBox",
            "version": "1.2.3",
            "osName": "Linux",
            "osVersion": "6.1",
            "connectionType": "LAN",
        }
    )
)


# ----------------------------------------------------------------------------- server and client
@pytest.fixture(scope="module")
def server(profile) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(profile) as srv:
        yield srv


@pytest.fixture(scope="module")
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


def check_schema(name: str, body: Any) -> None:
    problems = openapi.errors(C, name, body)
    assert not problems, f"{name}: {problems}"


class App:
    """One streaming application on one device: its DCR credentials and REST API v2 calls."""

    def __init__(self, http: httpx.Client, section: dict[str, Any], role: str = "first", device: str = ""):
        self.http, self.section = http, section
        self.sp, self.api = section["service_provider"], section["api_base_url"]
        self.device = "fingerprint " + b64(device or str(uuid.uuid4()))
        self.subject: str | None = None
        reg = http.post(
            f"{section['dcr_base_url']}/client/register",
            json={"software_statement": software_statement(section, role)},
            headers={"X-Device-Info": DEVICE_INFO},
        )
        assert reg.status_code == 201, reg.text
        check_schema("ClientRegistration", reg.json())
        self.client_id, self.secret = reg.json()["client_id"], reg.json()["client_secret"]
        tok = http.post(
            f"{section['dcr_base_url']}/client/token",
            data={
                "client_id": self.client_id,
                "client_secret": self.secret,
                "grant_type": "client_credentials",
            },
        )
        assert tok.status_code == 201, tok.text
        check_schema("AccessToken", tok.json())
        self.token = tok.json()["access_token"]

    def headers(self, **extra: str) -> dict[str, str]:
        h = {
            "Authorization": f"Bearer {self.token}",
            "AP-Device-Identifier": self.device,
            "X-Device-Info": DEVICE_INFO,
        }
        if self.subject:
            h["Adobe-Subject-Token"] = self.subject
        h.update(extra)
        return {k: v for k, v in h.items() if v}

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(f"{self.api}/{self.sp}{path}", headers=self.headers(**kw.pop("h", {})), **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.post(f"{self.api}/{self.sp}{path}", headers=self.headers(**kw.pop("h", {})), **kw)

    def session(
        self, mvpd: str | None = None, h: dict[str, str] | None = None, **params: str
    ) -> httpx.Response:
        s = self.section
        data = {"mvpd": mvpd or s["mvpd"], "domainName": s["domain_name"], "redirectUrl": self.redirect_url}
        data.update(params)
        return self.post("/sessions", data={k: v for k, v in data.items() if v}, h=h or {})

    @property
    def redirect_url(self) -> str:
        return urljoin(str(self.http.base_url), self.section["redirect_url"])

    def login(self, url: str, account: str = "primary", password: str | None = None) -> httpx.Response:
        """Follow the user-agent URL to the MVPD form and post it, as a browser would."""
        acct = next(a for a in self.section["accounts"] if a["role"] == account)
        start = self.http.get(url, headers={"Accept": "text/html"})
        assert start.status_code == 302, start.text
        page = self.http.get(start.headers["location"])
        assert page.status_code == 200, page.text
        assert re.search(r'<input id="username" name="username"', page.text)
        action = re.search(r'<form id="mvpd-login" method="post" action="([^"]+)"', page.text).group(1)
        txn = re.search(r'name="txn" value="([^"]+)"', page.text).group(1)
        return self.http.post(
            action, data={"txn": txn, "username": acct["username"], "password": password or acct["password"]}
        )

    def authenticate(self, mvpd: str | None = None) -> dict[str, Any]:
        """Session -> user agent -> MVPD login -> redirectUrl; returns the session answer."""
        ses = self.session(mvpd)
        assert ses.status_code == 200 and ses.json()["actionName"] == "authenticate", ses.text
        done = self.login(ses.json()["url"])
        assert done.status_code == 302 and done.headers["location"] == self.redirect_url
        return ses.json()


def eec(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """A top-level Enhanced Error Code answer with ``status`` (and ``code``)."""
    assert resp.status_code == status, f"{resp.status_code} {resp.text}"
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    check_schema("ErrorInformation", body)
    assert body["status"] == status and (code is None or body["code"] == code), body
    return body


def oauth_error(resp: httpx.Response, error: str) -> None:
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    check_schema("OAuthError", resp.json())
    assert resp.json()["error"] == error, resp.text


# ----------------------------------------------------------------------------- static documents
def test_catalogue_faults_and_schemas_agree():
    reqs = catalogue.load(C).requirements
    assert len(reqs) >= 60
    faults = for_contract(C)
    covered = set()
    for fault in faults:
        assert fault.name.startswith(f"{C}.") and fault.targets, fault.name
        unknown = set(fault.targets) - set(reqs)
        assert not unknown, f"{fault.name} targets unknown requirements {unknown}"
        covered.update(fault.targets)
    uncovered = [
        r.id for r in reqs.values() if r.level == "MUST" and r.id not in covered and not r.untestable
    ]
    assert not uncovered, f"MUST requirements without a fault: {uncovered}"
    doc = openapi.document(C)
    validate(doc)
    eec_file = json.loads((ROOT / "schemas" / C / "eec-error.schema.json").read_text())
    component = doc["components"]["schemas"]["ErrorInformation"]
    strip = {"$schema", "$id", "title", "description", "$comment"}
    assert {k: v for k, v in eec_file.items() if k not in strip} == {
        k: v for k, v in component.items() if k not in strip
    }
    for path in (ROOT / "schemas" / C).glob("*.schema.json"):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))
    assert yaml.safe_load((ROOT / "schemas" / f"{C}.openapi.yaml").read_text())["openapi"].startswith("3.1")


def test_clean_server_has_no_deviation():
    """Deviations exist only for faults: every switch is off unless a fault turns it on."""
    assert not any(dataclasses.asdict(Deviations()).values())


def test_another_contract_mounts_the_same_endpoints():
    """partner_sso serves the REST API v2 handlers under its own contract key and endpoint names."""
    names = endpoints_for("psso_mount_test")
    assert endpoints_for("psso_mount_test") is names
    routes = api_routes("psso_mount_test", Settings(), catch_all=False)
    handlers = {route.endpoint.__name__ for route in routes}
    assert "psso_mount_test_dcr_register" in handlers
    assert not any(name.startswith(f"{C}_") for name in handlers)
    assert str(names.logout) == "psso_mount_test.logout" and str(ENDPOINTS.logout) == f"{C}.logout"


def test_header_payload_schemas_describe_what_the_suite_sends(section):
    def schema(name: str) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / C / name).read_text()))

    schema("x-device-info.schema.json").validate(json.loads(base64.b64decode(DEVICE_INFO)))
    device = "fingerprint " + b64("ba23d141-d715-561c-94f4-e9e4c966b1eb")
    schema("ap-device-identifier.schema.json").validate({"header": device, "decoded": "ba23d141"})
    schema("adobe-subject-token.schema.json").validate(subject_claims(section, "user-1"))


# ----------------------------------------------------------------------------- DCR
def test_dcr_registration_and_token_negatives(http, section):
    register, token = f"{section['dcr_base_url']}/client/register", f"{section['dcr_base_url']}/client/token"
    ok = software_statement(section, "first")
    reg = http.post(
        register, json={"software_statement": ok, "redirect_uri": "adobepass://first.example.test"}
    )
    assert reg.status_code == 201 and reg.json()["redirect_uris"] == ["adobepass://first.example.test"]
    check_schema("ClientRegistration", reg.json())
    assert reg.headers["cache-control"] == "no-store"
    oauth_error(http.post(register, json={}), "invalid_request")
    oauth_error(http.post(register, json={"software_statement": "not-a-jwt"}), "invalid_software_statement")
    head, payload, _ = ok.split(".")
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode() + f".{payload}."
    oauth_error(http.post(register, json={"software_statement": unsigned}), "invalid_software_statement")
    oauth_error(
        http.post(register, json={"software_statement": f"{head}.{payload}.AAAA"}),
        "invalid_software_statement",
    )
    foreign = jwt.encode({"software_id": "x"}, "a-shared-secret-that-is-long-enough!", algorithm="HS256")
    oauth_error(http.post(register, json={"software_statement": foreign}), "invalid_software_statement")
    revoked = software_statement(section, "revoked")
    oauth_error(http.post(register, json={"software_statement": revoked}), "unapproved_software_statement")
    outside = {
        "software_statement": ok,
        "redirect_uri": section["software_statement"]["foreign_redirect_uri"],
    }
    oauth_error(http.post(register, json=outside), "invalid_redirect_uri")

    creds = reg.json()
    form = {
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "grant_type": "client_credentials",
    }
    tok = http.post(token, data=form)
    assert tok.status_code == 201 and tok.json()["token_type"].lower() == "bearer"
    check_schema("AccessToken", tok.json())
    assert abs(tok.json()["created_at"] - time.time() * 1000) < 60_000
    assert tok.headers["cache-control"] == "no-store"
    oauth_error(http.post(token, data={**form, "client_secret": "wrong"}), "invalid_client")
    oauth_error(http.post(token, data={**form, "client_id": "nope"}), "invalid_client")
    oauth_error(http.post(token, data={**form, "grant_type": "password"}), "unsupported_grant_type")
    oauth_error(
        http.post(token, data={k: v for k, v in form.items() if k != "grant_type"}), "invalid_request"
    )
    repeated = urlencode(form) + "&grant_type=client_credentials"
    dup = http.post(token, content=repeated, headers={"Content-Type": "application/x-www-form-urlencoded"})
    oauth_error(dup, "invalid_request")
    assert http.post(token, params=form).status_code == 201  # [OD] reading (§8 #9)


# ----------------------------------------------------------------------------- common checks
def test_access_token_service_provider_method_and_headers(http, section):
    app = App(http, section)
    sp, api = section["service_provider"], section["api_base_url"]
    missing = http.get(f"{api}/{sp}/profiles", headers={"AP-Device-Identifier": app.device})
    assert eec(missing, 401)["code"] == "invalid_access_token_client_application"
    assert missing.json()["action"] == "application-registration"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    eec(http.get(f"{api}/{sp}/profiles", headers={**app.headers(), "Authorization": "Bearer garbage"}), 401)
    unknown_sp = http.get(f"{api}/{section['unknown_service_provider']}/profiles", headers=app.headers())
    eec(unknown_sp, 400, "invalid_parameter_service_provider")
    other = App(http, section, "unlinked")
    body = eec(other.get("/profiles"), 401, "invalid_access_token_service_provider")
    assert body["action"] == "application-registration"
    eec(http.get(f"{api}/{sp}/sessions", headers=app.headers()), 405, "method_not_allowed")
    eec(http.delete(f"{api}/{sp}/profiles", headers=app.headers()), 405)
    eec(app.post("/profiles"), 405)
    eec(app.get("/profiles", h={"AP-Device-Identifier": ""}), 400, "invalid_header_device_identifier")
    for bad in ("fingerprint", "fingerprint !!!", "uuid " + b64("x"), "fingerprint" + b64("abc")):
        eec(app.session(h={"AP-Device-Identifier": bad}), 400, "invalid_header_device_identifier")
    for bad in ("%%%", b64("not json"), b64("[1, 2]")):
        eec(app.session(h={"X-Device-Info": bad}), 400, "invalid_header_device_info")
    assert app.get("/profiles", h={"X-Device-Info": ""}).status_code == 200
    ios = b64(
        json.dumps({"type": "TV", "model": "AppleTV", "version": "1", "osName": "tvOS", "osVersion": "18"})
    )
    assert app.session(h={"X-Device-Info": ios}).status_code == 200
    bare = http.get(f"{api}/{sp}/configuration", headers={"Authorization": f"Bearer {app.token}"})
    assert bare.status_code == 200
    check_schema("Configuration", bare.json())
    ids = [m["id"] for m in bare.json()["requestor"]["mvpds"]]
    assert section["mvpd"] in ids and section["inactive_mvpd"] not in ids
    eec(http.get(f"{api}/{sp}/nothing/here", headers=app.headers()), 404)


def test_sessions_create_resume_retrieve(http, section):
    app = App(http, section)
    ses = app.session()
    assert ses.status_code == 200
    check_schema("SessionResponse", ses.json())
    body = ses.json()
    assert (body["actionName"], body["actionType"], body["reasonType"]) == (
        "authenticate",
        "interactive",
        "none",
    )
    assert body["url"] == f"{section['api_base_url']}/authenticate/{app.sp}/{body['code']}"
    assert int(body["notBefore"]) < int(body["notAfter"])

    empty = app.post("/sessions")
    check_schema("SessionResponse", empty.json())
    code = empty.json()["code"]
    assert (empty.json()["actionName"], empty.json()["actionType"]) == ("resume", "direct")
    assert empty.json()["missingParameters"] == ["mvpd", "domainName", "redirectUrl"]
    assert empty.json()["url"] == f"{section['api_base_url']}/{app.sp}/sessions/{code}"
    pending = http.get(empty.json()["url"], headers=app.headers())
    assert pending.status_code == 200 and pending.json()["missingParameters"]
    check_schema("SessionStatus", pending.json())
    assert http.get(f"{section['api_base_url']}/authenticate/{app.sp}/{code}").status_code == 400

    retry = app.post(f"/sessions/{code}", data={"mvpd": section["mvpd"]})
    check_schema("SessionResponse", retry.json())
    assert retry.json()["actionName"] == "retry" and retry.json()["missingParameters"] == [
        "domainName",
        "redirectUrl",
    ]
    done = app.post(
        f"/sessions/{code}", data={"domainName": section["domain_name"], "redirectUrl": app.redirect_url}
    )
    assert (done.json()["actionName"], done.json()["actionType"]) == ("authenticate", "interactive")
    status = app.get(f"/sessions/{code}")
    check_schema("SessionStatus", status.json())
    assert "missingParameters" not in status.json() and status.json()["device"]["model"] == "RefBox"
    assert status.json()["existingParameters"]["mvpd"] == section["mvpd"]
    sample_path = http.get(f"{section['api_base_url']}/sessions/{app.sp}/{code}", headers=app.headers())
    assert sample_path.status_code == 200  # the samples' path (§8 #3)

    eec(app.get("/sessions/ZZZZZZZ"), 400, "invalid_authentication_session")
    eec(app.post("/sessions/ZZZZZZZ"), 400, "invalid_authentication_session")
    eec(app.get("/sessions/bad-code!"), 400, "invalid_parameter_code")
    eec(app.session(mvpd=section["inactive_mvpd"]), 400, "invalid_integration")
    eec(app.session(mvpd=section["unknown_mvpd"]), 400, "invalid_parameter_mvpd")
    eec(app.session(redirectUrl="not a url"), 400, "invalid_parameter_redirect_url")
    unknown_ua = http.get(f"{section['api_base_url']}/authenticate/{app.sp}/ZZZZZZZ")
    assert unknown_ua.status_code == 400 and unknown_ua.headers["content-type"].startswith("text/html")


# ----------------------------------------------------------------------------- user-agent flow
def test_regular_flow_profiles_decisions_logout(http, section):
    app = App(http, section)
    m, sp = section["mvpd"], section["service_provider"]
    ses = app.session().json()
    before = app.get(f"/profiles/code/{ses['code']}")
    assert before.status_code == 200 and before.json() == {"profiles": {}}
    refused = app.login(ses["url"], password="wrong-password")
    assert refused.status_code == 401 and 'role="alert"' in refused.text
    done = app.login(ses["url"])
    assert done.status_code == 302 and done.headers["location"] == app.redirect_url
    assert http.get(done.headers["location"]).status_code == 200  # the sandbox landing page

    by_code = app.get(f"/profiles/code/{ses['code']}").json()
    check_schema("Profiles", by_code)
    assert by_code["profiles"][m]["type"] == "regular" and by_code["profiles"][m]["issuer"] == m
    stranger = App(http, section, "second", device="other")
    assert stranger.get(f"/profiles/code/{ses['code']}").json() == {"profiles": {}}
    listed = app.get("/profiles").json()
    check_schema("Profiles", listed)
    assert set(listed["profiles"]) == {m}
    assert app.get(f"/profiles/{m}").json() == listed
    assert app.get(f"/profiles/{section['second_mvpd']}").json() == {"profiles": {}}
    again = app.session().json()
    assert (again["actionName"], again["reasonType"]) == (
        "authorize",
        "authenticated",
    ) and "code" not in again
    other_device = copy.copy(app)
    other_device.device = "fingerprint " + b64("another-device")
    assert other_device.get("/profiles").json() == {"profiles": {}}
    reregistered = App(http, section, "first")
    reregistered.device = app.device
    assert reregistered.get("/profiles").json() == {"profiles": {}}  # new credentials, same device

    auth = app.post(f"/decisions/authorize/{m}", json={"resources": [section["resource"]]})
    check_schema("Decisions", auth.json())
    [permit] = auth.json()["decisions"]
    assert permit["authorized"] and permit["source"] == "mvpd" and permit["token"]["serializedToken"]
    keys = jwt.PyJWKSet.from_dict(http.get(section["media_token_jwks_url"]).json())
    compact = base64.b64decode(permit["token"]["serializedToken"]).decode()
    kid = jwt.get_unverified_header(compact)["kid"]
    claims = jwt.decode(compact, keys[kid].key, algorithms=["RS256"], audience=sp)
    assert (claims["resource"], claims["mvpd"], claims["serviceProvider"]) == (section["resource"], m, sp)
    deny = app.post(f"/decisions/authorize/{m}", json={"resources": [section["denied_resource"]]})
    check_schema("Decisions", deny.json())
    [denied] = deny.json()["decisions"]
    assert deny.status_code == 200 and not denied["authorized"] and "token" not in denied
    assert denied["error"]["code"] == "authorization_denied_by_mvpd" and denied["error"]["status"] == 403
    pre = app.post(f"/decisions/preauthorize/{m}", json={"resources": section["preauthorize_resources"]})
    check_schema("PreauthorizeDecisions", pre.json())
    assert [d["authorized"] for d in pre.json()["decisions"]] == [True, True, False]
    many = app.post(f"/decisions/preauthorize/{m}", json={"resources": [f"r{i}" for i in range(6)]})
    assert {d["error"]["code"] for d in many.json()["decisions"]} == {"too_many_resources"}
    for bad in ({}, {"resources": []}, {"resources": "ref-live"}, {"resources": [1]}):
        eec(app.post(f"/decisions/authorize/{m}", json=bad), 400, "invalid_parameter_resources")
    nobody = stranger.post(f"/decisions/authorize/{m}", json={"resources": [section["resource"]]})
    assert nobody.json()["decisions"][0]["error"]["code"] == "authenticated_profile_missing"

    eec(app.get(f"/logout/{m}"), 400, "invalid_parameter_redirect_url")
    out_url = urljoin(str(http.base_url), section["logout_redirect_url"])
    out = app.get(f"/logout/{m}", params={"redirectUrl": out_url})
    check_schema("Logouts", out.json())
    action = out.json()["logouts"][m]
    assert (action["actionName"], action["actionType"]) == ("logout", "interactive")
    assert http.get(action["url"]).headers["location"] == out_url
    assert app.get("/profiles").json() == {"profiles": {}}
    gone = app.get(f"/logout/{m}", params={"redirectUrl": out_url}).json()["logouts"][m]
    assert gone == {"actionName": "invalid", "actionType": "none", "mvpd": m}
    app.authenticate(section["second_mvpd"])
    dummy = app.get(f"/logout/{section['second_mvpd']}", params={"redirectUrl": out_url}).json()
    assert dummy["logouts"][section["second_mvpd"]]["actionName"] == "complete"


# ----------------------------------------------------------------------------- platform identity SSO
def test_two_applications_share_a_platform_identity(http, section):
    m = section["mvpd"]
    user = f"platform-user-{uuid.uuid4()}"
    first = App(http, section, "first")
    first.subject = jws_subject_token(section, user)
    ses = first.authenticate()
    assert first.get(f"/profiles/code/{ses['code']}").json()["profiles"][m]["type"] == "regular"
    regular = first.get("/profiles").json()["profiles"][m]

    second = App(http, section, "second")  # another registration, another device
    for token in (jws_subject_token(section, user), jwe_subject_token(section, user)):
        second.subject = token
        shared = second.get("/profiles").json()
        check_schema("Profiles", shared)
        assert shared["profiles"][m]["type"] == "platformSSO" and shared["profiles"][m]["issuer"] == m
        assert shared["profiles"][m]["notAfter"] == regular["notAfter"]
        assert shared["profiles"][m]["attributes"]["userID"] == regular["attributes"]["userID"]
    roku = second.get("/profiles", h={"Adobe-Subject-Token": "", "X-Roku-Reserved-Roku-Connect-Token": token})
    assert roku.json()["profiles"][m]["type"] == "platformSSO"
    sso_session = second.session().json()
    assert (sso_session["actionName"], sso_session["reasonType"]) == ("authorize", "authenticatedSSO")
    permit = second.post(f"/decisions/authorize/{m}", json={"resources": [section["resource"]]}).json()
    assert permit["decisions"][0]["authorized"] and permit["decisions"][0]["token"]

    same_device = App(http, section, "second", device="")
    same_device.device = first.device
    assert same_device.get("/profiles").json() == {"profiles": {}}
    missing = same_device.post(f"/decisions/authorize/{m}", json={"resources": [section["resource"]]})
    assert missing.json()["decisions"][0]["error"]["code"] == "authenticated_profile_missing"

    other_key = jwt.encode(subject_claims(section, user), "x" * 32, algorithm="HS256")
    unsigned = jwt.encode(subject_claims(section, user), None, algorithm="none")
    for bad in (
        "garbage",
        "a.b.c",
        unsigned,
        other_key,
        jws_subject_token(section, user, exp=int(time.time()) - 60),
        jws_subject_token(section, user, iss="someone-else"),
        jws_subject_token(section, f"{user}-other"),
        jwe_subject_token(section, user, exp=int(time.time()) - 60),
    ):
        same_device.subject = bad
        assert same_device.get("/profiles").json() == {"profiles": {}}, bad
        assert same_device.session().status_code == 200

    third = App(http, section, "second")
    third.subject = jwe_subject_token(section, user)
    out = second.get(f"/logout/{m}", params={"redirectUrl": second.redirect_url}).json()["logouts"][m]
    assert out["actionName"] == "logout" and out["url"].startswith("/mvpd/")  # host-relative for SSO
    assert third.get("/profiles").json() == {"profiles": {}}
    assert first.get("/profiles").json() == {"profiles": {}}  # single logout ends the first app's profile


# ----------------------------------------------------------------------------- timings
def test_expiry_and_throttling_on_short_timings(profile):
    fast = json.loads(json.dumps(profile))
    fast["reference_server"][C].update(code_ttl_s=0.4, profile_ttl_s=0.8)
    fast[C].update(throttle_burst=5, throttle_rate_per_s=4.0)
    section = fast[C]
    with EmbeddedServer(fast) as srv, httpx.Client(base_url=srv.url, timeout=5) as http:
        app = App(http, section)
        m = section["mvpd"]
        stale = app.session().json()
        live = app.authenticate()
        assert app.get("/profiles").json()["profiles"][m]["type"] == "regular"
        time.sleep(0.45)
        eec(app.get(f"/sessions/{stale['code']}"), 400, "invalid_authentication_session")
        eec(app.post(f"/sessions/{stale['code']}"), 400, "invalid_authentication_session")
        assert http.get(stale["url"]).status_code == 400
        assert app.get(f"/profiles/code/{live['code']}").json()["profiles"][m]  # authenticated: still served
        time.sleep(0.45)
        assert app.get("/profiles").json() == {"profiles": {}}
        assert app.get(f"/profiles/{m}").json() == {"profiles": {}}
        assert app.get(f"/profiles/code/{live['code']}").json() == {"profiles": {}}
        expired = app.post(f"/decisions/authorize/{m}", json={"resources": [section["resource"]]})
        assert expired.json()["decisions"][0]["error"]["code"] == "authenticated_profile_expired"

        device_ip = {"X-Forwarded-For": "203.0.113.77"}
        url = f"{section['api_base_url']}/{section['service_provider']}/configuration"
        answers = [http.get(url, headers={**app.headers(), **device_ip}).status_code for _ in range(7)]
        assert answers[:5] == [200] * 5 and answers[-1] == 429
        assert http.get(url, headers=app.headers()).status_code == 200  # other device (loopback is exempt)
        time.sleep(0.3)
        assert http.get(url, headers={**app.headers(), **device_ip}).status_code == 200


# ----------------------------------------------------------------------------- faults
@pytest.fixture
def faulty(server) -> Iterator[EmbeddedServer]:
    yield server
    server.set_faults([])


def test_faults_break_what_they_target(faulty, http, section):
    app = App(http, section)
    register = f"{section['dcr_base_url']}/client/register"
    faulty.set_faults([f"{C}.dcr_register_200", f"{C}.token_not_required", f"{C}.session_urls_absolute"])
    assert (
        http.post(register, json={"software_statement": software_statement(section, "first")}).status_code
        == 200
    )
    api, sp = section["api_base_url"], section["service_provider"]
    anonymous = http.get(f"{api}/{sp}/profiles", headers={"AP-Device-Identifier": app.device})
    assert anonymous.status_code == 200
    assert app.session().json()["url"].startswith("http://")
    faulty.set_faults([f"{C}.eec_status_string", f"{C}.subject_token_garbage_rejected"])
    assert app.session(mvpd=section["unknown_mvpd"]).json()["status"] == "400"
    app.subject = "garbage"
    assert app.get("/profiles").status_code == 400
    faulty.set_faults([])
    assert app.get("/profiles").status_code == 200
