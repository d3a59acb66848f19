"""The vendor's platform_sso endpoints as the profile describes them, and the calls the suite makes.

The suite stands in for three parties: the TVE Dashboard (it builds software statements), the
platform identity service (it builds `Adobe-Subject-Token` values, JWS or JWE; both in
``tokens``) and the user, who signs in at the MVPD login page: a plain form post for speed, a real
browser for the SSO flow, or the vendor's own automation hook (see ``Psso.authenticate``).

Lifetimes are read from what the vendor advertises (a session's and a profile's ``notBefore`` /
``notAfter``) on the suite's own clock (conformance/deadlines.py), or from ``code_lifetime_s`` /
``profile_lifetime_s`` in ``[platform_sso]`` when the vendor's test environment declares its own.
A login that finds its code expired because the suite was slow is tried once more, then an ERROR.
"""

from __future__ import annotations

import base64
import json
import secrets
import sys
import time
import uuid
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
import pytest

from conformance import deadlines, hooks
from conformance.bodies import body_of
from conformance.checks import Blocked
from conformance.deadlines import Deadline, now
from conformance.http import Http
from conformance.profile import Profile
from conformance.redact import Redactor
from conformance.suite.platform_sso import tokens
from conformance.suite.platform_sso.pages import FormParser, selector_name
from conformance.suite.platform_sso.readers import ms, profiles_of

CONTRACT = "platform_sso"
# The requirement each flow step blocks by when the vendor refuses it, per contract that reuses Psso.
BLOCKING: dict[str, dict[str, str]] = {
    "platform_sso": {
        "register": "PSSO-DCR-001",
        "token": "PSSO-DCR-006",
        "session": "PSSO-SES-001",
        "login_page": "PSSO-AUTHN-001",
        "login": "PSSO-AUTHN-003",
    },
}
PFS_HEADER = "AP-Partner-Framework-Status"
COMPLETION_TIMEOUT_S = 4.0  # how long a flow polls profiles/code for the user agent to complete
LONG_WAIT_S = 120.0  # longer expiry waits only with --include-slow
DEVICE_INFO = {
    "primaryHardwareType": "SetTopBox",
    "model": "ConformanceBox",
    "version": "1.0",
    "osName": "Linux",
    "osVersion": "6.1",
    "connectionType": "LAN",
}


def b64(data: bytes | str) -> str:
    """Standard Base64 (with padding), as AP-Device-Identifier and X-Device-Info carry their values."""
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def device_id(seed: str | None = None) -> str:
    """An AP-Device-Identifier of the fingerprint scheme; a fresh device unless ``seed`` is given."""
    return "fingerprint " + b64(seed or str(uuid.uuid4()))


