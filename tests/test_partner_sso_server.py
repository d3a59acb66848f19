"""The partner_sso reference server over real HTTP: configuration, Sessions Partner (each branch),
Profiles Partner with SAML responses signed by the profile's IdP key, the SAML refusals, the PFS
error table, appleSSO profile visibility, decisions and logout (docs/partner_sso.md)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

from conformance.profile import REFERENCE_PROFILE, load
from conformance.suite.platform_sso.tokens import software_statement
from reference_server.faults import for_contract
from reference_server.partner_sso import ENDPOINTS, Deviations, Settings
from reference_server.server import EmbeddedServer

C = "partner_sso"
ROOT = Path(__file__).resolve().parent.parent
KEYS = ROOT / "profiles" / "keys"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
SP_ENTITY = "https://saml.sp.auth.adobe.com"


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


DEVICE_INFO = b64(json.dumps({"primaryHardwareType": "SetTopBox", "model": "AppleTV", "osName": "tvOS"}))


# ----------------------------------------------------------------------------- profile and server
@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return load(REFERENCE_PROFILE, env={}).data


@pytest.fixture(scope="module")
def section(profile) -> dict[str, Any]:
    return profile[C]


@pytest.fixture(scope="module")
def server(profile) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(profile) as srv:
        yield srv


@pytest.fixture(scope="module")
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


@pytest.fixture(autouse=True)
def clean(server):
    server.set_faults([])
    yield
    server.set_faults([])


def pfs(
    platform_id: str | None = "RefCableApple", status: str | None = "granted", expires_in_s: float = 600
) -> str:
    permission = {} if status is None else {"accessStatus": status}
    provider: dict[str, Any] = {}
    if platform_id is not None:
        provider["id"] = platform_id
        provider["expirationDate"] = str(int((time.time() + expires_in_s) * 1000))
    return b64(json.dumps({"frameworkPermissionInfo": permission, "frameworkProviderInfo": provider}))


class App:
    """One tvOS application on one device: DCR credentials and REST API v2 calls with a PFS."""

    def __init__(self, http: httpx.Client, section: dict[str, Any], role: str = "first", device: str = ""):
        self.http, self.section = http, section
        self.sp, self.api = section["service_provider"], section["api_base_url"]
        self.device = "fingerprint " + b64(device or str(uuid.uuid4()))
        reg = http.post(
            f"{section['dcr_base_url']}/client/register",
            json={"software_statement": software_statement(section, role)},
        )
        assert reg.status_code == 201, reg.text
        tok = http.post(
            f"{section['dcr_base_url']}/client/token",
            data={
                "client_id": reg.json()["client_id"],
                "client_secret": reg.json()["client_secret"],
                "grant_type": "client_credentials",
            },
        )
        assert tok.status_code == 201, tok.text
        self.token = tok.json()["access_token"]
        self.pfs: str | None = pfs()

    def headers(self, **extra: str | None) -> dict[str, str]:
        h: dict[str, str | None] = {
            "Authorization": f"Bearer {self.token}",
            "AP-Device-Identifier": self.device,
            "X-Device-Info": DEVICE_INFO,
            "AP-Partner-Framework-Status": self.pfs,
        }
        h.update(extra)
        return {k: v for k, v in h.items() if v}

    def get(self, path: str, **h: str | None) -> httpx.Response:
        return self.http.get(f"{self.api}/{self.sp}{path}", headers=self.headers(**h))

    def post(self, path: str, data: Any = None, json_body: Any = None, **h: str | None) -> httpx.Response:
        return self.http.post(
            f"{self.api}/{self.sp}{path}", data=data, json=json_body, headers=self.headers(**h)
        )

    @property
    def redirect_url(self) -> str:
        return urljoin(str(self.http.base_url), self.section["redirect_url"])

    def sessions_partner(
        self, partner: str = "Apple", drop: tuple[str, ...] = (), **h: str | None
    ) -> httpx.Response:
        data = {"domainName": self.section["domain_name"], "redirectUrl": self.redirect_url}
        for name in drop:
            data.pop(name)
        return self.post(f"/sessions/sso/{partner}", data=data, **h)

    def saml_request_id(self) -> str:
        resp = self.sessions_partner()
        assert resp.status_code == 200 and resp.json()["actionName"] == "partner_profile", resp.text
        xml = etree.fromstring(base64.b64decode(resp.json()["authenticationRequest"]["request"]))
        return xml.get("ID")

    def profiles_partner(
        self, saml_response: str | None, partner: str = "Apple", **h: str | None
    ) -> httpx.Response:
        data = {} if saml_response is None else {"SAMLResponse": saml_response}
        return self.post(f"/profiles/sso/{partner}", data=data, **h)

    def sign_in(self) -> dict[str, Any]:
        resp = self.profiles_partner(saml_response(self.saml_request_id()))
        assert resp.status_code == 201, resp.text
        return resp.json()


def eec(resp: httpx.Response, status: int, code: str) -> None:
    assert resp.status_code == status, f"{resp.status_code} {resp.text}"
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["action"] == "none" and body["message"]


# ----------------------------------------------------------------------------- SAML responses
IDP_KEY = (KEYS / "partner_sso_saml_idp.key.pem").read_bytes()
IDP_CERT = (KEYS / "partner_sso_saml_idp.crt.pem").read_bytes()
IDP = "https://idp.refcable.example.test"


def _other_key() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intruder")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem_key, cert.public_bytes(serialization.Encoding.PEM)


OTHER_KEY, OTHER_CERT = _other_key()


def _instant(offset_s: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def assertion(
    request_id: str,
    *,
    issuer: str = IDP,
    audience: str = SP_ENTITY,
    name_id: str = "refcable-subscriber-0001",
    valid_s: float = 300,
    sign: bool = True,
    key: bytes = IDP_KEY,
    cert: bytes = IDP_CERT,
) -> etree._Element:
    a = etree.Element(f"{{{SAML}}}Assertion", nsmap={"saml": SAML})
    a.set("ID", "_" + uuid.uuid4().hex)
    a.set("Version", "2.0")
    a.set("IssueInstant", _instant(0))
    etree.SubElement(a, f"{{{SAML}}}Issuer").text = issuer
    if sign:
        etree.SubElement(a, f"{{{DS}}}Signature", nsmap={"ds": DS}).set("Id", "placeholder")
    subject = etree.SubElement(a, f"{{{SAML}}}Subject")
    etree.SubElement(subject, f"{{{SAML}}}NameID").text = name_id
    confirmation = etree.SubElement(subject, f"{{{SAML}}}SubjectConfirmation")
    confirmation.set("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
    data = etree.SubElement(confirmation, f"{{{SAML}}}SubjectConfirmationData")
    data.set("InResponseTo", request_id)
    data.set("NotOnOrAfter", _instant(valid_s))
    conditions = etree.SubElement(a, f"{{{SAML}}}Conditions")
    conditions.set("NotBefore", _instant(-5 if valid_s > 0 else -600))
    conditions.set("NotOnOrAfter", _instant(valid_s))
    restriction = etree.SubElement(conditions, f"{{{SAML}}}AudienceRestriction")
    etree.SubElement(restriction, f"{{{SAML}}}Audience").text = audience
    authn = etree.SubElement(a, f"{{{SAML}}}AuthnStatement")
    authn.set("AuthnInstant", _instant(0))
    statement = etree.SubElement(a, f"{{{SAML}}}AttributeStatement")
    for attr, value in (("uid", name_id), ("uniqueId", "rc-unique-7731")):
        node = etree.SubElement(statement, f"{{{SAML}}}Attribute")
        node.set("Name", attr)
        etree.SubElement(node, f"{{{SAML}}}AttributeValue").text = value
    if not sign:
        return a
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
    )
    return signer.sign(a, key=key, cert=cert, reference_uri=a.get("ID"), id_attribute="ID")


def response_xml(request_id: str, *assertions: etree._Element) -> bytes:
    r = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML})
    r.set("ID", "_" + uuid.uuid4().hex)
    r.set("Version", "2.0")
    r.set("IssueInstant", _instant(0))
    r.set("InResponseTo", request_id)
    etree.SubElement(r, f"{{{SAML}}}Issuer").text = IDP
    status = etree.SubElement(r, f"{{{SAMLP}}}Status")
    etree.SubElement(status, f"{{{SAMLP}}}StatusCode").set(
        "Value", "urn:oasis:names:tc:SAML:2.0:status:Success"
    )
    for a in assertions:
        r.append(a)
    return etree.tostring(r)


def saml_response(request_id: str, **kw: Any) -> str:
    return b64(response_xml(request_id, assertion(request_id, **kw)))


# ----------------------------------------------------------------------------- static
def test_settings_faults_and_endpoints():
    assert ENDPOINTS.sessions_partner.contract == C and ENDPOINTS.profiles_partner.name == "profiles_partner"
    s = Settings.from_profile(load(REFERENCE_PROFILE, env={}).data)
    cable = s.mvpd("RefCable")
    assert s.api_base == "/partner/api/v2" and cable and cable.platform_mapping_id == "RefCableApple"
    assert cable.saml_certificates and cable.partner_sso_enabled
    assert not any(getattr(Deviations(), f) for f in Deviations.__dataclass_fields__)
    faults = for_contract(C)
    assert faults and all(f.name.startswith(f"{C}.") and f.targets for f in faults)


# ----------------------------------------------------------------------------- configuration
def test_configuration_lists_platform_fields(http, section):
    app = App(http, section)
    resp = app.get("/configuration")
    assert resp.status_code == 200, resp.text
    mvpds = {m["id"]: m for m in resp.json()["requestor"]["mvpds"]}
    cable, plain = mvpds["RefCable"], mvpds["RefPlain"]
    assert cable["platformMappingId"] == "RefCableApple" and cable["enablePlatformServices"] is True
    assert cable["displayInPlatformPicker"] is True and cable["boardingStatus"] == "SUPPORTED"
    assert plain["platformMappingId"] == "RefPlainApple" and plain["enablePlatformServices"] is False
    assert "boardingStatus" not in plain


def test_platform_sso_configuration_unchanged(http, profile):
    """platform_sso's MVPDs configure no partner fields: none are listed."""
    section = profile["platform_sso"]
    reg = http.post(
        f"{section['dcr_base_url']}/client/register",
        json={"software_statement": software_statement(section, "first")},
    )
    cid, secret = reg.json()["client_id"], reg.json()["client_secret"]
    tok = http.post(
        f"{section['dcr_base_url']}/client/token",
        data={"client_id": cid, "client_secret": secret, "grant_type": "client_credentials"},
    ).json()["access_token"]
    resp = http.get(
        f"{section['api_base_url']}/REF30/configuration", headers={"Authorization": f"Bearer {tok}"}
    )
    for m in resp.json()["requestor"]["mvpds"]:
        assert not {"platformMappingId", "enablePlatformServices", "boardingStatus"} & set(m), m


