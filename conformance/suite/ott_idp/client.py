"""How the `ott_idp` suite talks to the vendor: its endpoints and credentials, as the profile gives them."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import quote_plus

import httpx
import jwt

from conformance.bodies import body_of, json_of
from conformance.bodies import form as encode_form
from conformance.checks import Blocked
from conformance.http import Http
from conformance.jose import decode_strict, public_jwk
from conformance.profile import Profile
from conformance.redact import Redactor

CONTRACT = "ott_idp"
SIGNING_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


class Ott:
    """The vendor's ott_idp endpoints as the profile describes them, and the calls the suite makes."""

    def __init__(self, profile: Profile, http: Http, redactor: Redactor) -> None:
        self.profile, self.http, self.redactor = profile, http, redactor
        s = profile.section(CONTRACT)
        self.section = s
        self.features: dict[str, Any] = s.get("features", {})
        self.token_url = profile.url(CONTRACT, "token_url")
        self.signup_url = profile.url(CONTRACT, "signup_url")
        self.client_id: str = s["client_id"]
        self.client_secret: str = s["client_secret"]
        self.accounts = {a["role"]: a for a in s.get("accounts", [])}
        self.signup_cfg = s.get("signup", {})
        self._discovery: dict[str, Any] | None = None

    def account(self, role: str) -> dict[str, Any]:
        if role not in self.accounts:
            raise Blocked(f"the profile has no account with role {role!r}")
        return self.accounts[role]

    # Requests.

    def basic(self, client_id: str | None = None, secret: str | None = None) -> dict[str, str]:
        """RFC 6749 §2.3.1: id and secret form-urlencoded, joined by a colon, base64."""
        cid = quote_plus(client_id if client_id is not None else self.client_id)
        sec = quote_plus(secret if secret is not None else self.client_secret)
        return {"Authorization": "Basic " + base64.b64encode(f"{cid}:{sec}".encode()).decode()}

    def token(
        self,
        username: str | None = None,
        password: str | None = None,
        scope: str | None = "openid email",
        *,
        grant_type: str | None = "password",
        auth: dict[str, str] | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> httpx.Response:
        form = [
            (k, v)
            for k, v in (
                ("grant_type", grant_type),
                ("username", username),
                ("password", password),
                ("scope", scope),
            )
            if v is not None
        ]
        form += extra or []
        headers = {"Accept": "application/json", **(self.basic() if auth is None else auth)}
        return self.http.post(self.token_url, content=encode_form(form), headers=_form_headers(headers))

    def login(self, role: str, scope: str = "openid email profile") -> dict[str, Any]:
        """Sign an account in; a failure here blocks the caller (its own test reports the FAIL)."""
        acct = self.account(role)
        resp = self.token(acct["username"], acct["password"], scope)
        body = body_of(resp)
        if resp.status_code != 200 or not isinstance(body.get("id_token"), str):
            raise Blocked(f"sign-in of the {role} account failed (HTTP {resp.status_code})")
        self.redactor.remember(body["id_token"])
        return body

    def signup(
        self,
        username: str | None,
        password: str | None,
        name: str | None = None,
        *,
        auth: dict[str, str] | None = None,
        method: str = "POST",
    ) -> httpx.Response:
        form = [
            (k, v)
            for k, v in (("username", username), ("password", password), ("name", name))
            if v is not None
        ]
        headers = {"Accept": "application/json", **(self.basic() if auth is None else auth)}
        if method == "GET":
            return self.http.get(self.signup_url, params=form, headers=headers)
        return self.http.post(self.signup_url, content=encode_form(form), headers=_form_headers(headers))

    def new_email(self) -> str:
        email = f"ott-{secrets.token_hex(6)}@{self.signup_cfg.get('email_domain', 'example.test')}"
        self.redactor.remember(email)
        return email

    def new_password(self) -> str:
        password = self.signup_cfg.get("password") or ("Pw-" + secrets.token_urlsafe(12))
        password = f"{password}-{secrets.token_hex(3)}"  # distinct per account, still within policy
        self.redactor.remember(password)
        return password

    # Discovery and keys.

    def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            if not self.section.get("discovery_url"):
                raise Blocked("the profile has no discovery_url")
            resp = self.http.get(self.profile.url(CONTRACT, "discovery_url"))
            body = json_of(resp)
            if resp.status_code != 200 or not isinstance(body, dict):
                raise Blocked(f"discovery document not available (HTTP {resp.status_code})")
            self._discovery = body
        return self._discovery

    def jwks(self) -> dict[str, Any]:
        url = (
            self.profile.url(CONTRACT, "jwks_url")
            if self.section.get("jwks_url")
            else self.discovery().get("jwks_uri")
        )
        if not url:
            raise Blocked("no JWKS URL (neither jwks_url in the profile nor jwks_uri in discovery)")
        resp = self.http.get(url)
        body = json_of(resp)
        if resp.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise Blocked(f"JWKS not available (HTTP {resp.status_code})")
        return body

    def verification_keys(self, header: dict[str, Any]) -> list[tuple[Any, list[str]]]:
        """Candidate (key, algorithms) for an id_token, as the profile says it is verified."""
        how = self.features.get("id_token_verification", "jwks")
        if how == "hs256":
            return [(self.client_secret.encode(), ["HS256"])]
        if how == "pem":
            pem = self.section.get("id_token_public_key_pem", "")
            if not pem:
                raise Blocked("id_token_verification = pem but the profile has no id_token_public_key_pem")
            return [(jwt.algorithms.get_default_algorithms()["RS256"].prepare_key(pem), SIGNING_ALGS)]
        keys = self.jwks()["keys"]
        # The matching kid first; then every key, so a wrong kid fails OTT-IDT-002 only.
        ordered = sorted(keys, key=lambda k: k.get("kid") != header.get("kid"))
        out = []
        for jwk in ordered:
            try:
                out.append((jwt.PyJWK(public_jwk(jwk)).key, SIGNING_ALGS))
            except (jwt.PyJWKError, jwt.InvalidKeyError, KeyError, ValueError):
                continue
        return out


def _form_headers(headers: dict[str, str]) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded", **headers}


def id_token_claims(resp: httpx.Response) -> dict[str, Any]:
    """The unverified claims of a token response's id_token, or {} when it has none that decodes."""
    try:
        return decode_strict(body_of(resp)["id_token"]).claims
    except (ValueError, KeyError, TypeError):
        return {}
