"""SAML 2.0 for partner single sign-on (docs/partner_sso.md): the AuthnRequest Sessions Partner
issues, and the validation of the SAMLResponse Profiles Partner receives.

The request is remembered for ``saml_request_ttl_s`` with the (serviceProvider, client
application, device, mvpd) it was issued for, and can be answered once. A response is accepted
only when: it parses safely (no DTD, no entities, no network), it is a Success ``samlp:Response``
holding exactly one ``saml:Assertion``, its enveloped signature verifies with a certificate
*pinned* for the MVPD (signxml ``x509_cert=``; the KeyInfo certificate is never trusted), and the
signed element (``VerifyResult.signed_xml``, the only thing read afterwards) has the MVPD's Issuer,
the SP's Audience, a validity window holding now (``saml_clock_skew_s``) and an InResponseTo naming
a live request of the caller. Every refusal is 400 ``invalid_parameter_saml_response``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from signxml import XMLVerifier
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature

from reference_server.platform_sso.context import Call
from reference_server.platform_sso.errors import PassError
from reference_server.platform_sso.settings import Mvpd

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS}
INVALID = "invalid_parameter_saml_response"
_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def request_key(request_id: str) -> str:
    return f"psso:samlreq:{request_id}"


def answered_key(request_id: str) -> str:
    return f"psso:samlans:{request_id}"


def _instant(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issue_request(call: Call, mvpd: str, consumer_url: str) -> str:
    """A new ``samlp:AuthnRequest`` for ``mvpd``, remembered for the caller; returns Base64(XML)."""
    s = call.settings
    request_id = "_" + secrets.token_hex(16)
    root = etree.Element(f"{{{SAMLP}}}AuthnRequest", nsmap={"samlp": SAMLP, "saml": SAML})
    root.set("ID", request_id)
    root.set("Version", "2.0")
    root.set("IssueInstant", _instant(datetime.now(UTC)))
    root.set("AssertionConsumerServiceURL", consumer_url)
    root.set("ProtocolBinding", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
    etree.SubElement(root, f"{{{SAML}}}Issuer").text = s.saml_sp_entity_id
    policy = etree.SubElement(root, f"{{{SAMLP}}}NameIDPolicy")
    policy.set("AllowCreate", "true")
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    record = {"sp": call.sp, "client_id": call.client_id, "device": call.device, "mvpd": mvpd}
    call.store.put(request_key(request_id), record, s.saml_request_ttl_s)
    return base64.b64encode(xml).decode()


@dataclass(frozen=True)
class Answer:
    """What a valid response says: the request it answers and the subject's identifiers."""

    request_id: str
    request: dict[str, Any]
    name_id: str
    attributes: dict[str, list[str]]


def refuse(details: str) -> PassError:
    return PassError(INVALID, details)