# ----------------------------------------------------------------------------- Sessions Partner
def test_sessions_partner_partner_profile(http, section, server):
    app = App(http, section)
    resp = app.sessions_partner()
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["actionName"] == "partner_profile" and body["actionType"] == "direct"
    assert body["reasonType"] == "none" and body["mvpd"] == "RefCable" and body["serviceProvider"] == "REF30"
    assert body["url"] == "/partner/api/v2/REF30/profiles/sso/Apple" and body["sessionId"]
    assert "code" not in body and "missingParameters" not in body
    req = body["authenticationRequest"]
    assert req["type"] == "saml" and req["attributesNames"] == ["uid", "NameID", "uniqueId"]
    xml = etree.fromstring(base64.b64decode(req["request"]))
    assert xml.tag == f"{{{SAMLP}}}AuthnRequest" and xml.get("Version") == "2.0"
    assert xml.get("ID").startswith("_") and len(xml.get("ID")) == 33
    assert xml.get("AssertionConsumerServiceURL") == server.url + body["url"]
    assert xml.findtext(f"{{{SAML}}}Issuer") == SP_ENTITY


@pytest.mark.parametrize(
    "header",
    [
        pfs(status="denied"),
        pfs(status="restricted"),
        pfs(status="notDetermined"),
        pfs(status="pending"),
        pfs(expires_in_s=-60),
        pfs(platform_id="NoSuchProvider"),
        None,
        "not base64 !!",
        b64("[1, 2]"),
    ],
    ids=[
        "denied",
        "restricted",
        "notDetermined",
        "pending",
        "expired",
        "unknown",
        "absent",
        "garbage",
        "array",
    ],
)
def test_sessions_partner_pfs_fallback(http, section, header):
    app = App(http, section)
    app.pfs = header
    resp = app.sessions_partner()
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["actionName"], body["actionType"], body["reasonType"]) == (
        "authenticate",
        "interactive",
        "pfs_fallback",
    )
    assert body["url"] == f"/partner/api/v2/authenticate/REF30/{body['code']}"
    assert int(body["notBefore"]) < int(body["notAfter"]) and "authenticationRequest" not in body
    assert app.get(f"/sessions/{body['code']}").status_code == 200  # a live basic-flow session


