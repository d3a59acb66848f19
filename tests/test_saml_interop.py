"""SAML interop with an independent XML-DSig implementation: python-xmlsec (libxmlsec1).

The suite signs (``conformance/suite/partner_sso/saml.py``) and the reference server verifies
(``reference_server/partner_sso/saml.py``) with signxml. These tests prove both sides speak the XML-DSig
profile of docs/partner_sso.md ("SAML response": enveloped, exclusive c14n, RSA-SHA256, SHA-256 digest,
reference ``#<Assertion ID>``) the way another implementation does, not only the way signxml does:

* an assertion signed by xmlsec with the pinned IdP key, answering a SAML request the reference server
  issued, is accepted over real loopback HTTP and makes an appleSSO profile;
* the same signed by xmlsec with an untrusted key, or altered after xmlsec signed it, is refused;
* the suite's own ``signed_response`` verifies with xmlsec against the pinned certificate.

The unsigned XML comes from the suite's ``assertion()``/``response()``; every signature here that is
not the suite's is xmlsec's. xmlsec is a dev dependency: it is imported directly, never skipped.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
import xmlsec
from lxml import etree

from conformance.profile import REFERENCE_PROFILE, load
from conformance.suite.partner_sso import saml
from conformance.suite.platform_sso.tokens import software_statement
from reference_server.server import EmbeddedServer

C = "partner_sso"
INVALID = "invalid_parameter_saml_response"
DEVICE_INFO = base64.b64encode(
    json.dumps({"primaryHardwareType": "SetTopBox", "model": "AppleTV", "osName": "tvOS"}).encode()
).decode()


# ----------------------------------------------------------------------------- xmlsec, both ways
def xmlsec_sign(xml: bytes, keys: saml.KeyPair) -> bytes:
    """``xml`` (a samlp:Response with one unsigned Assertion) with that Assertion signed by xmlsec:
    enveloped, exclusive c14n, RSA-SHA256, SHA-256 digest, Reference URI ``#<Assertion ID>``, the
    certificate in KeyInfo, the Signature right after the Assertion's Issuer (SAML schema order)."""
    root = etree.fromstring(xml, saml.SAFE_PARSER)
    (assertion,) = saml.assertions_of(root)
    assert assertion.find(saml.q(saml.DS, "Signature")) is None  # no signxml placeholder left over
    signature = xmlsec.template.create(
        assertion, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256, ns="ds"
    )
    assertion.find(saml.q(saml.SAML, "Issuer")).addnext(signature)
    ref = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri="#" + assertion.get("ID"))
    xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    xmlsec.tree.add_ids(root, ["ID"])
    key = xmlsec.Key.from_memory(keys.key_pem, xmlsec.KeyFormat.PEM)
    key.load_cert_from_memory(keys.cert_pem, xmlsec.KeyFormat.PEM)
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    ctx.sign(signature)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def xmlsec_verify(xml: bytes, cert_pem: bytes) -> etree._Element:
    """The Assertion of ``xml`` after xmlsec verified its one enveloped signature with ``cert_pem``
    (pinned: the KeyInfo certificate is not used). Raises ``xmlsec.VerificationError`` on failure."""
    root = etree.fromstring(xml, saml.SAFE_PARSER)
    (assertion,) = saml.assertions_of(root)
    signatures = list(root.iter(saml.q(saml.DS, "Signature")))
    assert len(signatures) == 1 and signatures[0].getparent() is assertion, "one Signature, in the Assertion"
    (reference,) = signatures[0].iterfind(f"{saml.q(saml.DS, 'SignedInfo')}/{saml.q(saml.DS, 'Reference')}")
    assert reference.get("URI") == "#" + assertion.get("ID"), "the Signature must cover the Assertion"
    xmlsec.tree.add_ids(root, ["ID"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
    ctx.verify(signatures[0])
    return assertion


# ----------------------------------------------------------------------------- reference server
@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return load(REFERENCE_PROFILE, env={}).data


@pytest.fixture(scope="module")
def section(profile) -> dict[str, Any]:
    return profile[C]


@pytest.fixture(scope="module")
def idp(section) -> saml.KeyPair:
    """The key and certificate the profile names for the MVPD, which the reference server pins."""
    return saml.trusted(section["saml"], REFERENCE_PROFILE.parent)


@pytest.fixture(scope="module")
def server(profile) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(profile) as srv:
        yield srv


@pytest.fixture(scope="module")
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


class App:
    """One tvOS application on a device of its own: DCR credentials, a granted PFS for the MVPD."""

    def __init__(self, http: httpx.Client, section: dict[str, Any]):
        self.http, self.section = http, section
        self.base = f"{section['api_base_url']}/{section['service_provider']}"
        reg = http.post(
            f"{section['dcr_base_url']}/client/register",
            json={"software_statement": software_statement(section, "first")},
        )
        assert reg.status_code == 201, reg.text
        tok = http.post(
            f"{section['dcr_base_url']}/client/token",
            data={
                **{k: reg.json()[k] for k in ("client_id", "client_secret")},
                "grant_type": "client_credentials",
            },
        )
        assert tok.status_code == 201, tok.text
        pfs = {
            "frameworkPermissionInfo": {"accessStatus": "granted"},
            "frameworkProviderInfo": {
                "id": "RefCableApple",
                "expirationDate": str(int(time.time() + 600) * 1000),
            },
        }
        self.headers = {
            "Authorization": f"Bearer {tok.json()['access_token']}",
            "AP-Device-Identifier": "fingerprint " + base64.b64encode(uuid.uuid4().bytes).decode(),
            "X-Device-Info": DEVICE_INFO,
            "AP-Partner-Framework-Status": base64.b64encode(json.dumps(pfs).encode()).decode(),
        }

    def saml_request(self) -> saml.SamlRequest:
        """The SAML AuthnRequest Sessions Partner issues (partner_profile), as the suite reads it."""
        resp = self.http.post(
            f"{self.base}/sessions/sso/{self.section['partner']}",
            data={
                "domainName": self.section["domain_name"],
                "redirectUrl": urljoin(str(self.http.base_url), self.section["redirect_url"]),
            },
            headers=self.headers,
        )
        assert resp.status_code == 200 and resp.json()["actionName"] == "partner_profile", resp.text
        request = saml.parse_request(resp.json()["authenticationRequest"]["request"])
        assert request.id and not request.problems, request.summary()
        return request

    def answer(self, request: saml.SamlRequest) -> saml.Answer:
        cfg = self.section["saml"]
        return saml.Answer(
            in_response_to=request.id,
            idp=cfg["idp_entity_id"],
            audience=cfg["sp_entity_id"],
            name_id=cfg["name_id"],
            attributes=dict(cfg["attributes"]),
            destination=request.acs_url,
        )

    def profiles_partner(self, xml: bytes) -> httpx.Response:
        return self.http.post(
            f"{self.base}/profiles/sso/{self.section['partner']}",
            data={"SAMLResponse": saml.b64(xml)},
            headers=self.headers,
        )

    def profiles(self) -> dict[str, Any]:
        resp = self.http.get(f"{self.base}/profiles", headers=self.headers)
        assert resp.status_code == 200, resp.text
        return resp.json()["profiles"]


@pytest.fixture
def app(http, section) -> App:
    return App(http, section)


def unsigned(a: saml.Answer) -> bytes:
    """The suite's Response to ``a`` with its one Assertion, unsigned (for xmlsec to sign)."""
    return saml.response(a, [saml.assertion(a)])


def assert_refused(resp: httpx.Response) -> None:
    assert resp.status_code == 400, f"{resp.status_code} {resp.text}"
    assert resp.json()["code"] == INVALID, resp.text


def assert_apple_profile(resp: httpx.Response, app: App) -> None:
    assert resp.status_code in (200, 201), f"{resp.status_code} {resp.text}"
    assert resp.json()["profiles"]["RefCable"]["type"] == "appleSSO", resp.text
    assert app.profiles()["RefCable"]["type"] == "appleSSO"


# ----------------------------------------------------------------------------- the tests
def test_xmlsec_signed_response_accepted_by_server(app, idp):
    request = app.saml_request()
    a = app.answer(request)
    xml = xmlsec_sign(unsigned(a), idp)
    assert xmlsec_verify(xml, idp.cert_pem).findtext(f"{{{saml.SAML}}}Subject/{{{saml.SAML}}}NameID") == (
        a.name_id
    )
    signed = saml.verify(xml, idp.cert_pem).signed_xml  # the suite's own verifier (signxml) agrees
    assert signed.tag == saml.q(saml.SAML, "Assertion") and signed.get("ID") == saml.assertions_of(
        etree.fromstring(xml, saml.SAFE_PARSER)
    )[0].get("ID")
    assert_apple_profile(app.profiles_partner(xml), app)


def test_xmlsec_signed_with_untrusted_key_refused_by_server(app, idp):
    request = app.saml_request()
    untrusted = saml.forger()
    assert untrusted.cert_pem != idp.cert_pem
    xml = xmlsec_sign(unsigned(app.answer(request)), untrusted)
    xmlsec_verify(xml, untrusted.cert_pem)  # a well-formed signature, only by the wrong key
    with pytest.raises(xmlsec.VerificationError):
        xmlsec_verify(xml, idp.cert_pem)
    assert_refused(app.profiles_partner(xml))
    assert app.profiles() == {}
    # The refusal consumed nothing: the same request, signed by xmlsec with the pinned key, is accepted.
    assert_apple_profile(app.profiles_partner(xmlsec_sign(unsigned(app.answer(request)), idp)), app)


def test_suite_signed_response_verifies_with_xmlsec(section, idp):
    cfg = section["saml"]
    a = saml.Answer(
        in_response_to=saml.new_id(),
        idp=cfg["idp_entity_id"],
        audience=cfg["sp_entity_id"],
        name_id=cfg["name_id"],
        attributes=dict(cfg["attributes"]),
    )
    xml = saml.signed_response(a, idp)
    assertion = xmlsec_verify(xml, idp.cert_pem)
    assert assertion.findtext(f"{{{saml.SAML}}}Issuer") == cfg["idp_entity_id"]
    with pytest.raises(xmlsec.VerificationError):  # pinned means pinned: another certificate fails
        xmlsec_verify(xml, saml.forger().cert_pem)


def test_xmlsec_signed_then_altered_fails_xmlsec_and_server(app, idp):
    request = app.saml_request()
    xml = xmlsec_sign(unsigned(app.answer(request)), idp)
    xmlsec_verify(xml, idp.cert_pem)  # intact, it verifies
    altered = saml.tampered_name_id(saml.b64(xml), "someone-else")
    assert altered is not None
    altered_xml = base64.b64decode(altered)
    assert b">someone-else</saml:NameID>" in altered_xml
    with pytest.raises(xmlsec.VerificationError):
        xmlsec_verify(altered_xml, idp.cert_pem)
    assert_refused(app.profiles_partner(altered_xml))
    assert app.profiles() == {}
    assert_apple_profile(app.profiles_partner(xml), app)  # the intact one still answers the live request