class App:
    """One streaming application on one device: its DCR credentials and REST API v2 calls."""

    def __init__(self, psso: Psso, role: str, client_id: str, client_secret: str, token: str) -> None:
        self.psso, self.role = psso, role
        self.client_id, self.client_secret, self.token = client_id, client_secret, token
        self.device = device_id()
        self.subject: str | None = None
        self.pfs: str | None = None  # AP-Partner-Framework-Status sent on every call when set

    def url(self, path: str) -> str:
        return f"{self.psso.api}/{self.psso.sp}{path}"

    def headers(self, **override: str | None) -> dict[str, str]:
        h: dict[str, str | None] = {
            "Authorization": f"Bearer {self.token}",
            "AP-Device-Identifier": self.device,
            "X-Device-Info": b64(json.dumps(DEVICE_INFO)),
            "Accept": "application/json",
        }
        if self.subject:
            h["Adobe-Subject-Token"] = self.subject
        if self.pfs is not None:
            h[PFS_HEADER] = self.pfs
        h.update(override)
        return {k: v for k, v in h.items() if v is not None}

    def get(self, path: str, h: dict[str, str | None] | None = None, **kw: Any) -> httpx.Response:
        return self.psso.http.get(self.url(path), headers=self.headers(**(h or {})), **kw)

    def post(self, path: str, h: dict[str, str | None] | None = None, **kw: Any) -> httpx.Response:
        return self.psso.http.post(self.url(path), headers=self.headers(**(h or {})), **kw)

    def session(self, mvpd: str | None = None, h: dict[str, str | None] | None = None, **params: str):
        p = self.psso
        data = {"mvpd": mvpd or p.mvpd, "domainName": p.domain_name, "redirectUrl": p.redirect_url}
        data.update(params)
        return self.post("/sessions", data={k: v for k, v in data.items() if v}, h=h)

    def profiles(self, mvpd: str | None = None, h: dict[str, str | None] | None = None) -> httpx.Response:
        return self.get("/profiles" + (f"/{quote(mvpd, safe='')}" if mvpd else ""), h=h)

    def by_code(self, code: str) -> httpx.Response:
        return self.get(f"/profiles/code/{quote(code, safe='')}")

    def authorize(self, resources: list[str], mvpd: str | None = None, kind: str = "authorize"):
        m = quote(mvpd or self.psso.mvpd, safe="")
        return self.post(f"/decisions/{kind}/{m}", json={"resources": resources})

    def logout(self, mvpd: str | None = None, *, redirect: bool = True) -> httpx.Response:
        m = quote(mvpd or self.psso.mvpd, safe="")
        params = {"redirectUrl": self.psso.logout_redirect_url} if redirect else {}
        return self.get(f"/logout/{m}", params=params)