def test_sessions_partner_configuration_fallback(http, section):
    app = App(http, section)
    app.pfs = pfs("RefPlainApple")
    body = app.sessions_partner().json()
    assert (body["actionName"], body["reasonType"]) == ("authenticate", "configuration_fallback"), body
    assert body["mvpd"] == "RefPlain" and body["url"].endswith(body["code"])


def test_sessions_partner_missing_parameters(http, section):
    app = App(http, section)
    body = app.sessions_partner(drop=("redirectUrl",)).json()
    assert (body["actionName"], body["actionType"]) == ("resume", "direct"), body
    assert body["reasonType"] == "missing_parameters_fallback" and body["missingParameters"] == [
        "redirectUrl"
    ]
    assert body["url"] == f"/partner/api/v2/REF30/sessions/{body['code']}"


def test_sessions_partner_errors(http, section):
    app = App(http, section)
    eec(app.sessions_partner("Roku"), 400, "invalid_parameter_partner")
    eec(app.profiles_partner("x", "Roku"), 400, "invalid_parameter_partner")
    eec(app.sessions_partner(**{"AP-Device-Identifier": None}), 400, "invalid_header_device_identifier")
    assert app.sessions_partner(Authorization=None).status_code == 401
    assert app.profiles_partner("x", Authorization="Bearer nope").status_code == 401


