"""SAML for the partner flow: the vendor's AuthnRequest read, the MVPD's Response built and signed.

The suite relays what Apple's framework would: a ``samlp:Response`` answering the vendor's request,
its ``saml:Assertion`` signed (enveloped XML-DSig, RSA-SHA256, exclusive c14n, reference
``#<Assertion ID>``, the certificate in KeyInfo) with ``[partner_sso.saml] signing_key_file``, whose
certificate the vendor pins for the MVPD (docs/partner_sso.md: "SAML response").

Forgeries are built from the same parts (``Forge``): unsigned, signed by a key made for this run
(its own certificate in KeyInfo), altered after signing, a wrong InResponseTo, expired, a wrong
Audience or Issuer, and signature wrapping. ``features.saml = "hook"`` lets the vendor's own
``response_command`` make the valid responses (its MVPD's key never leaves it): forgeries that need
the trusted key then skip; the others are made from what the hook returned.

Nothing here raises on the vendor's garbage: ``parse_request`` returns what it could read.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier

from conformance.checks import Blocked
from conformance.suite.platform_sso.tokens import private_key, read_key

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
DEFAULT_SP_ENTITY = "https://saml.sp.auth.adobe.com"
NSMAP = {"samlp": SAMLP, "saml": SAML}
# The vendor's XML is never trusted: no entities, no DTD, no network.
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def instant(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    return "_" + secrets.token_hex(16)


def b64(xml: bytes) -> str:
    return base64.b64encode(xml).decode()


# ---------------------------------------------------------------------------------------------
# The vendor's request


@dataclass
class SamlRequest:
    """What the suite could read of ``authenticationRequest.request`` (never raises)."""

    b64: str
    xml: bytes | None = None  # the decoded bytes, when Base64
    root: Any = None  # the parsed element, when XML
    problems: list[str] = field(default_factory=list)

    @property
    def id(self) -> str | None:
        value = self.root.get("ID") if self.root is not None else None
        return value if isinstance(value, str) and value else None

    @property
    def namespace(self) -> str | None:
        if self.root is None:
            return None
        return etree.QName(self.root).namespace

    @property
    def local_name(self) -> str | None:
        return etree.QName(self.root).localname if self.root is not None else None

    @property
    def issuer(self) -> str | None:
        if self.root is None:
            return None
        node = self.root.find(q(SAML, "Issuer"))
        return (node.text or "").strip() if node is not None else None

    @property
    def acs_url(self) -> str | None:
        return self.root.get("AssertionConsumerServiceURL") if self.root is not None else None

    def summary(self) -> str:
        """The structure, for evidence (the ID only as the redactor will fingerprint it)."""
        if self.root is None:
            return "; ".join(self.problems) or "unreadable"
        return (
            f"{self.local_name} in {self.namespace}, ID {self.id!r}, Issuer {self.issuer!r}, "
            f"Version {self.root.get('Version')!r}"
        )


def parse_request(value: Any) -> SamlRequest:
    """Read the vendor's Base64 SAML request; ``problems`` says what is wrong with it."""
    req = SamlRequest(value if isinstance(value, str) else "")
    if not isinstance(value, str) or not value:
        req.problems.append(
            f"request is {type(value).__name__ if value is not None else 'absent'}, not a string"
        )
        return req
    try:
        req.xml = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        req.problems.append("request is not Base64")
        return req
    try:
        req.root = etree.fromstring(req.xml, SAFE_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        req.problems.append("request does not decode to XML")
        return req
    if req.root is None:
        req.problems.append("request decodes to an empty document")
    return req


# ---------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True)
class KeyPair:
    key_pem: bytes
    cert_pem: bytes


def _self_signed(common_name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = utcnow()
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
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KeyPair(key_pem, cert.public_bytes(serialization.Encoding.PEM))


@cache
def forger() -> KeyPair:
    """A key and self-signed certificate made for this run only: no vendor can have pinned it."""
    return _self_signed("conformance-suite forger (untrusted)")


def trusted(cfg: dict[str, Any], profile_dir: Path) -> KeyPair:
    """The key the vendor trusts for the MVPD ([partner_sso.saml] signing_key_file/certificate_file)."""
    if not cfg.get("signing_key_file") or not cfg.get("certificate_file"):
        raise Blocked("[partner_sso.saml] names no signing_key_file and certificate_file")
    return KeyPair(
        read_key(cfg["signing_key_file"], profile_dir), read_key(cfg["certificate_file"], profile_dir)
    )


# ---------------------------------------------------------------------------------------------
# The MVPD's response


@dataclass
class Answer:
    """What a response says: every field a forgery may change."""

    in_response_to: str
    idp: str  # the MVPD's IdP entity id: Issuer of the Response and of the Assertion
    audience: str = DEFAULT_SP_ENTITY
    name_id: str = "subscriber"
    attributes: dict[str, str] = field(default_factory=dict)
    validity_s: int = 300
    not_before: dt.datetime | None = None  # default: now - 60 s
    not_on_or_after: dt.datetime | None = None  # default: now + validity_s
    destination: str | None = None

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        now = utcnow()
        return (
            self.not_before or now - dt.timedelta(seconds=60),
            self.not_on_or_after or now + dt.timedelta(seconds=self.validity_s),
        )


def assertion(a: Answer, assertion_id: str | None = None) -> etree._Element:
    """An unsigned ``saml:Assertion`` saying ``a`` (``sign`` places its Signature after the Issuer)."""
    nb, noa = a.window()
    now = instant(utcnow())
    el = etree.Element(q(SAML, "Assertion"), nsmap={"saml": SAML})
    el.set("ID", assertion_id or new_id())
    el.set("Version", "2.0")
    el.set("IssueInstant", now)
    etree.SubElement(el, q(SAML, "Issuer")).text = a.idp
    subject = etree.SubElement(el, q(SAML, "Subject"))
    name_id = etree.SubElement(subject, q(SAML, "NameID"), Format=NAMEID_UNSPECIFIED)
    name_id.text = a.name_id
    confirmation = etree.SubElement(subject, q(SAML, "SubjectConfirmation"), Method=BEARER)
    data = etree.SubElement(confirmation, q(SAML, "SubjectConfirmationData"))
    data.set("InResponseTo", a.in_response_to)
    data.set("NotOnOrAfter", instant(noa))
    if a.destination:
        data.set("Recipient", a.destination)
    conditions = etree.SubElement(el, q(SAML, "Conditions"), NotBefore=instant(nb), NotOnOrAfter=instant(noa))
    restriction = etree.SubElement(conditions, q(SAML, "AudienceRestriction"))
    etree.SubElement(restriction, q(SAML, "Audience")).text = a.audience
    authn = etree.SubElement(el, q(SAML, "AuthnStatement"), AuthnInstant=now, SessionIndex=new_id())
    context = etree.SubElement(authn, q(SAML, "AuthnContext"))
    etree.SubElement(context, q(SAML, "AuthnContextClassRef")).text = PASSWORD_CLASS
    statement = etree.SubElement(el, q(SAML, "AttributeStatement"))
    for name, value in a.attributes.items():
        attr = etree.SubElement(statement, q(SAML, "Attribute"), Name=name)
        etree.SubElement(attr, q(SAML, "AttributeValue")).text = str(value)
    return el


def sign(element: etree._Element, keys: KeyPair) -> etree._Element:
    """``element`` (with an ID) signed as the design says: enveloped, RSA-SHA256, exclusive c14n,
    reference ``#ID``, the certificate in KeyInfo, the Signature right after its Issuer."""
    placeholder = etree.Element(q(DS, "Signature"), nsmap={"ds": DS}, Id="placeholder")
    issuer = element.find(q(SAML, "Issuer"))
    if issuer is not None:
        issuer.addnext(placeholder)
    else:
        element.insert(0, placeholder)
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    )
    signer.namespaces = {"ds": DS}
    return signer.sign(
        element,
        key=private_key(keys.key_pem),
        cert=keys.cert_pem.decode(),
        reference_uri=element.get("ID"),
        id_attribute="ID",
    )


def response(a: Answer, assertions: list[etree._Element]) -> bytes:
    """A Success ``samlp:Response`` to ``a.in_response_to`` carrying ``assertions`` in that order."""
    root = etree.Element(q(SAMLP, "Response"), nsmap=NSMAP)
    root.set("ID", new_id())
    root.set("Version", "2.0")
    root.set("IssueInstant", instant(utcnow()))
    root.set("InResponseTo", a.in_response_to)
    if a.destination:
        root.set("Destination", a.destination)
    etree.SubElement(root, q(SAML, "Issuer")).text = a.idp
    status = etree.SubElement(root, q(SAMLP, "Status"))
    etree.SubElement(status, q(SAMLP, "StatusCode"), Value=SUCCESS)
    for el in assertions:
        root.append(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def signed_response(a: Answer, keys: KeyPair | None) -> bytes:
    """The response with its one assertion signed by ``keys`` (unsigned when None)."""
    el = assertion(a)
    if keys is not None:
        el = sign(el, keys)
    else:
        placeholder = el.find(q(DS, "Signature"))
        if placeholder is not None:
            el.remove(placeholder)
    return response(a, [el])


def verify(xml: bytes, cert_pem: bytes) -> Any:
    """signxml's verdict with the pinned certificate, as a vendor should reach it (raises on failure)."""
    return XMLVerifier().verify(
        xml, x509_cert=cert_pem.decode(), id_attribute="ID", expect_references=1, parser=SAFE_PARSER
    )


# ---------------------------------------------------------------------------------------------
# Working on a response someone else made (the hook's, or an earlier one)


def parse_response(value: str) -> etree._Element | None:
    try:
        return etree.fromstring(base64.b64decode(value, validate=True), SAFE_PARSER)
    except (binascii.Error, ValueError, etree.XMLSyntaxError):
        return None


def assertions_of(root: etree._Element) -> list[etree._Element]:
    return root.findall(q(SAML, "Assertion")) if root is not None else []


def tampered_name_id(value: str, name_id: str) -> str | None:
    """``value`` (a Base64 response) with every NameID changed after signing (None if unreadable)."""
    root = parse_response(value)
    if root is None:
        return None
    nodes = root.iter(q(SAML, "NameID"))
    changed = False
    for node in nodes:
        node.text = name_id
        changed = True
    return b64(etree.tostring(root, xml_declaration=True, encoding="UTF-8")) if changed else None


def structure(value: str) -> str:
    """What a Base64 response says, for evidence: issuer, audience, validity, algorithm and the
    InResponseTo (fingerprinted by the redactor), never the NameID or attribute values."""
    root = parse_response(value)
    if root is None:
        return "not a readable response"
    parts = [f"Issuer {root.findtext(q(SAML, 'Issuer'))!r}", f"InResponseTo {root.get('InResponseTo')!r}"]
    for i, el in enumerate(assertions_of(root)):
        cond = el.find(q(SAML, "Conditions"))
        audience = el.findtext(
            f"{q(SAML, 'Conditions')}/{q(SAML, 'AudienceRestriction')}/{q(SAML, 'Audience')}"
        )
        method = el.find(f"{q(DS, 'Signature')}/{q(DS, 'SignedInfo')}/{q(DS, 'SignatureMethod')}")
        parts.append(
            f"assertion {i + 1}: Issuer {el.findtext(q(SAML, 'Issuer'))!r}, Audience {audience!r}, "
            f"NotBefore {cond.get('NotBefore') if cond is not None else None!r}, "
            f"NotOnOrAfter {cond.get('NotOnOrAfter') if cond is not None else None!r}, "
            f"signature {method.get('Algorithm') if method is not None else 'none'}"
        )
    return "; ".join(parts)


def wrapped(live: Answer, older_signed: etree._Element) -> bytes:
    """Signature wrapping: an unsigned assertion answering the live request, placed before a
    correctly signed assertion that answered an older, consumed request."""
    forged = assertion(live)
    placeholder = forged.find(q(DS, "Signature"))
    if placeholder is not None:
        forged.remove(placeholder)
    return response(live, [forged, copy.deepcopy(older_signed)])