def _decode(value: str | None) -> bytes:
    if value is None or not value.strip():
        raise refuse("SAMLResponse is required")
    text = "".join(value.split())
    if not _B64.match(text):
        raise refuse("SAMLResponse is not Base64")
    try:
        bare = text.rstrip("=")
        return base64.b64decode(bare + "=" * (-len(bare) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise refuse("SAMLResponse is not Base64") from exc


def _parse(data: bytes) -> etree._Element:
    """Safe parsing: no DTD (so no entities), no network, no huge trees."""
    if re.search(rb"<!DOCTYPE|<!ENTITY", data, re.IGNORECASE):
        raise refuse("DTDs are not accepted")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise refuse("SAMLResponse is not XML") from exc
    if root is None or root.getroottree().docinfo.doctype:
        raise refuse("DTDs are not accepted")
    return root


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise refuse("a SAML time is malformed") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _verify(call: Call, data: bytes, root: etree._Element, mvpd: Mvpd | None) -> etree._Element:
    """The signed element (Assertion, or a Response covering it) after checking the signature."""
    d = call.deviations
    if d.accept_unsigned_saml_assertion and root.find(".//ds:Signature", NS) is None:
        return root
    certs: tuple[str, ...] = mvpd.saml_certificates if mvpd else ()
    if d.trust_keyinfo_certificate:
        found = root.find(".//ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
        if found is not None and found.text:
            body = "".join(found.text.split())
            certs = (f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n",)
    for cert in certs:
        try:
            result = XMLVerifier().verify(data, x509_cert=cert, id_attribute="ID", expect_references=1)
        except InvalidDigest:
            if d.skip_saml_digest_check:  # the signature over SignedInfo verified; the content changed
                return root
            continue
        except (InvalidSignature, InvalidInput, ValueError, TypeError):
            continue
        signed = result.signed_xml
        if isinstance(signed, etree._Element):
            return signed
    raise refuse("the signature does not verify with the MVPD's certificate")


def _assertion_of(signed: etree._Element) -> etree._Element:
    if signed.tag == f"{{{SAML}}}Assertion":
        return signed
    found = signed.findall(f".//{{{SAML}}}Assertion")
    if len(found) != 1:
        raise refuse("the signed element does not hold exactly one Assertion")
    return found[0]


def validate(call: Call, form_value: str | None, mvpd: Mvpd | None) -> Answer:
    """The answer a SAMLResponse carries, checked against the PFS-mapped ``mvpd``; PassError else."""
    s, d = call.settings, call.deviations
    data = _decode(form_value)
    root = _parse(data)
    if root.tag != f"{{{SAMLP}}}Response":
        raise refuse("not a samlp:Response")
    status = root.find("samlp:Status/samlp:StatusCode", NS)
    if status is None or status.get("Value") != SUCCESS:
        raise refuse("the response status is not Success")
    assertions = root.findall(f".//{{{SAML}}}Assertion")
    if len(assertions) != 1 and not (d.read_first_assertion and assertions):
        raise refuse("the response must hold exactly one Assertion")
    # The MVPD whose pinned certificate and Issuer apply: the one the named request was issued
    # for (so that a PFS for another MVPD is reported as a mismatch afterwards), else the PFS's.
    # Only a selector: the signed InResponseTo must name the same request (checked below).
    named = _named_request(root)
    issued = call.store.get(request_key(named)) if named else None
    if issued is not None and issued.get("mvpd"):
        mvpd = s.mvpd(issued["mvpd"]) or mvpd
    signed = _verify(call, data, root, mvpd)
    # Fault: the classic wrapping bug, a signature verified somewhere and the first Assertion read.
    assertion = assertions[0] if d.read_first_assertion else _assertion_of(signed)
    # From here on only the signed element is read (signature-wrapping defence).
    issuer = assertion.findtext("saml:Issuer", namespaces=NS)
    expected_issuer = mvpd.saml_issuer if mvpd else None
    if not d.skip_saml_issuer_check and (not issuer or issuer.strip() != expected_issuer):
        raise refuse("the assertion's Issuer is not the MVPD's")
    audiences = [
        (a.text or "").strip()
        for a in assertion.findall("saml:Conditions/saml:AudienceRestriction/saml:Audience", NS)
    ]
    if not d.skip_saml_audience_check and s.saml_sp_entity_id not in audiences:
        raise refuse("the assertion's Audience is not this service provider")
    confirmation = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    if not d.skip_saml_validity_check:
        _check_window(call, assertion, confirmation)
    in_response_to = confirmation.get("InResponseTo") if confirmation is not None else None
    if not in_response_to and signed.tag == f"{{{SAMLP}}}Response":
        in_response_to = signed.get("InResponseTo")
    if issued is not None and in_response_to != named:
        raise refuse("the signed InResponseTo is not the one the response names")
    if in_response_to and call.store.get(answered_key(in_response_to)) and not d.saml_request_reusable:
        raise refuse("the SAML request was already answered")
    request = call.store.get(request_key(in_response_to)) if in_response_to else None
    if request is None:
        if not d.skip_saml_in_response_to_check:
            raise refuse("InResponseTo names no live SAML request")
        request = {"sp": call.sp, "client_id": call.client_id, "device": call.device, "mvpd": None}
    mine = (request["sp"], request["client_id"], request["device"]) == (call.sp, call.client_id, call.device)
    if not mine and not d.saml_request_not_bound_to_client:
        raise refuse("the SAML request was issued to another application or device")
    name_id = (assertion.findtext("saml:Subject/saml:NameID", namespaces=NS) or "").strip()
    if not name_id:
        raise refuse("the assertion has no NameID")
    attributes: dict[str, list[str]] = {}
    for attribute in assertion.findall("saml:AttributeStatement/saml:Attribute", NS):
        values = [(v.text or "").strip() for v in attribute.findall("saml:AttributeValue", NS)]
        attributes[attribute.get("Name", "")] = values
    return Answer(in_response_to or "", request, name_id, attributes)


def _named_request(root: etree._Element) -> str | None:
    """The request a response names (unverified): its SubjectConfirmationData, else the Response."""
    for data in root.iter(f"{{{SAML}}}SubjectConfirmationData"):
        if data.get("InResponseTo"):
            return data.get("InResponseTo")
    return root.get("InResponseTo")


def _check_window(call: Call, assertion: etree._Element, confirmation: etree._Element | None) -> None:
    skew = call.settings.saml_clock_skew_s
    now = datetime.now(UTC).timestamp()
    conditions = assertion.find("saml:Conditions", NS)
    if conditions is None:
        raise refuse("the assertion has no Conditions")
    not_before = _time(conditions.get("NotBefore"))
    not_after = _time(conditions.get("NotOnOrAfter"))
    if not_after is None:
        raise refuse("the assertion's Conditions have no NotOnOrAfter")
    if not_before is not None and now + skew < not_before.timestamp():
        raise refuse("the assertion is not valid yet")
    if now - skew >= not_after.timestamp():
        raise refuse("the assertion has expired")
    confirmed_until = _time(confirmation.get("NotOnOrAfter")) if confirmation is not None else None
    if confirmed_until is not None and now - skew >= confirmed_until.timestamp():
        raise refuse("the subject confirmation has expired")


def consume(call: Call, answer: Answer) -> bool:
    """Single use: the answered request is forgotten and remembered as answered; False when it was
    answered meanwhile."""
    if call.deviations.saml_request_reusable or not answer.request_id:
        return True
    request = call.store.pop(request_key(answer.request_id))
    call.store.put(answered_key(answer.request_id), True, call.settings.saml_request_ttl_s * 3)
    return request is not None or answer.request.get("mvpd") is None


def user_ids(mvpd: str, answer: Answer) -> tuple[str, str]:
    """userID and upstreamUserID derived from the MVPD and NameID / uid: no SAML value is shown."""
    uid = (answer.attributes.get("uid") or [answer.name_id])[0] or answer.name_id

    def digest(kind: str, value: str) -> str:
        return hashlib.sha256(f"{kind}\x00{mvpd}\x00{value}".encode()).hexdigest()[:24]

    return digest("user", answer.name_id), digest("upstream", uid)