# ----------------------------------------------------------------------------- Profiles Partner
def test_profiles_partner_then_profiles_decisions_logout(http, section):
    app = App(http, section)
    created = app.sign_in()["profiles"]
    assert list(created) == ["RefCable"]
    prof = created["RefCable"]
    assert prof["issuer"] == "Apple" and prof["type"] == "appleSSO"
    assert prof["notBefore"] <= prof["notAfter"] and prof["attributes"]["userID"]["state"] == "plain"
    assert "refcable-subscriber-0001" not in json.dumps(prof)  # derived ids only
    # Visible with a valid PFS only
    assert app.get("/profiles").json()["profiles"]["RefCable"]["type"] == "appleSSO"
    assert list(app.get("/profiles/RefCable").json()["profiles"]) == ["RefCable"]
    for header in (None, pfs(status="denied"), pfs("RefPlainApple")):
        resp = app.get("/profiles", **{"AP-Partner-Framework-Status": header})
        assert resp.status_code == 200 and resp.json() == {"profiles": {}}, resp.text
    # Sessions Partner now says authorize
    body = app.sessions_partner().json()
    assert (body["actionName"], body["reasonType"]) == ("authorize", "authenticatedSSO"), body
    assert (
        body["url"] == "/partner/api/v2/REF30/decisions/authorize/RefCable"
        and "authenticationRequest" not in body
    )
    # Decisions
    permit = app.post("/decisions/authorize/RefCable", json_body={"resources": ["ref-live"]}).json()[
        "decisions"
    ][0]
    assert permit["authorized"] is True and permit["token"]["serializedToken"]
    deny = app.post("/decisions/authorize/RefCable", json_body={"resources": ["ref-premium"]}).json()[
        "decisions"
    ][0]
    assert deny["authorized"] is False and deny["error"]["code"] == "authorization_denied_by_mvpd"
    pre = app.post("/decisions/preauthorize/RefCable", json_body={"resources": ["ref-live"]}).json()[
        "decisions"
    ]
    assert pre[0]["authorized"] is True and "token" not in pre[0]
    missing = app.post(
        "/decisions/authorize/RefCable",
        json_body={"resources": ["ref-live"]},
        **{"AP-Partner-Framework-Status": None},
    )
    assert (
        missing.status_code == 200
        and missing.json()["decisions"][0]["error"]["code"] == "authenticated_profile_missing"
    )
    denied = app.post(
        "/decisions/authorize/RefCable",
        json_body={"resources": ["ref-live"]},
        **{"AP-Partner-Framework-Status": pfs(status="denied")},
    )
    eec(denied, 400, "invalid_header_pfs_permission_access_not_granted")
    # Logout: partner_logout without url, profile gone
    out = app.get(f"/logout/RefCable?redirectUrl={app.redirect_url}", **{"AP-Partner-Framework-Status": None})
    assert out.status_code == 200, out.text
    assert out.json()["logouts"]["RefCable"] == {
        "actionName": "partner_logout",
        "actionType": "partner_interactive",
        "mvpd": "RefCable",
    }
    assert app.get("/profiles/RefCable").json() == {"profiles": {}}


def test_apple_profile_bound_to_device_and_application(http, section):
    device = str(uuid.uuid4())
    first = App(http, section, device=device)
    first.sign_in()
    other_device = App(http, section)
    other_app = App(http, section, role="second", device=device)
    assert other_device.get("/profiles").json() == {"profiles": {}}
    assert other_app.get("/profiles").json() == {"profiles": {}}


