"""How the `ott_idp` suite talks to the vendor: its endpoints and credentials, as the profile gives them."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any
from urllib.parse import quote_plus

import httpx
import jwt

from conformance.bodies import body_of, json_of
from conformance.bodies import form as encode_form
from conformance.checks import Blocked
from conformance.http import Http
from conformance.jose import candidate_keys, claims_of
from conformance.oauth_checks import TokenAnswer, token_answer
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

    def sign_in(self, username: str, password: str, scope: str = "openid email") -> TokenAnswer:
        """A password grant, classified: only a SUCCESS is a sign-in (a 200 with an error is not)."""
        return token_answer(self.token(username, password, scope))

    def login(self, role: str, scope: str = "openid email profile") -> dict[str, Any]:
        """Sign an account in; a failure here blocks the caller, by OTT-TOKEN-001 (the test of a
        valid password grant, which carries the FAIL)."""
        acct = self.account(role)
        answer = self.sign_in(acct["username"], acct["password"], scope)
        if not answer.ok:
            raise Blocked(f"sign-in of the {role} account failed: {answer.why}", by="OTT-TOKEN-001")
        if not isinstance(answer.body.get("id_token"), str):
            raise Blocked(f"sign-in of the {role} account gave no id_token", by="OTT-TOKEN-001")
        self.redactor.remember(answer.body["id_token"])
        return answer.body

    def signup(
        self,
        username: str | None,
        password: str | None,
        name: str | None = None,
        *,
        auth: dict[str, str] | None = None,
        method: str = "POST",
        wait_out_throttle: bool = True,
    ) -> httpx.Response:
        form = [
            (k, v)
            for k, v in (("username", username), ("password", password), ("name", name))
            if v is not None
        ]
        headers = {"Accept": "application/json", **(self.basic() if auth is None else auth)}
        for _ in range(3):
            if method == "GET":
                resp = self.http.get(self.signup_url, params=form, headers=headers)
            else:
                resp = self.http.post(
                    self.signup_url, content=encode_form(form), headers=_form_headers(headers)
                )
            # A 429 here is the per-address throttle the suite's own throttle test trips (VSU-13),
            # possibly from another worker: wait out the declared cooldown rather than blame the vendor.
            cooldown = (self.section.get("signup_throttle") or {}).get("cooldown_s")
            if resp.status_code != 429 or not wait_out_throttle or not cooldown:
                return resp
            time.sleep(float(cooldown) * 1.1 + 0.1)
        return resp

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

    def discovery_response(self) -> httpx.Response:
        if not self.section.get("discovery_url"):
            raise Blocked("the profile has no discovery_url")
        return self.http.get(self.profile.url(CONTRACT, "discovery_url"))

    def discovery(self) -> dict[str, Any]:
        """The discovery document; when there is none, the caller is blocked by OTT-DISC-001."""
        if self._discovery is None:
            resp = self.discovery_response()
            body = json_of(resp)
            if resp.status_code != 200 or not isinstance(body, dict):
                raise Blocked(
                    f"discovery document not available (HTTP {resp.status_code})", by="OTT-DISC-001"
                )
            self._discovery = body
        return self._discovery

    def jwks_response(self) -> httpx.Response:
        url = (
            self.profile.url(CONTRACT, "jwks_url")
            if self.section.get("jwks_url")
            else self.discovery().get("jwks_uri")
        )
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise Blocked(
                f"no usable JWKS URL (jwks_url in the profile, else jwks_uri in discovery: {url!r})",
                by="OTT-DISC-001",
            )
        return self.http.get(url)

    def jwks(self) -> dict[str, Any]:
        """The JWK Set; when there is none, the caller is blocked by OTT-DISC-003."""
        resp = self.jwks_response()
        body = json_of(resp)
        if resp.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise Blocked(f"JWKS not available (HTTP {resp.status_code})", by="OTT-DISC-003")
        return body

    def verification_keys(self, header: dict[str, Any]) -> list[tuple[Any, list[str]]]:
        """Candidate (key or public JWK, algorithms) for an id_token, as the profile says it is
        verified; ``jose.verify`` tries them."""
        how = self.features.get("id_token_verification", "jwks")
        if how == "hs256":
            return [(self.client_secret.encode(), ["HS256"])]
        if how == "pem":
            pem = self.section.get("id_token_public_key_pem", "")
            if not pem:
                raise Blocked("id_token_verification = pem but the profile has no id_token_public_key_pem")
            return [(jwt.algorithms.get_default_algorithms()["RS256"].prepare_key(pem), SIGNING_ALGS)]
        # A key of another type or algorithm is never tried; an unknown kid falls back to the keys
        # that fit the alg, so a wrong kid fails OTT-IDT-002 only.
        return [(jwk, SIGNING_ALGS) for jwk in candidate_keys(self.jwks()["keys"], header)]


def _form_headers(headers: dict[str, str]) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded", **headers}


def id_token_claims(resp: httpx.Response) -> dict[str, Any]:
    """The unverified claims of a token response's id_token, or {} when it has none that decodes.

    Read leniently: how the id_token is encoded is OTT-IDT-001's business, not its readers'.
    """
    return claims_of(body_of(resp).get("id_token")) or {}
