"""SAML and the AP-Partner-Framework-Status header are credentials: no report shows them.

Real SAML (an AuthnRequest, a Response whose assertion is signed with signxml: RSA-SHA256,
exclusive c14n, the certificate in KeyInfo) and real Base64, in every place the suite meets them:
form bodies, JSON members, headers, free text, raw and HTML-escaped XML, truncated slices. What may
remain is the structure (conformance.redact.saml_summary): issuer, audience, validity, algorithms,
fingerprinted IDs, masked NameID and attribute values.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import random
import uuid
import zlib
from urllib.parse import quote, quote_plus, urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods

from conformance.redact import Redactor, pfs_summary, saml_summary

SP = "https://saml.sp.auth.adobe.com"
IDP = "https://idp.testcable.example.test"
ACS = "http://127.0.0.1:8080/partner/api/v2/REF30/profiles/sso/Apple"
NAME_ID = "subscriber-nameid-4711-secret"
UID = "uid-value-0815-secret"
UNIQUE_ID = "unique-value-9921-secret"
REQUEST_ID = "_" + uuid.UUID(int=0x5A5A_1234).hex
ASSERTION_ID = "_" + uuid.UUID(int=0x0BAD_CAFE).hex
RESPONSE_ID = "_" + uuid.UUID(int=0x0FEE_D00D).hex
NOW = dt.datetime(2026, 12, 3, 10, 0, 0, tzinfo=dt.UTC)
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def _instant(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def idp() -> tuple[bytes, bytes, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.testcable.example.test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4711)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=825))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM), cert


def authn_request() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{REQUEST_ID}" Version="2.0" IssueInstant="{_instant(NOW)}" '
        f'AssertionConsumerServiceURL="{ACS}">'
        f"<saml:Issuer>{SP}</saml:Issuer>"
        "</samlp:AuthnRequest>"
    )


def assertion_xml(assertion_id: str = ASSERTION_ID, in_response_to: str = REQUEST_ID) -> str:
    before, after = _instant(NOW - dt.timedelta(seconds=5)), _instant(NOW + dt.timedelta(seconds=300))
    return (
        '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{assertion_id}" Version="2.0" IssueInstant="{_instant(NOW)}">'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        "<saml:Subject>"
        f'<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{NAME_ID}</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData InResponseTo="{in_response_to}" NotOnOrAfter="{after}" '
        f'Recipient="{ACS}"/>'
        "</saml:SubjectConfirmation>"
        "</saml:Subject>"
        f'<saml:Conditions NotBefore="{before}" NotOnOrAfter="{after}">'
        f"<saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction>"
        "</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{_instant(NOW)}" SessionIndex="_session-index-31337">'
        "<saml:AuthnContext><saml:AuthnContextClassRef>"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext>"
        "</saml:AuthnStatement>"
        "<saml:AttributeStatement>"
        f'<saml:Attribute Name="uid"><saml:AttributeValue>{UID}</saml:AttributeValue></saml:Attribute>'
        f'<saml:Attribute Name="uniqueId"><saml:AttributeValue>{UNIQUE_ID}</saml:AttributeValue>'
        "</saml:Attribute>"
        "</saml:AttributeStatement>"
        "</saml:Assertion>"
    )


def signed_response(idp, extra_assertion: str = "") -> str:
    key_pem, cert_pem, _ = idp
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm=EXC_C14N,
    )
    signed = signer.sign(
        etree.fromstring(assertion_xml()), key=key_pem, cert=cert_pem, reference_uri=ASSERTION_ID
    )
    return (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{RESPONSE_ID}" Version="2.0" IssueInstant="{_instant(NOW)}" InResponseTo="{REQUEST_ID}" '
        f'Destination="{ACS}">'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        + extra_assertion
        + etree.tostring(signed).decode()
        + "</samlp:Response>"
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def pfs(access: str = "granted", provider: str = "TestCableApple") -> str:
    body = {
        "frameworkPermissionInfo": {"accessStatus": access},
        "frameworkProviderInfo": {"id": provider, "expirationDate": "2025430636000"},
    }
    return b64(json.dumps(body))


def secrets_of(xml: str) -> list[str]:
    """What must never be written: the values and every encoding of the message."""
    values = ("SignatureValue", "DigestValue", "X509Certificate")
    signature_values = [
        e.text.strip() for e in etree.fromstring(xml.encode()).iter() if etree.QName(e).localname in values
    ]
    encoded = b64(xml)
    return [
        NAME_ID,
        UID,
        UNIQUE_ID,
        REQUEST_ID,
        ASSERTION_ID,
        "_session-index-31337",
        encoded,
        encoded[:60],
        quote_plus(encoded),
        *signature_values,  # SignatureValue, DigestValue, X509Certificate
    ]


def assert_clean(text: str, xml: str) -> None:
    leaked = [s for s in secrets_of(xml) if s in text]
    assert not leaked, f"{len(leaked)} SAML value(s) in: {text[:300]}"
    encoded = b64(xml)  # not even a slice of it: any 32 characters in a row
    pieces = [encoded[i : i + 32] for i in range(0, len(encoded) - 32, 4)]
    assert not [p for p in pieces if p in text], f"a slice of the Base64 SAML in: {text[:300]}"


def test_summary_of_a_signed_response_keeps_the_structure_only(idp):
    xml = signed_response(idp)
    summary = saml_summary(b64(xml))
    assert summary["element"] == "Response"
    assert summary["namespace"] == "urn:oasis:names:tc:SAML:2.0:protocol"
    assert summary["issuer"] == IDP
    assert summary["status"] == ["urn:oasis:names:tc:SAML:2.0:status:Success"]
    assert summary["in_response_to"].startswith("«id:") and summary["destination"] == ACS
    (assertion,) = summary["assertions"]
    assert assertion["issuer"] == IDP
    assert assertion["conditions"] == {
        "not_before": "2026-12-03T09:59:55Z",
        "not_on_or_after": "2026-12-03T10:05:00Z",
        "audiences": [SP],
    }
    subject = assertion["subject"]
    assert subject["name_id"] == "«masked»"
    assert subject["name_id_format"].endswith("nameid-format:persistent")
    (confirmation,) = subject["confirmations"]
    assert confirmation["method"].endswith(":cm:bearer")
    assert confirmation["in_response_to"] == summary["in_response_to"]  # same ID, same fingerprint
    assert assertion["attributes"] == {"uid": ["«masked»"], "uniqueId": ["«masked»"]}
    signature = assertion["signature"]
    assert signature["algorithm"] == RSA_SHA256
    assert signature["canonicalization"] == EXC_C14N
    (reference,) = signature["references"]
    assert reference["uri"] == "#" + assertion["id"]  # the signature covers this assertion
    assert reference["digest"] == "http://www.w3.org/2001/04/xmlenc#sha256"
    fingerprint = idp[2].fingerprint(hashes.SHA256()).hex().upper()
    assert signature["certificates_sha256"] == [":".join(fingerprint[i : i + 2] for i in range(0, 64, 2))]
    assert signature["value_present"] is True
    assert "nested_assertions" not in summary
    assert_clean(json.dumps(summary), xml)


def test_summary_reads_every_encoding_the_same(idp):
    xml = signed_response(idp)
    encoded = b64(xml)
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    deflated = base64.b64encode(zlib.compress(xml.encode())[2:-4]).decode()  # HTTP-Redirect binding
    urlsafe = base64.urlsafe_b64encode(xml.encode()).decode().rstrip("=")
    expected = saml_summary(xml)
    for form in (encoded, xml.encode(), quote_plus(encoded), quote(encoded), wrapped, deflated, urlsafe):
        assert saml_summary(form) == expected
    assert saml_summary(encoded.encode()) == expected


def test_summary_of_the_authn_request():
    summary = saml_summary(b64(authn_request()))
    assert summary["element"] == "AuthnRequest"
    assert summary["issuer"] == SP
    assert summary["assertion_consumer_service_url"] == ACS
    assert summary["version"] == "2.0" and summary["issue_instant"] == "2026-12-03T10:00:00Z"
    assert summary["id"].startswith("«id:") and REQUEST_ID not in json.dumps(summary)


def test_summary_shows_wrapping_and_unsigned_assertions(idp):
    unsigned = assertion_xml(assertion_id="_" + "e" * 32, in_response_to="_" + "f" * 32)
    summary = saml_summary(signed_response(idp, extra_assertion=unsigned))
    first, second = summary["assertions"]
    assert first["signature"] is None and second["signature"]["references"][0]["uri"] == "#" + second["id"]
    nested = signed_response(idp).replace(
        "<samlp:Status>", f"<samlp:Extensions>{unsigned}</samlp:Extensions><samlp:Status>"
    )
    assert saml_summary(nested)["nested_assertions"] == 1


def test_salted_masks_replace_the_default_ones(idp):
    redactor = Redactor(b"salt")
    summary = redactor.saml_summary(b64(signed_response(idp)))
    (assertion,) = summary["assertions"]
    assert assertion["subject"]["name_id"] == redactor.fingerprint(NAME_ID)
    assert summary["in_response_to"] == redactor.fingerprint(REQUEST_ID)
    # The NameID is now known: wherever it turns up later, it is masked too.
    assert NAME_ID not in redactor.text(f"profile for {NAME_ID}")


@pytest.mark.parametrize(
    "doc",
    [
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'>&b;</samlp:Response>",
        '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>',
    ],
    ids=["internal-entities", "external-dtd"],
)
def test_documents_with_a_dtd_are_never_parsed(doc):
    assert saml_summary(doc) == {"undecodable": True, "dtd": True}
    assert saml_summary(b64(doc)) == {"undecodable": True, "dtd": True}


def test_garbage_is_undecodable_not_an_error():
    assert saml_summary("not base64 at all!") == {"undecodable": True}
    assert saml_summary(b64("<samlp:Response unclosed")) == {"undecodable": True}  # no tag: not XML
    truncated = "<samlp:Response ID='_1'><saml:Issuer>"
    assert saml_summary(b64(truncated)) == {"undecodable": True, "bytes": len(truncated)}


def test_form_body_with_saml_response_shows_structure_only(idp):
    xml = signed_response(idp)
    redactor = Redactor(b"salt")
    body = urlencode({"SAMLResponse": b64(xml), "RelayState": "state-1"}).encode()
    out = redactor.body("application/x-www-form-urlencoded", body)
    assert out.startswith("SAMLResponse=«SAML {") and IDP in out and SP in out
    assert_clean(out, xml)
    # Not SAML, still a SAMLResponse: masked by its name like any secret field.
    out = redactor.body("application/x-www-form-urlencoded", b"SAMLResponse=garbage-value-1234")
    assert "garbage-value-1234" not in out and out.startswith("SAMLResponse=«fp:")


def test_sessions_partner_answer_shows_no_saml_request():
    xml = authn_request()
    redactor = Redactor(b"salt")
    answer = {
        "actionName": "partner_profile",
        "actionType": "direct",
        "reasonType": "none",
        "url": "/api/v2/REF30/profiles/sso/Apple",
        "authenticationRequest": {"type": "saml", "request": b64(xml), "attributesNames": ["uid", "NameID"]},
    }
    out = redactor.body("application/json", json.dumps(answer).encode())
    data = json.loads(out)
    request = data["authenticationRequest"]
    assert request["type"] == "saml" and request["attributesNames"] == ["uid", "NameID"]
    assert request["request"].startswith("«SAML {") and '"element":"AuthnRequest"' in request["request"]
    assert data["url"] == answer["url"] and data["actionName"] == "partner_profile"
    assert_clean(out, xml)
    # A `request` that is no SAML at all is masked by its name.
    out = redactor.body("application/json", b'{"authenticationRequest": {"request": "not-saml-but-secret"}}')
    assert "not-saml-but-secret" not in out


def test_pfs_header_shows_what_it_says_not_what_it_is():
    redactor = Redactor(b"salt")
    value = pfs("denied")
    ((name, out),) = redactor.headers([("AP-Partner-Framework-Status", value)])
    assert name == "AP-Partner-Framework-Status" and value not in out
    summary = json.loads(out.removeprefix("«PFS ").removesuffix("»"))
    assert summary == {
        "fp": redactor.fingerprint(value)[4:-1],
        "accessStatus": "denied",
        "id": "TestCableApple",
        "expirationDate": "2025430636000",
    }
    assert value not in redactor.text(f"sent {value} and {quote(value)}")
    ((_, out),) = redactor.headers([("ap-partner-framework-status", "%%not-base64%%")])
    assert "not-base64" not in out and '"undecodable":true' in out
    assert pfs_summary(b64('{"frameworkPermissionInfo": "granted"}')) == {"frameworkPermissionInfo": "str"}


def test_free_text_never_shows_saml_or_pfs(idp):
    xml = signed_response(idp)
    encoded = b64(xml)
    header = pfs()
    texts = {
        "base64": f"Profiles Partner refused {encoded} with 400",
        "form": "body: " + urlencode({"SAMLResponse": encoded}),
        "truncated": f"saw {encoded[:200]}",
        "middle": f"...{encoded[301:777]}...",
        "wrapped": "\n".join(encoded[i : i + 64] for i in range(0, len(encoded), 64)),
        "raw xml": f"assertion was {xml} (refused)",
        "raw xml cut": f"assertion was {xml[:900]}",
        "escaped xml": f"<pre>{html.escape(xml)}</pre>",
        "pfs": f"PFS {header} refused",
        "pfs cut": f"PFS {header[:50]}",
    }
    for what, text in texts.items():
        out = Redactor(b"salt").text(text)
        assert_clean(out, xml)
        assert header not in out and header[:50] not in out, what
        assert "«" in out, what  # something was masked
    out = Redactor(b"salt").text(texts["raw xml"])
    assert out.startswith("assertion was «SAML {") and out.endswith("» (refused)")


def test_text_stays_readable_and_redaction_is_idempotent(idp):
    redactor = Redactor(b"salt")
    plain = (
        "POST /partner/api/v2/REF30/profiles/sso/Apple answered 400 "
        "invalid_header_pfs_permission_access_not_present for session 83c046be-9a7e-4cd0-8a54-6b6a1bfe5f1c at https://pass-test.example.com/api/v2/REF30/configuration"
    )
    assert redactor.text(plain) == plain
    once = redactor.text(f"got {b64(signed_response(idp))} and {pfs()}")
    assert redactor.text(once) == once


def test_random_tokens_are_not_taken_for_saml():
    """Opaque tokens are masked by name or as known values, never as XML by chance."""
    rng = random.Random(20261203)
    redactor = Redactor(b"salt")
    for _ in range(3000):
        raw = rng.randbytes(rng.randint(24, 120))
        for token in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")):
            assert redactor.value("sessionId", token) == token
            assert redactor.text(f"id {token} seen") == f"id {token} seen"


def test_xml_bodies_are_summarised_when_they_are_saml(idp):
    xml = signed_response(idp)
    out = Redactor(b"salt").body("application/samlassertion+xml", xml.encode())
    assert out.startswith("«SAML {") and '"element":"Response"' in out
    assert_clean(out, xml)
    out = Redactor(b"salt").body("text/xml", b"<note><to>someone</to></note>")
    assert out.startswith("<29 bytes of XML/SAML content, masked «fp:")