def test_profiles_partner_pfs_table(http, section):
    app = App(http, section)
    request_id = app.saml_request_id()
    good = saml_response(request_id)
    cases = [
        (None, "invalid_header_pfs_permission_access_not_present"),
        ("%%%", "invalid_header_pfs_permission_access_not_present"),
        (pfs(status=None), "invalid_header_pfs_permission_access_not_present"),
        (pfs(status="notDetermined"), "invalid_header_pfs_permission_access_not_determined"),
        (pfs(status="denied"), "invalid_header_pfs_permission_access_not_granted"),
        (pfs(status="restricted"), "invalid_header_pfs_permission_access_not_granted"),
        (pfs("NoSuchProvider"), "invalid_header_pfs_provider_id_not_determined"),
        (pfs(expires_in_s=-60), "invalid_header_pfs_provider_info_expired"),
    ]
    for header, code in cases:
        eec(app.profiles_partner(good, **{"AP-Partner-Framework-Status": header}), 400, code)
    assert app.get("/profiles").json() == {"profiles": {}}
    assert app.profiles_partner(good).status_code == 201  # the request was not consumed by refusals


def test_profiles_partner_provider_mismatch(http, section):
    """A valid PFS for another MVPD (RefPlain) than the one the SAML request was issued for."""
    app = App(http, section)
    response = saml_response(app.saml_request_id())
    resp = app.profiles_partner(response, **{"AP-Partner-Framework-Status": pfs("RefPlainApple")})
    eec(resp, 400, "invalid_header_pfs_provider_id_mismatch")
    assert app.profiles_partner(response).status_code == 201  # the refusal consumed nothing


def test_saml_refusals(http, section):
    app = App(http, section)
    live = app.saml_request_id()
    older = app.saml_request_id()
    assert app.profiles_partner(saml_response(older)).status_code == 201  # consumed
    bad = {
        "missing": None,
        "not base64": "%%% not base64",
        "not xml": b64("plain text"),
        "not a response": b64(etree.tostring(assertion(live))),
        "doctype": b64(
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>' + response_xml(live, assertion(live))
        ),
        "unsigned": b64(response_xml(live, assertion(live, sign=False))),
        "other key": saml_response(live, key=OTHER_KEY, cert=OTHER_CERT),
        "wrong in response to": saml_response("_" + uuid.uuid4().hex),
        "replay of the older": saml_response(older),
        "expired": saml_response(live, valid_s=-60),
        "wrong audience": saml_response(live, audience="https://elsewhere.example.test"),
        "wrong issuer": saml_response(live, issuer="https://idp.intruder.example.test"),
        "wrapping": b64(response_xml(live, assertion(live, sign=False), assertion(older))),
    }
    for case, value in bad.items():
        resp = app.profiles_partner(value)
        assert resp.status_code == 400 and resp.json()["code"] == "invalid_parameter_saml_response", (
            case,
            resp.text,
        )
    tampered = response_xml(live, assertion(live)).replace(
        b"refcable-subscriber-0001</saml:NameID>", b"x</saml:NameID>"
    )
    assert app.profiles_partner(b64(tampered)).json()["code"] == "invalid_parameter_saml_response"
    other_app = App(http, section, role="second", device=str(uuid.uuid4()))
    assert other_app.profiles_partner(saml_response(live)).json()["code"] == "invalid_parameter_saml_response"
    assert app.get("/profiles").json()["profiles"]["RefCable"]["type"] == "appleSSO"  # only the older one


# ----------------------------------------------------------------------------- faults and variant
def test_faults_break_what_they_say(http, section, server):
    app = App(http, section)
    server.set_faults(["partner_sso.saml_unsigned_accepted"])
    live = app.saml_request_id()
    assert app.profiles_partner(b64(response_xml(live, assertion(live, sign=False)))).status_code == 201
    server.set_faults(["partner_sso.saml_signature_wrapping"])
    other = App(http, section)
    older, live = other.saml_request_id(), other.saml_request_id()
    assert other.profiles_partner(saml_response(older)).status_code == 201
    wrapped = b64(response_xml(live, assertion(live, sign=False), assertion(older)))
    assert other.profiles_partner(wrapped).status_code == 201
    server.set_faults(["partner_sso.sessions_partner_denied_error"])
    app.pfs = pfs(status="denied")
    assert app.sessions_partner().status_code == 400
    app.pfs = pfs(status="restricted")
    assert app.sessions_partner().status_code == 200  # only the one behaviour is broken


def test_partner_profile_200_variant(profile, section):
    with (
        EmbeddedServer(profile, variants=["partner_sso.partner_profile_200"]) as srv,
        httpx.Client(base_url=srv.url, timeout=5) as client,
    ):
        app = App(client, section)
        resp = app.profiles_partner(saml_response(app.saml_request_id()))
        assert resp.status_code == 200 and resp.json()["profiles"]["RefCable"]["type"] == "appleSSO"
