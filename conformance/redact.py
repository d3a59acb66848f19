"""Masking of secrets in everything the suite writes (PRODUCT.md: Evidence and secrets).

Known values (profile secrets, and every token, code or credential seen in an exchange) are
replaced wherever they appear; sensitive fields are masked by name in headers, query strings,
form and JSON bodies; JWTs keep their header and claim names but lose sensitive claim values.
Each mask carries a short salted fingerprint (``«fp:1a2b3c4d»``) so an auditor can still see
that the same token came back twice, without learning it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SENSITIVE_FIELD = re.compile(
    r"(password|passwd|secret|token|code|assertion|saml|cookie|authorization|credential|"
    r"username|email|^name$|given_name|family_name|phone|^sub$|account_?id|user_?id|device_?id|"
    r"upstream|^jti$|private|signature|software_statement|^state$|nonce|consent|csrf|xsrf|txn)",
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
# Error codes ride in fields named `code` too (EEC "invalid_requestor", DSRA 31003): they name a
# condition, carry nothing, and are what an auditor reads first. Codes that are credentials
# (authentication, registration, device codes) are random strings, never snake_case words.
ERROR_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def _sensitive(key: str, value: Any) -> bool:
    if not SENSITIVE_FIELD.search(key) or DESCRIPTIVE_FIELD.search(key) or value in (None, "", True, False):
        return False
    error_code = (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and bool(ERROR_CODE.fullmatch(value))
    )
    return not (key.lower() == "code" and error_code)


class Redactor:
    def __init__(self, salt: bytes, secrets: set[str] | None = None) -> None:
        self._salt = salt
        self._known: set[str] = set()
        for s in secrets or ():
            self.remember(s)

    def fingerprint(self, value: str) -> str:
        return "«fp:" + hmac.new(self._salt, value.encode(), hashlib.sha256).hexdigest()[:8] + "»"

    def remember(self, value: Any) -> None:
        if isinstance(value, str) and len(value) >= MIN_SECRET_LEN:
            self._known.add(value)
            # Credentials also travel encoded: Basic headers, form/URL encoding.
            self._known.add(base64.b64encode(value.encode()).decode().rstrip("="))

    def mask(self, value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value)
        self.remember(text)
        return self.fingerprint(text)

    def text(self, text: str) -> str:
        """Replace every known secret (longest first) and every JWT in free text."""
        text = JWT.sub(lambda m: self.jwt(m.group(0)), text)
        for value in sorted(self._known, key=len, reverse=True):
            if value in text:
                text = text.replace(value, self.fingerprint(value))
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

    def learn(self, key: str, value: Any) -> None:
        """Remember what every sensitive field of a document carries before any of it is written,
        so that a sibling repeating it (a URL holding the code beside it) is masked too."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.learn(k, v)
        elif isinstance(value, list):
            for v in value:
                self.learn(key, v)
        elif _sensitive(key, value):
            self.remember(value if isinstance(value, str) else json.dumps(value))

    def value(self, key: str, value: Any) -> Any:
        """A field value: masked when its name is sensitive, recursed into when structured."""
        if isinstance(value, dict):
            return {k: self.value(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(key, v) for v in value]
        if isinstance(value, str) and JWT.fullmatch(value):
            return self.jwt(value)
        if _sensitive(key, value):
            return self.mask(value)
        return self.text(value) if isinstance(value, str) else value

    def headers(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        out = []
        for name, value in headers:
            if SENSITIVE_HEADER.match(name):
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
        self.remember(password)

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
