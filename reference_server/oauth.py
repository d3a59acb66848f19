"""OAuth 2.0 building blocks shared by the token-issuing contracts (RFC 6749 §2.3, §3.2, §5.2)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from urllib.parse import unquote_plus

from starlette.datastructures import FormData
from starlette.requests import Request

from reference_server.endpoint import ProtocolError
from reference_server.reply import Reply

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# RFC 6749 §5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E (no '"', no '\\').
_DESCRIPTION_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def safe_description(text: str) -> str:
    """``text`` within §5.2's character set: anything else (an echoed name, say) becomes '?'."""
    return "".join(c if c in _DESCRIPTION_CHARS else "?" for c in text)


def param_names(names: list[str] | set[str], limit: int = 3) -> str:
    """Parameter names for a description: a few, each short, within §5.2's set; never values."""
    shown = [safe_description(n[:40]) for n in sorted(names)[:limit]]
    return ", ".join(shown) + (", ..." if len(names) > limit else "")


class OAuthError(ProtocolError):
    """An RFC 6749 §5.2 error; ``reply()`` renders it."""

    def __init__(
        self, error: str, description: str, status: int = 400, headers: dict[str, str] | None = None
    ):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status
        self.headers = headers or {}

    def reply(self) -> Reply:
        # Every description passes the §5.2 filter, so no caller can echo input that breaks it.
        body = {"error": self.error, "error_description": safe_description(self.description)}
        return Reply(self.status, body, {**NO_STORE, **self.headers})


def invalid_client(description: str, realm: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401, {"WWW-Authenticate": f'Basic realm="{realm}"'})


async def read_form(request: Request, reject_duplicates: bool = True) -> FormData:
    """The request's form; a parameter sent twice is invalid_request (RFC 6749 §3.2)."""
    form = await request.form()
    if reject_duplicates:
        repeated = sorted({k for k in form if len(form.getlist(k)) > 1})
        if repeated:
            raise OAuthError("invalid_request", f"parameter sent more than once: {param_names(repeated)}")
    return form


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    secret: str
    method: str  # "basic" or "body"


def client_credentials(
    request: Request, form: FormData, realm: str, reject_two_methods: bool = True
) -> ClientCredentials:
    """Extract exactly one client authentication (RFC 6749 §2.3.1): Basic, else body."""
    header = request.headers.get("authorization")
    in_body = "client_secret" in form
    if header is not None:
        if in_body and reject_two_methods:
            raise OAuthError("invalid_request", "more than one client authentication method")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            raise invalid_client("client authentication must use HTTP Basic", realm)
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_request", "malformed Basic credentials") from None
        client_id, sep, secret = decoded.partition(":")
        if not sep or not client_id:
            raise OAuthError("invalid_request", "malformed Basic credentials")
        return ClientCredentials(unquote_plus(client_id), unquote_plus(secret), "basic")
    if in_body and "client_id" in form:
        return ClientCredentials(str(form["client_id"]), str(form["client_secret"]), "body")
    raise invalid_client("client authentication required", realm)


def secrets_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


_HASH_ROUNDS = 10_000  # a sandbox: enough to be real PBKDF2, cheap enough for fast suites


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _HASH_ROUNDS)
    return f"{salt.hex()}${digest.hex()}"


_DUMMY_HASH = hash_password("not-a-password")


def verify_password(password: str, stored: str | None) -> bool:
    """Constant work whether or not the user exists, so timing does not reveal accounts."""
    salt_hex, _, digest_hex = (stored or _DUMMY_HASH).partition("$")
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt_hex), _HASH_ROUNDS)
    return hmac.compare_digest(candidate.hex(), digest_hex) and stored is not None
