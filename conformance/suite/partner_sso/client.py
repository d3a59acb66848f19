"""The vendor's partner_sso endpoints as the profile describes them, and the calls the suite makes.

The REST API v2 calls (registration, configuration, profiles, decisions, logout) are platform_sso's
``Psso``/``App``, read from ``[partner_sso]``; this adds what Apple's Video Subscriber Account
framework and the MVPD do in the partner flow (docs/partner_sso.md): PFS headers (``pfs``),
Sessions Partner, the SAML response relayed from the MVPD (``saml``, or the profile's
``response_command`` when ``features.saml = "hook"``) and Profiles Partner.

Every PFS, SAML request and response, code and NameID the suite makes or receives is handed to the
redactor; an exchange already recorded before the suite could know a value (the Base64 SAML request
in a Sessions Partner answer) is scrubbed again once it does.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from conformance import hooks
from conformance.bodies import body_of
from conformance.checks import Blocked
from conformance.http import Http
from conformance.profile import Profile
from conformance.redact import Redactor
from conformance.suite.partner_sso import pfs, saml
from conformance.suite.platform_sso.client import PFS_HEADER, App, Psso

CONTRACT = "partner_sso"
# The requirement each shared flow step blocks by when the vendor refuses it.
BLOCKING = {"register": "PTR-REG-001", "token": "PTR-REG-001"}
GARBAGE = "garbage-" + "0" * 24  # an unknown bearer token / a non-Base64 value of the suite's own
KEEP_DEFAULT = object()


class Partner(Psso):
    """Psso for ``[partner_sso]`` plus the partner flow: Sessions Partner, SAML, Profiles Partner."""

    def __init__(self, profile: Profile, http: Http, redactor: Redactor) -> None:
        super().__init__(profile, http, redactor, contract=CONTRACT, blocking=BLOCKING)
        s = self.section
        self.partner: str = s.get("partner", "Apple")
        self.unsupported_partner: str = s.get("unsupported_partner") or "NoSuchPartner"
        self.saml_cfg: dict[str, Any] = s.get("saml", {})
        self.sp_entity: str = self.saml_cfg.get("sp_entity_id", saml.DEFAULT_SP_ENTITY)
        self.idp_entity: str = self.saml_cfg.get("idp_entity_id", "")
        self.name_id: str = str(self.saml_cfg.get("name_id", "conformance-subscriber"))
        self.attributes = {k: str(v) for k, v in self.saml_cfg.get("attributes", {}).items()}
        for value in (self.name_id, *self.attributes.values()):
            redactor.remember(value)
        self._mapping: dict[str, str] | None = None
        self.config_status: int | None = None

    # -- modes -------------------------------------------------------------------------------

    @property
    def saml_mode(self) -> str:
        return str(self.features.get("saml", "sign"))

    def need_signing(self, what: str) -> None:
        """Forgeries that need the trusted key skip when the vendor's hook makes the responses."""
        if self.saml_mode == "hook":
            pytest.skip(f"{what} needs the MVPD's signing key; features.saml is 'hook'")

    def profile_statuses(self) -> tuple[int, ...]:
        want = str(self.features.get("profile_status", "either"))
        return {"201": (201,), "200": (200,)}.get(want, (201, 200))

    # -- configuration: mvpd -> platformMappingId ---------------------------------------------

    def mapping(self, app: App) -> dict[str, str]:
        """mvpd id -> platformMappingId from GET configuration, then the profile's overrides."""
        if self._mapping is None:
            found: dict[str, str] = {}
            resp = app.get("/configuration")
            self.config_status = resp.status_code
            for m in mvpds_of(resp):
                if isinstance(m.get("id"), str) and isinstance(m.get("platformMappingId"), str):
                    found[m["id"]] = m["platformMappingId"]
            override = self.section.get("platform_mapping_id")
            if isinstance(override, str) and override:
                found[self.mvpd] = override
            elif isinstance(override, dict):
                found.update({str(k): str(v) for k, v in override.items()})
            self._mapping = found
        return self._mapping

    def mapping_id(self, app: App, mvpd: str | None = None) -> str:
        m = mvpd or self.mvpd
        pid = self.mapping(app).get(m)
        if not pid:
            raise Blocked(
                f"no platformMappingId for {m} (configuration answered HTTP {self.config_status}; "
                "the profile may give platform_mapping_id)",
                by="PTR-CFG-001",
            )
        return pid

    # -- PFS ------------------------------------------------------------------------------------

    def pfs(self, app: App, name: str = "granted", mvpd: str | None = None) -> str:
        """The PFS variant ``name`` (pfs.VARIANTS) for ``mvpd``'s platformMappingId, remembered."""
        pid = self.mapping_id(app, mvpd)
        unknown = str(self.section.get("unknown_provider_id") or "NoSuchProviderId")
        value = pfs.variant(name, pid, unknown)
        self.redactor.remember(value)
        return value

    def with_pfs(self, app: App, mvpd: str | None = None) -> App:
        """``app`` sending a valid PFS on every later call."""
        app.pfs = self.pfs(app, "granted", mvpd)
        return app

    # -- Sessions Partner and Profiles Partner -------------------------------------------------

    def partner_url(self, kind: str, partner: str | None = None) -> str:
        return f"/{kind}/sso/{quote(partner or self.partner, safe='')}"

    def sessions_partner(
        self,
        app: App,
        pfs_value: Any = KEEP_DEFAULT,
        partner: str | None = None,
        h: dict[str, str | None] | None = None,
        **params: str | None,
    ) -> httpx.Response:
        """POST {sp}/sessions/sso/{partner}: ``pfs_value`` None sends no PFS, default the app's."""
        data: dict[str, str | None] = {"domainName": self.domain_name, "redirectUrl": self.redirect_url}
        data.update(params)
        headers = dict(h or {})
        if pfs_value is not KEEP_DEFAULT:
            headers[PFS_HEADER] = pfs_value
        resp = app.post(
            self.partner_url("sessions", partner), data={k: v for k, v in data.items() if v}, h=headers
        )
        self.learn_session(resp)
        return resp

    def learn_session(self, resp: httpx.Response) -> None:
        """Remember what a Sessions Partner answer issued, and scrub it from the evidence."""
        body = body_of(resp)
        found = []
        for key in ("code", "sessionId"):
            if isinstance(body.get(key), str):
                found.append(body[key])
        request = body.get("authenticationRequest")
        if isinstance(request, dict) and isinstance(request.get("request"), str):
            found.append(request["request"])
            parsed = saml.parse_request(request["request"])
            if parsed.id:
                found.append(parsed.id)
        self.scrub(found)

    def scrub(self, values: list[str]) -> None:
        """Remember ``values`` and re-mask the exchanges already recorded with them in clear."""
        values = [v for v in values if isinstance(v, str) and len(v) >= 4]
        if not values:
            return
        for v in values:
            self.redactor.remember(v)
        evidence = getattr(self.http, "evidence", None)
        for exchange in evidence.exchanges[-4:] if evidence is not None else []:
            for key in ("response_body", "request_body", "url"):
                text = exchange.get(key)
                if isinstance(text, str) and any(v in text for v in values):
                    exchange[key] = self.redactor.text(text)

    def profiles_partner(
        self,
        app: App,
        saml_response: str | None,
        pfs_value: Any = KEEP_DEFAULT,
        partner: str | None = None,
        h: dict[str, str | None] | None = None,
    ) -> httpx.Response:
        """POST {sp}/profiles/sso/{partner} with ``SAMLResponse`` (Base64, form-encoded once)."""
        headers = dict(h or {})
        if pfs_value is not KEEP_DEFAULT:
            headers[PFS_HEADER] = pfs_value
        data = {"SAMLResponse": saml_response} if saml_response is not None else {}
        if saml_response:
            self.redactor.remember(saml_response)
        return app.post(self.partner_url("profiles", partner), data=data, h=headers)

    def partner_request(self, app: App) -> tuple[dict[str, Any], saml.SamlRequest]:
        """Sessions Partner with the app's valid PFS, expected to issue a SAML request; else Blocked."""
        resp = self.sessions_partner(app)
        body = body_of(resp)
        if resp.status_code != 200 or body.get("actionName") != "partner_profile":
            raise Blocked(
                f"Sessions Partner did not issue a partner request (HTTP {resp.status_code}, "
                f"actionName {body.get('actionName')!r}, reasonType {body.get('reasonType')!r})",
                by="PTR-SESS-001",
            )
        ar = body.get("authenticationRequest")
        request = saml.parse_request(ar.get("request") if isinstance(ar, dict) else None)
        if request.id is None:
            raise Blocked(f"no usable SAML request: {request.summary()}", by="PTR-SESS-003")
        return body, request

    # -- the MVPD's answer ----------------------------------------------------------------------

    def answer(self, request_id: str, **changes: Any) -> saml.Answer:
        a = saml.Answer(
            in_response_to=request_id,
            idp=self.idp_entity,
            audience=self.sp_entity,
            name_id=self.name_id,
            attributes=dict(self.attributes),
            validity_s=int(self.saml_cfg.get("validity_s", 300)),
        )
        for k, v in changes.items():
            setattr(a, k, v)
        return a

    def trusted_keys(self) -> saml.KeyPair:
        return saml.trusted(self.saml_cfg, self.profile.path.parent)

    def respond(self, request: saml.SamlRequest) -> str:
        """A valid Base64 SAMLResponse to ``request``: signed by the suite, or made by the hook."""
        if self.saml_mode == "hook":
            return self.hook_response(request.b64)
        if self.saml_mode != "sign":
            raise Blocked(f"features.saml is {self.saml_mode!r}: expected sign or hook")
        if not self.idp_entity:
            raise Blocked("[partner_sso.saml] names no idp_entity_id")
        return self.made(self.signed(self.answer(request.id or "")))

    def signed(self, answer: saml.Answer, keys: saml.KeyPair | None = None) -> bytes:
        """``answer`` signed with the trusted key (or ``keys``); Blocked when the key is unusable."""
        keys = keys or self.trusted_keys()
        try:
            return saml.signed_response(answer, keys)
        except (ValueError, TypeError) as exc:  # a key file that is not a usable RSA key and certificate
            raise Blocked(
                f"cannot sign a SAML response with [partner_sso.saml] ({type(exc).__name__})"
            ) from None

    def made(self, xml: bytes) -> str:
        value = saml.b64(xml)
        self.redactor.remember(value)
        return value

    def hook_response(self, request_b64: str) -> str:
        """``[partner_sso.saml] response_command``: the Base64 request in $PTR_SAML_REQUEST, the
        Base64 SAMLResponse on stdout (exit 0). ``{python}`` in the command is this interpreter."""
        command = self.saml_cfg.get("response_command")
        if not command:
            raise Blocked("features.saml is 'hook' but [partner_sso.saml] names no response_command")
        cmd = str(command).replace("{python}", shlex.quote(sys.executable))
        try:
            done = subprocess.run(  # noqa: S602 - the profile's own command line
                cmd,
                shell=True,
                capture_output=True,
                timeout=hooks.TIMEOUT_S,
                check=False,
                env={**os.environ, "PTR_SAML_REQUEST": request_b64},
            )
        except subprocess.TimeoutExpired:
            raise Blocked(f"the SAML response hook ran over {hooks.TIMEOUT_S} s") from None
        out = done.stdout.decode(errors="replace").strip()
        if done.returncode != 0 or not out:
            last = (done.stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
            raise Blocked(
                f"the SAML response hook exited {done.returncode} {self.redactor.text(last[:200])}".strip()
            )
        value = "".join(out.split())
        self.redactor.remember(value)
        return value

    # -- whole flows ----------------------------------------------------------------------------

    def sign_in(self, app: App) -> dict[str, Any]:
        """The partner flow on ``app`` (which gets a valid PFS): Sessions Partner, the MVPD's
        response, Profiles Partner; returns the created appleSSO profile, else Blocked."""
        self.with_pfs(app)
        _, request = self.partner_request(app)
        resp = self.profiles_partner(app, self.respond(request))
        profile = profiles_map(resp).get(self.mvpd)
        if resp.status_code not in (200, 201) or not isinstance(profile, dict):
            raise Blocked(f"Profiles Partner created no profile (HTTP {resp.status_code})", by="PTR-PP-001")
        return profile

    def apple_profile(self, app: App, pfs_value: Any = KEEP_DEFAULT) -> Any:
        """The appleSSO profile GET {sp}/profiles shows ``app`` for the MVPD (None when none)."""
        h = {} if pfs_value is KEEP_DEFAULT else {PFS_HEADER: pfs_value}
        profile = profiles_map(app.profiles(h=h)).get(self.mvpd)
        return profile if isinstance(profile, dict) and profile.get("type") == "appleSSO" else None


def profiles_map(resp: httpx.Response) -> dict[str, Any]:
    profiles = body_of(resp).get("profiles")
    return profiles if isinstance(profiles, dict) else {}


def mvpds_of(resp: httpx.Response) -> list[dict[str, Any]]:
    """The MVPD objects of a configuration answer ([] for anything else)."""
    body = body_of(resp)
    requestor = body.get("requestor") if isinstance(body.get("requestor"), dict) else {}
    mvpds = requestor.get(
        "mvpds", body.get("mvpds")
    )  # nested in [O] and the sample; top-level in [P]'s table
    return [m for m in mvpds if isinstance(m, dict)] if isinstance(mvpds, list) else []
