"""Masking of secrets in everything the suite writes (PRODUCT.md: Evidence and secrets).

Known values (profile secrets, and every token, code or credential seen in an exchange) are
replaced wherever they appear; sensitive fields are masked by name in headers, query strings,
form and JSON bodies; JWTs keep their header and claim names but lose sensitive claim values.
Each mask carries a short salted fingerprint (``«fp:1a2b3c4d»``) so an auditor can still see
that the same token came back twice, without learning it.

SAML messages and the ``AP-Partner-Framework-Status`` header (PFS) are credentials too: wherever
they appear (a form field, a JSON member such as ``authenticationRequest.request``, a header, free
text; Base64, URL-encoded, deflated or raw XML) they are replaced by their structure only
(``«SAML {...}»``: issuer, audience, validity, signature algorithms, fingerprinted IDs, masked
NameID and attribute values; ``«PFS {...}»``: access status, provider id, expiry).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import re
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree

SENSITIVE_FIELD = re.compile(
    r"(password|passwd|secret|token|code|assertion|saml|cookie|authorization|credential|"
    r"username|email|^name$|given_name|family_name|phone|^sub$|account_?id|user_?id|device_?id|"
    r"upstream|^jti$|private|signature|software_statement|^state$|nonce|consent|csrf|xsrf|txn|^request$|"
    # MVPD login handles (CAS tickets, login transactions) and household / subscriber attributes
    r"ticket|^lt$|^execution$|relay_?state|artifact|household|subscriber|^zip$|postal)",
    re.I,
)
# Names that contain a sensitive word but describe, rather than carry, a secret: endpoints,
# metadata lists, token types. Masking them would also teach the redactor a harmless value
# (a URL, "Bearer") and blank it everywhere.
DESCRIPTIVE_FIELD = re.compile(
    r"(_endpoint|_uri|_url|_supported|^token_type$|^grant_type$|_type_hint$|^expires_in$|_methods?$|"
    r"^error(_description)?$|^code_challenge_method$)$",
    re.I,
)
SENSITIVE_HEADER = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie|adobe-subject-token|"
    r"ap-partner-framework-status|ad-service-token|x-device-info|ap-device-identifier)$",
    re.I,
)
# Claims kept readable in a JWT: they help an auditor and identify nobody.
PUBLIC_CLAIMS = {
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "azp",
    "typ",
    "ver",
    "alg",
    "kid",
    "enc",
    "cty",
    "email_verified",
    "scope",
    "token_type",
}
# An HTML form field: its value is masked by the field's name, as in a posted form (a page's hidden
# consent, CSRF or login-transaction handle is a credential the next request carries back).
HTML_INPUT = re.compile(r"<input\b[^>]*>", re.I)
HTML_ATTR = re.compile(r"""\b(name|value)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""", re.I)
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?")
MIN_SECRET_LEN = 4
PFS_HEADER = "ap-partner-framework-status"
# Error codes ride in fields named `code` too (EEC "invalid_requestor", DSRA 31003): they name a
# condition, carry nothing, and are what an auditor reads first. Codes that are credentials
# (authentication, registration, device codes) are random strings, never snake_case words.
ERROR_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


# SAML and PFS values in free text: a run of Base64 (standard or URL-safe, possibly URL-encoded or
# wrapped over lines) long enough to hold one, and the opening tag of a raw (or HTML-escaped) SAML
# message. What a run carries is decided by decoding it (_classify, _fragment), never by its look.
B64_RUN = re.compile(r"(?<![A-Za-z0-9+/_%-])[A-Za-z0-9+/_%-]{40,}(?:\r?\n[A-Za-z0-9+/_%-]+)*={0,2}")
B64_VALUE = re.compile(r"[A-Za-z0-9+/_%\s-]+={0,2}\s*")
SAML_ELEMENTS = (
    "Response|AuthnRequest|Assertion|EncryptedAssertion|LogoutRequest|LogoutResponse|"
    "AttributeQuery|ArtifactResponse"
)
SAML_OPEN = re.compile(rf"(?:<|&lt;)(?:([\w.-]+):)?({SAML_ELEMENTS})(?=[\s>/]|&gt;)")
SAML_URN = b"urn:oasis:names:tc:SAML:"
SAML_ROOT = re.compile(
    rb"(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:saml2?p?:)?(?:" + SAML_ELEMENTS.encode() + rb")[\s>/]", re.S
)
FRAGMENT = re.compile(
    rb"urn:oasis:names:tc:SAML|frameworkPermissionInfo|frameworkProviderInfo|<\?xml|"
    rb"</?[A-Za-z_][\w.-]*:[A-Za-z_][\w.-]*[\s>/]"
)
# Decoded bytes that start like an XML document: a tag (or declaration) closed before any control
# character, so that random bytes (a token's Base64) are almost never taken for XML.
XML_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*<[?!A-Za-z_][^\x00-\x08\x0b\x0c\x0e-\x1f<>]{0,4000}>")
PFS_KEYS = (b"frameworkPermissionInfo", b"frameworkProviderInfo")
MASKED = "«masked»"
# A member that carries its parent's value (``{"householdID": {"value": "...", "state": "plain"}}``):
# judged by the parent's name.
WRAPPED_VALUE = {"value", "values"}
# A ``state`` that is a short lowercase word describes (``plain``, ``enc``, ``active``); an OAuth
# state is random.
STATE_WORD = re.compile(r"[a-z]{1,12}")
SEEN_MAX, SEEN_TEXT_MAX = 8192, 65_536  # texts kept redacted, and the longest one kept
MIN_B64_FRAGMENT = 8  # shorter Base64 slices of a secret would blank unrelated text
SCAN_LIMIT = 8192  # characters of a run decoded to recognise a fragment


def _sensitive(key: str, value: Any) -> bool:
    if not SENSITIVE_FIELD.search(key) or DESCRIPTIVE_FIELD.search(key) or value in (None, "", True, False):
        return False
    error_code = (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and bool(ERROR_CODE.fullmatch(value))
    )
    if key.lower() == "state" and isinstance(value, str) and STATE_WORD.fullmatch(value):
        return False
    return not (key.lower() == "code" and error_code)


def _hex_lower(encoded: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)


# HTML/XML escapes of the characters that have one: named, decimal, hex (either case).
_ENTITY_STYLES = (
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"},  # html.escape
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"},  # markupsafe, Jinja
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"},  # XML
    {c: f"&#{ord(c)};" for c in "&<>\"'"},
    {c: f"&#x{ord(c):x};" for c in "&<>\"'"},
    {c: f"&#x{ord(c):X};" for c in "&<>\"'"},
)


def _html_forms(value: str) -> set[str]:
    if not any(c in value for c in "&<>\"'"):
        return {value}
    out = {value}
    for style in _ENTITY_STYLES:
        out.add("".join(style.get(c, c) for c in value))
        # Quotes left alone (html.escape(quote=False), element text in XML).
        out.add("".join(style.get(c, c) if c in "&<>" else c for c in value))
    return out


def _b64_forms(value: str, embedded: bool) -> set[str]:
    """Base64 of ``value`` standing alone and, when ``embedded``, the slices of it that stay the same
    whatever precedes it (``id:secret`` in a Basic header) or follows it; standard and URL-safe."""
    raw = value.encode()
    out = set()
    for lead in range(3 if embedded else 1):
        encoded = base64.b64encode(b"\0" * lead + raw).decode().rstrip("=")
        # The first characters of a group that mixes the prefix's bits with the value's.
        start = (0, 2, 3)[lead]
        whole = encoded[start:]
        if lead == 0:
            out.add(whole)
        cut = whole if (lead + len(raw)) % 3 == 0 else whole[:-1]  # the last one mixes what follows
        out.add(cut)
    out = {f for f in out if len(f) >= MIN_B64_FRAGMENT}
    return out | {f.replace("+", "-").replace("/", "_") for f in out}


def encodings(value: str, credential: bool = True) -> set[str]:
    """Every form in which ``value`` can come back from a vendor or go into a report: raw;
    percent-encoded (path, query, form, lower-case hex, JavaScript's encodeURIComponent); JSON
    string content (ASCII-only or not); HTML/XML-escaped (named or numeric entities) of each of
    those; Base64 of the raw and of the form-encoded value, alone and, for a ``credential`` (one
    that may travel as ``id:secret`` in HTTP Basic), inside another value."""
    texts = {value}
    for safe in ("", "/", "!'()*~"):
        texts.add(quote(value, safe=safe))
        texts.add(quote_plus(value, safe=safe))
    texts |= {_hex_lower(t) for t in texts}
    texts.add(json.dumps(value)[1:-1])
    texts.add(json.dumps(value, ensure_ascii=False)[1:-1])
    out = set()
    for t in texts:
        out |= _html_forms(t)
    # A JSON string of an HTML-escaped value (a page's markup inside a JSON answer).
    out |= {
        json.dumps(h, ensure_ascii=ascii_only)[1:-1]
        for h in _html_forms(value)
        for ascii_only in (True, False)
    }
    for t in {value, quote_plus(value, safe="")}:
        out |= _b64_forms(t, credential)
    return {e for e in out if len(e) >= MIN_SECRET_LEN}


class Redactor:
    def __init__(self, salt: bytes, secrets: set[str] | None = None) -> None:
        self._salt = salt
        self._known: dict[str, str] = {}  # every form of a secret -> the secret (one fingerprint each)
        self._longest_first: list[str] | None = []  # _known sorted, rebuilt only after it grows
        # text() of a text already seen, while nothing new is known: a run redacts the same
        # messages and bodies many times over (evidence, then every report file).
        self._seen: dict[str, str] = {}
        self._credentials: set[str] = set()
        self._changes = 0
        for s in secrets or ():
            self.remember(s, credential=True)

    def fingerprint(self, value: str) -> str:
        return "«fp:" + hmac.new(self._salt, value.encode(), hashlib.sha256).hexdigest()[:8] + "»"

    def remember(self, value: Any, credential: bool = False) -> None:
        """Mask ``value`` wherever it appears from now on, in any of its :func:`encodings`, so that
        every output (evidence, messages, report files) gets it whichever way a vendor echoed it.

        A ``credential`` (a profile secret, a Basic password) is also looked for inside Base64 of a
        longer value (``id:secret``); the tokens a run learns by the hundred are not, which keeps
        :meth:`text` fast (it tries every known form in every text)."""
        if not isinstance(value, str) or len(value) < MIN_SECRET_LEN:
            return
        if self._known.get(value) != value or (credential and value not in self._credentials):
            if credential:
                self._credentials.add(value)
            for form in encodings(value, credential):
                self._known.setdefault(form, value)
            self._known[value] = value
            self._longest_first = None
            self._changes += 1

    def mask(self, value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value)
        self.remember(text)
        return self.fingerprint(text)

    def _remember_encoded(self, value: str) -> None:
        """A credential that may itself be one form of another value (a SAML message form-encoded
        on the wire): the value as seen and its decoded form, each with its encodings."""
        self.remember(value)
        if "%" in value or "+" in value:
            self.remember(unquote_plus(value))

    def text(self, text: str) -> str:
        """Replace every known secret (longest first), every JWT and every SAML message or PFS
        value in free text."""
        if self._longest_first is None:
            self._seen.clear()
        elif text in self._seen:
            return self._seen[text]
        changes, given = self._changes, text
        text = JWT.sub(lambda m: self.jwt(m.group(0)), text)
        if "<" in text or "&lt;" in text:
            text = self._raw_saml(text)
        text = B64_RUN.sub(self._b64_run, text)
        if self._longest_first is None:
            self._longest_first = sorted(self._known, key=len, reverse=True)
            self._seen.clear()
        for value in self._longest_first:
            if value in text:
                text = text.replace(value, self.fingerprint(self._known[value]))
        if changes == self._changes and len(given) <= SEEN_TEXT_MAX:
            if len(self._seen) >= SEEN_MAX:
                self._seen.clear()
            self._seen[given] = text
        return text

    def jwt(self, token: str) -> str:
        self.remember(token)
        parts = token.split(".")
        summary: dict[str, Any] = {"fp": self.fingerprint(token)[4:-1]}
        try:
            summary["header"] = json.loads(_b64(parts[0]))
            if len(parts) == 3:
                claims = json.loads(_b64(parts[1]))
                summary["claims"] = (
                    {k: (v if k in PUBLIC_CLAIMS else self.mask(v)) for k, v in claims.items()}
                    if isinstance(claims, dict)
                    else self.mask(claims)
                )
            else:
                summary["encrypted"] = True
        except (ValueError, UnicodeDecodeError):
            summary["undecodable"] = True
        return "«JWT " + json.dumps(summary, separators=(",", ":"), ensure_ascii=False) + "»"

    def saml_summary(self, value: str | bytes) -> dict[str, Any]:
        """:func:`saml_summary` with this run's salted fingerprints, for the suite to log; the value
        and the NameID and attribute values in it are masked wherever they appear later."""
        if isinstance(value, str):
            self._remember_encoded(value)
        return saml_summary(value, mask=self._mask_id, personal=self._mask_personal)

    def saml(self, value: str | bytes) -> str:
        """A SAML message (raw XML, Base64, URL-encoded or deflated) as ``«SAML {...}»``."""
        text = value if isinstance(value, str) else value.decode("utf-8", "replace")
        summary = {"fp": self.fingerprint(text)[4:-1], **self.saml_summary(value)}
        xml = _xml_of(value)
        if xml is not None:
            self.remember(xml.decode("utf-8", "replace").strip())
        return "«SAML " + json.dumps(summary, separators=(",", ":"), ensure_ascii=False) + "»"

    def pfs(self, value: str) -> str:
        """An ``AP-Partner-Framework-Status`` value as ``«PFS {...}»``: what it says, not what it is."""
        self._remember_encoded(value)
        summary = {"fp": self.fingerprint(value)[4:-1], **pfs_summary(value)}
        return "«PFS " + json.dumps(summary, separators=(",", ":"), ensure_ascii=False) + "»"

    def _mask_id(self, value: str) -> str:
        return self.mask(value)

    def _mask_personal(self, value: str) -> str:
        # A short value ("true", "gold") would blank the same word everywhere if remembered.
        return self.mask(value) if len(value) >= 8 else self.fingerprint(value)

    def _render(self, kind: str, value: str) -> str:
        if kind == "saml":
            return self.saml(value)
        if kind == "pfs":
            return self.pfs(value)
        self._remember_encoded(value)
        return self.fingerprint(value)

    def _b64_run(self, match: re.Match[str]) -> str:
        run = match.group(0)
        found = _classify(run)
        if found:
            return self._render(found, run)
        if _fragment(run):  # a slice of a longer value (a truncated message): masked whole
            self.remember(run)
            return self.fingerprint(run)
        return run

    def _raw_saml(self, text: str) -> str:
        """SAML XML (raw or HTML-escaped) in free text, from its opening tag to its last closing
        tag (or the end of the text, when it was cut), becomes its summary."""
        out, pos = [], 0
        for m in SAML_OPEN.finditer(text):
            if m.start() < pos:
                continue
            prefix, element = m.group(1), m.group(2)
            head = text[m.start() : m.start() + 2000]
            if not ((prefix or "").lower().startswith("saml") or SAML_URN.decode() in head):
                continue
            qname = f"{prefix}:{element}" if prefix else element
            escaped = text.startswith("&lt;", m.start())
            close = f"&lt;/{qname}&gt;" if escaped else f"</{qname}>"
            end = text.rfind(close, m.start())
            end = len(text) if end < 0 else end + len(close)
            xml = text[m.start() : end]
            out += [text[pos : m.start()], self.saml(html.unescape(xml) if escaped else xml)]
            self.remember(xml)
            pos = end
        return "".join(out) + text[pos:] if out else text

    def learn(self, key: str, value: Any) -> None:
        """Remember what every sensitive field of a document carries before any of it is written,
        so that a sibling repeating it (a URL holding the code beside it) is masked too."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.learn(key if k in WRAPPED_VALUE and key else k, v)
        elif isinstance(value, list):
            for v in value:
                self.learn(key, v)
        elif isinstance(value, str) and _classify(value):
            self._remember_encoded(value)
        elif _sensitive(key, value):
            self.remember(value if isinstance(value, str) else json.dumps(value))

    def value(self, key: str, value: Any) -> Any:
        """A field value: masked when its name is sensitive, recursed into when structured."""
        if isinstance(value, dict):
            return {k: self.value(key if k in WRAPPED_VALUE and key else k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(key, v) for v in value]
        if isinstance(value, str) and JWT.fullmatch(value):
            return self.jwt(value)
        found = _classify(value) if isinstance(value, str) else None
        if found:  # SAML (authenticationRequest.request, SAMLResponse), PFS, Base64 XML: by content
            return self._render(found, value)
        if _sensitive(key, value):
            return self.mask(value)
        return self.text(value) if isinstance(value, str) else value

    def headers(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        out = []
        for name, value in headers:
            if name.lower() == PFS_HEADER:
                out.append((name, self.pfs(value)))
            elif SENSITIVE_HEADER.match(name):
                scheme, sep, cred = value.partition(" ")
                if sep and scheme.lower() in ("basic", "bearer") and cred:
                    if scheme.lower() == "basic":
                        self._remember_basic(cred)
                    out.append((name, f"{scheme} {self.mask(cred)}"))
                else:
                    out.append((name, self.mask(value)))
            elif name.lower() in ("location", "content-location"):
                # A redirect carries codes and handles in its query, like any URL the suite sends.
                out.append((name, self.url(value)))
            else:
                out.append((name, self.text(value)))
        return out

    def _remember_basic(self, cred: str) -> None:
        try:
            user, _, password = base64.b64decode(cred).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return
        self.remember(unquote_plus(password), credential=True)  # RFC 6749 §2.3.1 form-encodes it first
        self.remember(password, credential=True)

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.query:
            return self.text(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        self.learn("", dict(pairs))
        query = urlencode([(k, self.value(k, v)) for k, v in pairs])
        return urlunsplit(parts._replace(path=self.text(parts.path), query=query))

    def body(self, content_type: str, raw: bytes) -> str:
        """A request or response body as redacted text (structure kept where it can be parsed)."""
        if not raw:
            return ""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(raw)} bytes of binary content>"
        ctype = content_type.split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            pairs = parse_qsl(text, keep_blank_values=True)
            self.learn("", dict(pairs))
            return "&".join(f"{k}={self.value(k, v)}" for k, v in pairs)
        if ctype.endswith("json") or text.lstrip().startswith(("{", "[")):
            try:
                data = json.loads(text)
            except ValueError:
                return self.text(text)
            self.learn("", data)
            return json.dumps(self.value("", data), indent=1, ensure_ascii=False)
        if "xml" in ctype or "saml" in text.lower()[:200]:
            if _is_saml(raw):
                return self.saml(text)
            return f"<{len(raw)} bytes of XML/SAML content, masked {self.mask(text)}>"
        if ctype == "text/html":
            text = HTML_INPUT.sub(self._html_input, text)
        return self.text(text)

    def _html_input(self, match: re.Match[str]) -> str:
        tag = match.group(0)
        attrs = {m.group(1).lower(): m for m in HTML_ATTR.finditer(tag)}
        if "name" not in attrs or "value" not in attrs:
            return tag
        name = html.unescape(attrs["name"].group(2).strip("\"'"))
        value = html.unescape(attrs["value"].group(2).strip("\"'"))
        masked = self.value(name, value)
        if masked == value:
            return tag
        start, end = attrs["value"].span(2)
        return tag[:start] + '"' + html.escape(str(masked)) + '"' + tag[end:]


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# --- SAML and PFS -----------------------------------------------------------------------------------


def saml_summary(
    xml_or_b64: str | bytes,
    mask: Callable[[str], str] | None = None,
    personal: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The structure of a SAML message without its values, for evidence.

    Takes raw XML or Base64 (standard or URL-safe, URL-encoded or not, wrapped or not, deflated as
    in the HTTP-Redirect binding). Kept: element names, issuers, audiences, NotBefore /
    NotOnOrAfter and other instants, status codes, signature, digest and canonicalization
    algorithms, SHA-256 fingerprints of KeyInfo certificates (public), attribute names. IDs,
    InResponseTo, signature references and session indexes become fingerprints (``mask``; by
    default an unsalted hash, «id:...», which is safe for random IDs only); NameID and
    AttributeValue contents are masked (``personal``, default «masked»). DTDs are refused, so no
    entity is ever expanded.
    """
    ident = mask or _id_fingerprint
    hide = personal or mask or (lambda _v: MASKED)
    xml = _xml_of(xml_or_b64)
    if xml is None:
        return {"undecodable": True}
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        return {"undecodable": True, "dtd": True}
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return {"undecodable": True, "bytes": len(xml)}
    return _saml_message(root, ident, hide)


def pfs_summary(value: str) -> dict[str, Any]:
    """What an ``AP-Partner-Framework-Status`` value says (access status, provider id, expiry,
    partner error codes), never the value itself."""
    raw = _b64_bytes(value.strip())
    try:
        data = json.loads(raw) if raw is not None else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return {"undecodable": True}
    out: dict[str, Any] = {}
    permission, provider = data.get("frameworkPermissionInfo"), data.get("frameworkProviderInfo")
    if isinstance(permission, dict):
        out["accessStatus"] = permission.get("accessStatus")
        if isinstance(permission.get("error"), dict):
            out["permissionError"] = permission["error"].get("code")
    elif permission is not None:
        out["frameworkPermissionInfo"] = type(permission).__name__
    if isinstance(provider, dict):
        out.update({k: provider[k] for k in ("id", "expirationDate") if k in provider})
        if isinstance(provider.get("error"), dict):
            out["providerError"] = provider["error"].get("code")
    elif provider is not None:
        out["frameworkProviderInfo"] = type(provider).__name__
    other = sorted(set(data) - {"frameworkPermissionInfo", "frameworkProviderInfo"})
    if other:
        out["otherMembers"] = other
    return out


def _id_fingerprint(value: str) -> str:
    return "«id:" + hashlib.sha256(value.encode()).hexdigest()[:8] + "»"


def _b64_bytes(value: str) -> bytes | None:
    text = unquote(value) if "%" in value else value
    text = re.sub(r"\s+", "", text).replace("-", "+").replace("_", "/").rstrip("=")
    if len(text) % 4 == 1:
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _looks_xml(raw: bytes) -> bool:
    return bool(XML_START.match(raw))


def _inflate(raw: bytes) -> bytes | None:
    """SAML XML compressed with raw DEFLATE (the HTTP-Redirect binding); None for anything else."""
    try:
        inflated = zlib.decompressobj(-15).decompress(raw, 1 << 20)
    except zlib.error:
        return None
    return inflated if _looks_xml(inflated) and _is_saml(inflated) else None


def _xml_of(value: str | bytes) -> bytes | None:
    """The XML a SAML value carries: itself, or what its Base64 (or Base64 of DEFLATE) holds."""
    if isinstance(value, bytes):
        if _looks_xml(value):
            return value.lstrip(b"\xef\xbb\xbf \t\r\n")
        value = value.decode("latin-1")
    stripped = value.strip().lstrip("\ufeff")
    if stripped.startswith("<"):
        return stripped.encode()
    if stripped.startswith("&lt;"):
        return html.unescape(stripped).encode()
    raw = _b64_bytes(stripped)
    if raw is None:
        return None
    if _looks_xml(raw):
        return raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    return _inflate(raw)


def _is_saml(xml: bytes) -> bool:
    head = xml[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return SAML_URN in head or bool(SAML_ROOT.match(head))


def _classify(value: str) -> str | None:
    """``saml``, ``pfs`` or ``xml`` (Base64 of other XML: a media token, say) for a credential a
    string carries whole; None for anything else (cheaply, for short and ordinary strings)."""
    if len(value) < 24:
        return None
    stripped = value.strip()
    if stripped[:1] in ("<", "&"):
        xml = _xml_of(stripped)
        return "saml" if xml is not None and _is_saml(xml) else None
    if not B64_VALUE.fullmatch(stripped):
        return None
    raw = _b64_bytes(stripped)
    if raw is None:
        return None
    if raw.lstrip().startswith(b"{") and any(k in raw for k in PFS_KEYS):
        return "pfs"
    xml = raw if _looks_xml(raw) else _inflate(raw)
    if xml is None:
        return None
    return "saml" if _is_saml(xml) else "xml"


def _fragment(run: str) -> bool:
    """Whether a Base64 run decodes, at some alignment, to part of a SAML, XML or PFS document."""
    text = unquote(run) if "%" in run else run
    text = re.sub(r"\s+", "", text).replace("-", "+").replace("_", "/").rstrip("=")[:SCAN_LIMIT]
    for offset in range(4):
        chunk = text[offset:]
        chunk = chunk[: len(chunk) - len(chunk) % 4]
        try:
            raw = base64.b64decode(chunk, validate=True)
        except (binascii.Error, ValueError):
            continue
        if FRAGMENT.search(raw):
            return True
    return False


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(node: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [c for c in node if _local(c.tag) == name]


def _child(node: ElementTree.Element | None, name: str) -> ElementTree.Element | None:
    return next(iter(_children(node, name)), None) if node is not None else None


def _text(node: ElementTree.Element | None) -> str:
    return "".join(node.itertext()).strip() if node is not None else ""


def _plain(out: dict[str, Any], node: ElementTree.Element, names: dict[str, str]) -> None:
    for attr, key in names.items():
        if attr in node.attrib:
            out[key] = node.get(attr)


def _saml_message(root: ElementTree.Element, ident: Callable[[str], str], hide: Callable[[str], str]) -> dict:
    kind = _local(root.tag)
    out: dict[str, Any] = {"element": kind}
    if root.tag.startswith("{"):
        out["namespace"] = root.tag[1:].split("}", 1)[0]
    if kind == "Assertion":
        out.update(_assertion(root, ident, hide))
        return out
    for attr, key in (("ID", "id"), ("InResponseTo", "in_response_to")):
        if attr in root.attrib:
            out[key] = ident(root.get(attr, ""))
    _plain(
        out,
        root,
        {
            "Version": "version",
            "IssueInstant": "issue_instant",
            "Destination": "destination",
            "AssertionConsumerServiceURL": "assertion_consumer_service_url",
            "ProtocolBinding": "protocol_binding",
            "ForceAuthn": "force_authn",
            "IsPassive": "is_passive",
        },
    )
    issuer = _child(root, "Issuer")
    if issuer is not None:
        out["issuer"] = _text(issuer)
    status = _child(root, "Status")
    if status is not None:
        out["status"] = [c.get("Value") for c in status.iter() if _local(c.tag) == "StatusCode"]
    signature = _child(root, "Signature")
    if signature is not None:
        out["signature"] = _signature(signature, ident)
    policy = _child(root, "NameIDPolicy")
    if policy is not None:
        out["name_id_policy"] = dict(policy.attrib)
    subject = _child(root, "Subject")
    if subject is not None:
        out["subject"] = _subject(subject, ident, hide)
    assertions = _children(root, "Assertion")
    if assertions:
        out["assertions"] = [_assertion(a, ident, hide) for a in assertions]
    encrypted = _children(root, "EncryptedAssertion")
    if encrypted:
        out["encrypted_assertions"] = len(encrypted)
    nested = sum(1 for e in root.iter() if _local(e.tag) == "Assertion") - len(assertions)
    if nested:
        out["nested_assertions"] = nested  # assertions not directly in the message (wrapping)
    return out


def _assertion(node: ElementTree.Element, ident: Callable[[str], str], hide: Callable[[str], str]) -> dict:
    out: dict[str, Any] = {}
    if "ID" in node.attrib:
        out["id"] = ident(node.get("ID", ""))
    _plain(out, node, {"Version": "version", "IssueInstant": "issue_instant"})
    issuer = _child(node, "Issuer")
    if issuer is not None:
        out["issuer"] = _text(issuer)
    signature = _child(node, "Signature")
    out["signature"] = _signature(signature, ident) if signature is not None else None
    subject = _child(node, "Subject")
    if subject is not None:
        out["subject"] = _subject(subject, ident, hide)
    conditions = _child(node, "Conditions")
    if conditions is not None:
        cond: dict[str, Any] = {}
        _plain(cond, conditions, {"NotBefore": "not_before", "NotOnOrAfter": "not_on_or_after"})
        cond["audiences"] = [
            _text(a) for r in _children(conditions, "AudienceRestriction") for a in _children(r, "Audience")
        ]
        if _children(conditions, "OneTimeUse"):
            cond["one_time_use"] = True
        out["conditions"] = cond
    authn = []
    for statement in _children(node, "AuthnStatement"):
        item: dict[str, Any] = {}
        _plain(
            item,
            statement,
            {"AuthnInstant": "authn_instant", "SessionNotOnOrAfter": "session_not_on_or_after"},
        )
        if "SessionIndex" in statement.attrib:
            item["session_index"] = ident(statement.get("SessionIndex", ""))
        ref = next((e for e in statement.iter() if _local(e.tag) == "AuthnContextClassRef"), None)
        if ref is not None:
            item["context_class"] = _text(ref)
        authn.append(item)
    if authn:
        out["authn_statements"] = authn
    attributes: dict[str, list[str]] = {}
    for statement in _children(node, "AttributeStatement"):
        for attribute in _children(statement, "Attribute"):
            values = [hide(_text(v)) if _text(v) else "" for v in _children(attribute, "AttributeValue")]
            attributes.setdefault(attribute.get("Name", "?"), []).extend(values)
        if _children(statement, "EncryptedAttribute"):
            attributes.setdefault("(encrypted)", []).append(MASKED)
    if attributes:
        out["attributes"] = attributes
    return out


def _subject(node: ElementTree.Element, ident: Callable[[str], str], hide: Callable[[str], str]) -> dict:
    out: dict[str, Any] = {}
    name_id = _child(node, "NameID")
    if name_id is not None:
        out["name_id"] = hide(_text(name_id)) if _text(name_id) else ""
        _plain(out, name_id, {"Format": "name_id_format"})
    if _child(node, "EncryptedID") is not None:
        out["encrypted_id"] = True
    confirmations = []
    for confirmation in _children(node, "SubjectConfirmation"):
        item: dict[str, Any] = {"method": confirmation.get("Method")}
        data = _child(confirmation, "SubjectConfirmationData")
        if data is not None:
            if "InResponseTo" in data.attrib:
                item["in_response_to"] = ident(data.get("InResponseTo", ""))
            _plain(
                item,
                data,
                {"NotBefore": "not_before", "NotOnOrAfter": "not_on_or_after", "Recipient": "recipient"},
            )
        confirmations.append(item)
    if confirmations:
        out["confirmations"] = confirmations
    return out


def _signature(node: ElementTree.Element, ident: Callable[[str], str]) -> dict:
    info = _child(node, "SignedInfo")
    out: dict[str, Any] = {}
    for name, key in (("CanonicalizationMethod", "canonicalization"), ("SignatureMethod", "algorithm")):
        method = _child(info, name)
        if method is not None:
            out[key] = method.get("Algorithm")
    references = []
    for ref in _children(info, "Reference") if info is not None else []:
        uri = ref.get("URI", "")
        item: dict[str, Any] = {"uri": "#" + ident(uri[1:]) if uri.startswith("#") and uri[1:] else uri}
        digest = _child(ref, "DigestMethod")
        if digest is not None:
            item["digest"] = digest.get("Algorithm")
        transforms = _child(ref, "Transforms")
        if transforms is not None:
            item["transforms"] = [t.get("Algorithm") for t in _children(transforms, "Transform")]
        references.append(item)
    out["references"] = references
    out["value_present"] = bool(_text(_child(node, "SignatureValue")))
    certificates = [_text(e) for e in node.iter() if _local(e.tag) == "X509Certificate"]
    if certificates:
        out["certificates_sha256"] = [_certificate_fingerprint(c) for c in certificates]
    return out


def _certificate_fingerprint(b64: str) -> str:
    """As ``openssl x509 -fingerprint -sha256`` prints it: a certificate is public."""
    try:
        der = base64.b64decode(re.sub(r"\s+", "", b64), validate=True)
    except (binascii.Error, ValueError):
        return "undecodable"
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