class Psso:
    """The vendor's platform_sso endpoints as the profile describes them, and the calls the suite makes."""

    def __init__(
        self,
        profile: Profile,
        http: Http,
        redactor: Redactor,
        contract: str = CONTRACT,
        blocking: dict[str, str] | None = None,
    ) -> None:
        """``contract`` names the profile section read (another contract on the same REST API v2
        reuses the client); ``blocking`` the requirement ids its flows block by (BLOCKING[contract])."""
        self.profile, self.http, self.redactor = profile, http, redactor
        self.contract = contract
        self.blocking = {**BLOCKING.get(contract, {}), **(blocking or {})}
        s = profile.section(contract)
        self.section = s
        self.features: dict[str, Any] = s.get("features", {})
        self.api = profile.url(contract, "api_base_url").rstrip("/")
        self.api_path = urlsplit(self.api).path.rstrip("/")
        self.dcr = profile.url(contract, "dcr_base_url").rstrip("/")
        self.sp: str = s["service_provider"]
        self.mvpd: str = s["mvpd"]
        self.domain_name: str = s.get("domain_name", "")
        self.redirect_url = profile.url(contract, "redirect_url")
        self.logout_redirect_url = (
            profile.url(contract, "logout_redirect_url")
            if s.get("logout_redirect_url")
            else self.redirect_url
        )
        self.applications = {a["role"]: a for a in s.get("applications", [])}
        self.accounts: list[dict[str, Any]] = list(s.get("accounts", []))
        self.login_cfg: dict[str, Any] = s.get("mvpd_login", {})
        self.deadlines = deadlines.Registry()  # authentication code -> its deadline
        self.logins: dict[str, tuple[float, float, dict]] = {}  # code -> (session sent, profile seen, it)

    def need(self, key: str) -> Any:
        if not self.section.get(key):
            raise Blocked(f"the profile has no {key} in [{self.contract}]")
        return self.section[key]

    def account(self, role: str, mvpd: str | None = None) -> dict[str, Any]:
        """The account with ``role`` that exists at ``mvpd`` (one without ``mvpd`` exists at every
        MVPD): a vendor's test MVPDs rarely share subscribers, so a role may repeat per MVPD."""
        m = mvpd or self.mvpd
        for acct in self.accounts:
            if acct.get("role") == role and acct.get("mvpd", m) == m:
                return acct
        raise Blocked(f"the profile has no account with role {role!r} at MVPD {m!r}")

    # The TVE Dashboard and the platform identity service: what they sign is minted by ``tokens``;
    # the client resolves key files against the vendor's profile and redacts what it mints.

    def software_statement(self, role: str, **overrides: Any) -> str:
        statement = tokens.software_statement(
            self.section, role, profile_dir=self.profile.path.parent, **overrides
        )
        self.redactor.remember(statement)
        return statement

    def register(self, statement: str | None, **extra: Any) -> httpx.Response:
        body = {"software_statement": statement} if statement is not None else {}
        body.update(extra)
        return self.http.post(
            f"{self.dcr}/client/register",
            json=body,
            headers={"Accept": "application/json", "X-Device-Info": b64(json.dumps(DEVICE_INFO))},
        )

    def token_request(self, form: list[tuple[str, str]], *, query: bool = False) -> httpx.Response:
        url = f"{self.dcr}/client/token"
        if query:
            return self.http.post(url, params=form, headers={"Accept": "application/json"})
        content = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        return self.http.post(url, content=content, headers=headers)

    def credentials(self, role: str = "first") -> tuple[str, str]:
        resp = self.register(self.software_statement(role))
        body = body_of(resp)
        if resp.status_code not in (200, 201) or not body.get("client_id") or not body.get("client_secret"):
            raise Blocked(
                f"registration of the {role} application failed (HTTP {resp.status_code})",
                by=self.blocking.get("register"),
            )
        self.redactor.remember(str(body["client_secret"]))
        return str(body["client_id"]), str(body["client_secret"])

    def app(self, role: str = "first") -> App:
        """A registered application with an access token, on a fresh device."""
        cid, secret = self.credentials(role)
        resp = self.token_request(
            [("client_id", cid), ("client_secret", secret), ("grant_type", "client_credentials")]
        )
        body = body_of(resp)
        if resp.status_code not in (200, 201) or not isinstance(body.get("access_token"), str):
            raise Blocked(
                f"no access token for the {role} application (HTTP {resp.status_code})",
                by=self.blocking.get("token"),
            )
        self.redactor.remember(body["access_token"])
        return App(self, role, cid, secret, body["access_token"])

    def subject_claims(self, sub: str, **overrides: Any) -> dict[str, Any]:
        return tokens.subject_claims(self.section, sub, **overrides)

    def jws_subject(self, sub: str, **overrides: Any) -> str:
        token = tokens.jws_subject_token(self.section, sub, profile_dir=self.profile.path.parent, **overrides)
        self.redactor.remember(token)
        return token

    def forged_subject(self, sub: str, alg: str, **overrides: Any) -> str:
        token = tokens.forged_subject_token(self.section, sub, alg, **overrides)
        self.redactor.remember(token)
        return token

    def jwe_subject(self, sub: str, **overrides: Any) -> str:
        token = tokens.jwe_subject_token(self.section, sub, profile_dir=self.profile.path.parent, **overrides)
        self.redactor.remember(token)
        return token

    def new_user(self) -> str:
        user = f"platform-user-{secrets.token_hex(6)}"
        self.redactor.remember(user)
        return user

    # The user at the MVPD.

    def wait_allowed(self, request: pytest.FixtureRequest, seconds: float) -> bool:
        return seconds <= LONG_WAIT_S or bool(request.config.getoption("include_slow"))

    def lifetime_s(self, declared_key: str, record: dict[str, Any]) -> float | None:
        """A lifetime the profile declares, else the record's notAfter - notBefore (None if neither)."""
        if self.section.get(declared_key) is not None:
            return float(self.section[declared_key])
        nb, na = ms(record.get("notBefore")), ms(record.get("notAfter"))
        return (na - nb) / 1000 if nb is not None and na is not None and na > nb else None

    def profile_deadline(self, session: dict[str, Any]) -> Deadline | None:
        """The deadline of the profile a login of ``session`` created: it cannot predate the session
        and was there when the suite first saw it."""
        login = self.logins.get(str(session.get("code")))
        if login is None:
            return None
        started, seen, profile = login
        life = self.lifetime_s("profile_lifetime_s", profile)
        return Deadline(started, seen, life, "the profile") if life else None

    def start_session(self, app: App, mvpd: str | None = None) -> dict[str, Any]:
        sent = now()
        resp = app.session(mvpd)
        received = now()
        body = body_of(resp)
        if resp.status_code != 200 or body.get("actionName") != "authenticate" or not body.get("code"):
            raise Blocked(
                f"POST /sessions did not start an authentication (HTTP {resp.status_code}, "
                f"actionName {body.get('actionName')!r})",
                by=self.blocking.get("session"),
            )
        self.redactor.remember(str(body["code"]))
        life = self.lifetime_s("code_lifetime_s", body)
        if life:
            self.deadlines.add(str(body["code"]), Deadline(sent, received, life, "the authentication code"))
        return body

    def login_page(self, session: dict[str, Any]) -> tuple[str, FormParser]:
        """Follow the user-agent url to the MVPD login page; returns its URL and its form."""
        url = urljoin(self.api + "/", str(session.get("url", "")))
        for _ in range(6):
            resp = self.http.get(url, headers={"Accept": "text/html"})
            if resp.status_code in (301, 302, 303, 307, 308) and resp.headers.get("location"):
                url = urljoin(url, resp.headers["location"])
                continue
            break
        parser = FormParser()
        parser.feed(resp.text)
        if resp.status_code != 200 or parser.action is None:
            raise Blocked(
                f"no MVPD login form reached (HTTP {resp.status_code} at the end)",
                by=self.blocking.get("login_page"),
            )
        for value in parser.fields.values():
            if value:
                self.redactor.remember(value)
        return url, parser

    def submit_login(
        self,
        page_url: str,
        form: FormParser,
        account: str = "primary",
        password: str | None = None,
        mvpd: str | None = None,
    ) -> httpx.Response:
        acct = self.account(account, mvpd)
        fields = dict(form.fields)
        fields[selector_name(self.login_cfg.get("username_selector", ""), "username")] = acct["username"]
        fields[selector_name(self.login_cfg.get("password_selector", ""), "password")] = (
            acct["password"] if password is None else password
        )
        content = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields.items()).encode()
        return self.http.post(
            urljoin(page_url, form.action or ""),
            content=content,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
        )

    def wait_for_profile(self, app: App, code: str, mvpd: str | None = None) -> dict[str, Any] | None:
        """Poll profiles/code until the mvpd's profile appears (the flow is complete) or time runs out."""
        m = mvpd or self.mvpd
        deadline = time.monotonic() + COMPLETION_TIMEOUT_S
        while True:
            profile = profiles_of(app.by_code(code)).get(m)
            if isinstance(profile, dict):
                return profile
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)

    @property
    def login_mode(self) -> str:
        """How the suite signs in at the MVPD (features.mvpd_login): form, browser or hook."""
        return str(self.features.get("mvpd_login", "form"))

    def need_form_login(self) -> None:
        """For tests that post the MVPD form themselves (to see its redirect, or a wrong password)."""
        if self.login_mode != "form":
            pytest.skip(
                f"posts the MVPD login form itself; the profile drives the login by {self.login_mode}"
            )

    def authenticate(self, app: App, mvpd: str | None = None, account: str = "primary") -> dict[str, Any]:
        """Session, MVPD login, completion seen through profiles/code; else Blocked.

        ``form`` posts the login page's HTML form over HTTP (fast: the reference MVPD and any plain
        page), ``browser`` fills it in chromium (a page that needs scripts), ``hook`` hands the
        login URL to the vendor's own automation (a captcha, a second factor, a federated MVPD).
        A login that outran its code's lifetime is tried once more with a fresh session.
        """
        return deadlines.retried(lambda: self._authenticate(app, mvpd, account))

    def _authenticate(self, app: App, mvpd: str | None, account: str) -> dict[str, Any]:
        started = now()
        mode = self.login_mode
        if mode == "browser":
            session, _ = self.browser_authenticate(app, account, mvpd)
        elif mode == "form":
            session = self.start_session(app, mvpd)
            page_url, form = self.login_page(session)
            self.submit_login(page_url, form, account, mvpd=mvpd)
        elif mode == "hook":
            session = self.start_session(app, mvpd)
            self.login_hook(session, mvpd or self.mvpd, account)
        else:
            raise Blocked(f"features.mvpd_login is {mode!r}: expected form, browser or hook")
        logged_in = now()
        profile = self.wait_for_profile(app, session["code"], mvpd)
        if profile is None:
            deadline = self.deadlines.of(str(session["code"]))
            if deadline is not None:  # no profile is the vendor's fault only if the code was still valid
                deadline.require_valid(f"the MVPD login ({mode})", logged_in)
            raise Blocked(
                "the MVPD login did not produce a profile (profiles/code stayed empty)",
                by=self.blocking.get("login"),
            )
        self.logins[str(session["code"])] = (started, now(), profile)
        return session

    def login_hook(self, session: dict[str, Any], mvpd: str, account: str) -> None:
        """Run the profile's MVPD login hook ([platform_sso.mvpd_login] hook_url or hook_command).

        Placeholders: ``url`` (the session's user-agent URL, absolute), ``username``, ``mvpd``,
        ``python``. The URL is called with POST, 2xx = done. The command gets the password in
        ``$PSSO_HOOK_PASSWORD`` (never on the command line), exit 0 = done.
        """
        acct = self.account(account, mvpd)
        values = {
            "url": urljoin(self.api + "/", str(session.get("url", ""))),
            "username": acct["username"],
            "mvpd": mvpd,
            "python": sys.executable,
        }
        cfg = self.login_cfg
        if cfg.get("hook_url"):
            resp = self.http.post(hooks.url(cfg["hook_url"], values))
            if not 200 <= resp.status_code < 300:
                raise Blocked(f"the MVPD login hook failed (HTTP {resp.status_code})")
            return
        if not cfg.get("hook_command"):
            raise Blocked(f"features.mvpd_login is 'hook' but [{self.contract}.mvpd_login] names no hook")
        env = {"PSSO_HOOK_PASSWORD": acct["password"]}
        hooks.command(cfg["hook_command"], values, env, self.redactor, "the MVPD login hook", (0,))

    def browser_authenticate(
        self, app: App, account: str = "primary", mvpd: str | None = None
    ) -> tuple[dict[str, Any], str]:
        """Session, then the MVPD login in a real browser; returns the session and the URL it ended on.

        The browser starts before the session so that short-lived codes stay valid; completion is then
        seen through profiles/code by the caller, never by waiting for the redirect.
        """
        from conformance.browser import BrowserUnavailable, browser

        acct = self.account(account, mvpd)
        cfg = self.login_cfg
        try:
            with browser() as b:
                page = b.new_page()
                session = self.start_session(app, mvpd)
                url = urljoin(self.api + "/", str(session.get("url", "")))
                try:
                    page.goto(url, timeout=self.profile.timeout * 1000)
                    page.fill(cfg.get("username_selector", "input[name=username]"), acct["username"])
                    page.fill(cfg.get("password_selector", "input[name=password]"), acct["password"])
                    page.click(cfg.get("submit_selector", "button[type=submit]"))
                    page.wait_for_load_state()
                    return session, page.url
                except Exception as exc:  # noqa: BLE001 - a page that cannot be driven blocks the flow
                    raise Blocked(f"the MVPD login page could not be driven ({type(exc).__name__})") from None
        except BrowserUnavailable as exc:
            raise Blocked(str(exc)) from None
