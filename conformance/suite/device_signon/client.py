"""How the `device_signon` suite talks to the vendor: its endpoints, accounts and timings, and the flows.

Variant ``dsra``: D1 registration code, D2 polling, D3 companion approval, D4 operator-portal
approval, IAS sign-on with the activation token (I1), IAS password sign-on and refresh.
Variant ``rfc8628``: device authorization, token polling, verification page, userinfo, metadata.

Approvals on the rfc8628 verification page go, by default, through the page itself as plain HTML
form posts (``form#signin`` -> ``form#consent`` -> ``#result[data-result]``, the reference server's
layout); one test drives it in a real browser (conformance/browser.py). A vendor whose page is laid
out otherwise (RFC 8628 prescribes no layout), or cannot be driven that way (captcha, single
sign-on), names an approval hook in ``[device_signon]`` instead:

    approval_hook_url = "https://vendor.example/test-hooks/device?user_code={user_code}&account={username}&action={action}"
    approval_hook_command = "vendor-approve --code {user_code} --user {username} --action {action}"

The URL is called with POST: 2xx = done, 4xx = the vendor refused (unknown, expired or used code,
wrong password, throttled), anything else = the hook failed. The command is run from the current
directory with the placeholders filled in and the account's password in ``$DSO_HOOK_PASSWORD``
(never on the command line): exit 0 = done, 1 = refused, anything else = the hook failed.
Placeholders: ``user_code`` (as the suite types it: the page tests also try lower case and no
dash), ``username``, ``action`` (``approve`` or ``deny``), ``verification_url`` (absolute) and
``python`` (the interpreter running the suite, for hooks written in Python).

With a hook, the page tests run through it too (``page_driver = "hook"``, the default then):
normalisation, throttling, used and expired codes become hook calls that must be refused; the
wrong-password test needs ``approval_hook_signs_in = true`` (the hook types $DSO_HOOK_PASSWORD on
the page); the consent-step and browser tests skip. ``page_driver = "forms"`` keeps the reference
layout's form tests for a vendor whose page has that layout but also names a hook.

Timings come from what the vendor advertises (expiresAfterMillis, pollingPeriodSeconds,
expires_in, interval). The activation token's lifetime is not advertised: ``activation_token_ttl_s``
in ``[device_signon]`` (default 120, the spec's proposal) says how long to wait for it.
``code_lifetime_s`` there declares the lifetime of the vendor's test environment when it differs
from what it advertises (see profiles/example-device-signon.toml).

Every code and token the vendor issues gets a :class:`~conformance.deadlines.Deadline` from its
advertised lifetime, and every request that uses one is timed: a flow that needs a code valid and
gets its answer when the code may already have expired raises ``Outrun`` (the suite was too slow,
never the vendor's fault) unless the caller passes ``late=True`` because it judges expiry itself.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest

from conformance import hooks
from conformance.bodies import body_of, error_code
from conformance.bodies import form as encode_form
from conformance.checks import Blocked
from conformance.deadlines import Deadline, Outrun, Registry, Stamps, now
from conformance.http import Http
from conformance.profile import Profile
from conformance.redact import Redactor
from conformance.suite.device_signon import operator
from conformance.suite.device_signon.page import Page

CONTRACT = "device_signon"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_INFO = {
    "deviceType": "OPEN",
    "device": {"hardware": {"type": "Tizen", "manufacturer": "Samsung", "model": "QE55"}},
}
LONG_WAIT_S = 30.0  # longer waits only with --include-slow
PLAUSIBLE_CODE_LIFETIME_S = 10.0  # a code a person types lives longer than this


class Dso:
    """The vendor's device_signon endpoints as the profile describes them, and the flows the suite runs."""

    def __init__(self, profile: Profile, http: Http, redactor: Redactor) -> None:
        self.profile, self.http, self.redactor = profile, http, redactor
        s = profile.section(CONTRACT)
        self.section = s
        self.features: dict[str, Any] = s.get("features", {})
        self.accounts = {a["role"]: a for a in s.get("accounts", [])}
        self._companion: dict[str, tuple[str, float]] = {}
        self._operator: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self.deadlines = Registry()  # code or token -> its deadline
        self.stamps = Stamps()  # answer -> (sent, received)
        for a in self.accounts.values():
            for k in ("password", "username"):
                if a.get(k):
                    redactor.remember(a[k])

    # Profile data.

    def url(self, key: str) -> str:
        if not self.section.get(key):
            raise Blocked(f"the profile has no {key}")
        return self.profile.url(CONTRACT, key)

    def has(self, key: str) -> bool:
        return bool(self.section.get(key))

    def account(self, role: str) -> dict[str, Any]:
        if role not in self.accounts:
            raise Blocked(f"the profile has no account with role {role!r}")
        return self.accounts[role]

    def approvals(self) -> list[str]:
        return list(self.features.get("approval", []))

    @property
    def activation_ttl_s(self) -> float:
        if "activation_token_ttl_s" in self.section:
            return float(self.section["activation_token_ttl_s"])
        ref = self.profile.data.get("reference_server", {}).get(CONTRACT, {})
        if self.profile.embedded and "activation_token_ttl_s" in ref:
            return float(ref["activation_token_ttl_s"])
        return 120.0

    @property
    def declared_code_lifetime_s(self) -> float | None:
        """The profile's ``code_lifetime_s``: what the vendor's test environment really uses."""
        value = self.section.get("code_lifetime_s")
        return float(value) if value is not None else None

    def wait_allowed(self, request: pytest.FixtureRequest, seconds: float) -> bool:
        return seconds <= LONG_WAIT_S or bool(request.config.getoption("include_slow"))

    # Deadlines: what each request that uses a code may conclude.

    def _timed(self, request: Any) -> httpx.Response:
        return self.stamps.call(request)

    def in_time(self, value: Any, resp: Any, doing: str, late: bool, alive: bool) -> None:
        """Outrun when ``resp`` refused ``value`` (a code or token; ``alive``: it treated it as valid)
        at a time it may already have expired: that refusal may be right, and judges nothing."""
        deadline = self.deadlines.of(value)
        if deadline is not None and not late and not alive:
            deadline.require_valid(doing, self.stamps.of(resp)[1])

    def fast_pair(
        self,
        send: Callable[[], httpx.Response],
        period: float,
        limited: Callable[[httpx.Response], bool],
        rest: float,
    ) -> tuple[httpx.Response, httpx.Response]:
        """Two polls the vendor certainly saw within ``period`` of each other (or a second one it
        already ``limited``): only such a pair shows whether it enforces its polling period. Three
        tries, ``rest`` seconds apart; a suite too slow to get there raises Outrun."""
        gaps = []
        for attempt in range(3):
            if attempt:
                time.sleep(rest)
            first, second = self._timed(send), self._timed(send)
            gaps.append(self.stamps.of(second)[1] - self.stamps.of(first)[0])
            if limited(second) or gaps[-1] < period:
                return first, second
        spent = ", ".join(f"{g:.2f}s" for g in gaps)
        raise Outrun(f"two back-to-back polls took {spent}, never within the {period:g}s polling period")

    # --- DSRA ------------------------------------------------------------------------------------

    def register_raw(self, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.get(
            self.url("dsra_code_url"), headers={"Accept": "application/json", **(headers or {})}
        )

    def register(self) -> Registration:
        resp = self._timed(self.register_raw)
        body = body_of(resp)
        code, token = body.get("deviceRegistrationCode"), body.get("dsraToken")
        if not 200 <= resp.status_code < 300 or not isinstance(code, str) or not isinstance(token, str):
            raise Blocked(f"D1 gave no registration (HTTP {resp.status_code})", by="DSO-DSRA-001")
        if not code or not token:
            raise Blocked("D1 gave an empty registration code or dsraToken", by="DSO-DSRA-001")
        self.redactor.remember(token)
        self.redactor.remember(code)
        sent, received = self.stamps.of(resp)
        reg = Registration(body, sent, received, self.expiry_unit, self.declared_code_lifetime_s)
        self.deadlines.add(code, reg.deadline)
        self.deadlines.add(token, reg.deadline)
        return reg

    @property
    def expiry_unit(self) -> str:
        return str(self.features.get("expires_after_unit", "auto"))

    def poll(
        self,
        token: str | None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        scheme: str = "Bearer ",
        late: bool = False,
    ) -> httpx.Response:
        h = {"Accept": "application/json", "Content-Type": "application/json", **(headers or {})}
        if token is not None:
            h["Authorization"] = f"{scheme}{token}"
        payload = {"deviceInformation": DEVICE_INFO} if body is None else body
        url = self.url("dsra_poll_url")
        resp = self._timed(lambda: self.http.put(url, content=json.dumps(payload).encode(), headers=h))
        self.in_time(token, resp, "D2 polling", late, 200 <= resp.status_code < 300)
        return resp

    def collect(self, reg: Registration, body: dict[str, Any] | None = None) -> tuple[httpx.Response, dict]:
        """Wait the polling period and poll once after approval; Blocked unless the token came."""
        reg.wait_period()
        resp = self.poll(reg.token, body)
        got = body_of(resp)
        if not 200 <= resp.status_code < 300 or not isinstance(got.get("signOnActivationToken"), str):
            raise Blocked(
                f"D2 delivered no sign-on/activation token after approval (HTTP {resp.status_code})",
                by="DSO-DSRA-010",
            )
        self.redactor.remember(got["signOnActivationToken"])
        sent, received = self.stamps.of(resp)
        deadline = Deadline(sent, received, self.activation_ttl_s, "the activation token")
        self.deadlines.add(got["signOnActivationToken"], deadline)
        return resp, got

    def companion_token(self, role: str = "secondary") -> str:
        with self._lock:
            cached = self._companion.get(role)
            if cached and time.monotonic() < cached[1]:
                return cached[0]
        resp = self.password_sign_on(role)
        body = body_of(resp)
        token = body.get("access_token")
        if not 200 <= resp.status_code < 300 or not isinstance(token, str):
            raise Blocked(
                f"the IAS password sign-on of the {role} account failed (HTTP {resp.status_code})",
                by="DSO-IAS-012",
            )
        life = body.get("expires_in") if isinstance(body.get("expires_in"), int | float) else 60
        with self._lock:
            self._companion[role] = (token, time.monotonic() + max(1.0, float(life) / 2))
        return token

    def password_sign_on(self, role: str, password: str | None = None) -> httpx.Response:
        acct = self.account(role)
        payload = {
            "username": acct["username"],
            "password": acct["password"] if password is None else password,
        }
        resp = self.http.post(
            self.url("ias_password_url"), json=payload, headers={"Accept": "application/json"}
        )
        self._remember_tokens(resp)
        return resp

    def approve(
        self,
        code: Any,
        token: str | None = None,
        *,
        role: str = "secondary",
        action: str = "approve",
        late: bool = False,
    ) -> httpx.Response:
        """D3 (or the reject extension) as the companion of ``role`` (``token`` overrides)."""
        bearer = self.companion_token(role) if token is None else token
        headers = {"Accept": "application/json"}
        if bearer != "":
            headers["Authorization"] = f"Bearer {bearer}"
        body = {} if code is None else {"deviceRegistrationCode": code}
        url = self.url("dsra_approve_url" if action == "approve" else "dsra_reject_url")
        resp = self._timed(lambda: self.http.put(url, json=body, headers=headers))
        self.in_time(code, resp, f"D3 {action}", late, 200 <= resp.status_code < 300)
        return resp

    def operator_token(self) -> str:
        with self._lock:
            if self._operator and time.monotonic() < self._operator[1]:
                return self._operator[0]
        given = operator.static_token(self.section)
        if given:
            return given  # the profile's own token (operator.py): reused as is
        content, headers = operator.token_request(self.section)
        resp = self.http.post(self.url("operator_token_url"), content=content, headers=headers)
        token, reuse_s = operator.issued_token(resp)
        self.redactor.remember(token)
        with self._lock:
            self._operator = (token, time.monotonic() + reuse_s)
        return token

    def portal_approve(
        self,
        code: Any,
        account_id: str | None,
        *,
        token: str | None = None,
        tenant: str | None = "",
    ) -> httpx.Response:
        """D4; ``tenant=""`` sends the profile's tenant, ``None`` omits the header."""
        bearer = self.operator_token() if token is None else token
        headers = {"Accept": "application/json", "Authorization": f"Bearer {bearer}"}
        tenant_id = self.section.get("tenant_id", "") if tenant == "" else tenant
        if tenant_id:
            headers["nv-tenant-id"] = tenant_id
        body: dict[str, Any] = {"deviceRegistrationCode": code}
        if account_id is not None:
            body["accountId"] = account_id
        url = self.url("dsra_operator_approve_url")
        resp = self._timed(lambda: self.http.put(url, json=body, headers=headers))
        self.in_time(code, resp, "D4 approval", False, 200 <= resp.status_code < 300)
        return resp

    def approve_by_any_route(self, reg: Registration, role: str = "secondary") -> str:
        """Approve through the first claimed route; the account id the device should land on."""
        routes = self.approvals()
        acct = self.account(role)
        if "companion" in routes:
            resp = self.approve(reg.code, role=role)
        elif "portal" in routes:
            if not acct.get("account_id"):
                raise Blocked(f"the {role} account has no account_id for the portal approval")
            resp = self.portal_approve(reg.code, acct["account_id"])
        else:
            raise Blocked("the profile claims no DSRA approval route")
        if not 200 <= resp.status_code < 300:
            by = "DSO-APPR-001" if "companion" in routes else "DSO-PORT-001"
            raise Blocked(f"the approval failed (HTTP {resp.status_code})", by=by)
        return acct.get("account_id", "")

    def activation_sign_on(
        self, token: str | None, scheme: str = "Bearer ", late: bool = False
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"{scheme}{token}"
        url = self.url("ias_activation_url")
        resp = self._timed(lambda: self.http.post(url, headers=headers))
        alive = 200 <= resp.status_code < 300
        self.in_time(token, resp, "I1 sign-on with the activation token", late, alive)
        self._remember_tokens(resp)
        return resp

    def ias_refresh(self, refresh_token: str) -> httpx.Response:
        form = f"grant_type=refresh_token&refresh_token={quote_plus(refresh_token)}".encode()
        resp = self.http.post(
            self.url("ias_refresh_url"),
            content=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        self._remember_tokens(resp)
        return resp

    def activated(self, role: str = "secondary") -> tuple[Registration, dict[str, Any], str]:
        """A registration approved by ``role`` and collected: (reg, D2 body, expected account id)."""
        reg = self.register()
        account_id = self.approve_by_any_route(reg, role)
        _, got = self.collect(reg)
        return reg, got, account_id

    def signed_on(self, role: str = "secondary") -> tuple[dict[str, Any], dict[str, Any]]:
        """A device signed on at IAS: (D2 body, IAS tokens)."""
        _, got, _ = self.activated(role)
        resp = self.activation_sign_on(got["signOnActivationToken"])
        tokens = body_of(resp)
        if not 200 <= resp.status_code < 300 or not isinstance(tokens.get("access_token"), str):
            raise Blocked(f"I1 gave no tokens (HTTP {resp.status_code})", by="DSO-IAS-001")
        return got, tokens

    def _remember_tokens(self, resp: httpx.Response) -> None:
        body = body_of(resp)
        for k in ("access_token", "refresh_token", "id_token", "signOnActivationToken", "device_code"):
            if isinstance(body.get(k), str):
                self.redactor.remember(body[k])

    # --- RFC 8628 --------------------------------------------------------------------------------

    @property
    def public_client(self) -> str:
        cid = self.section.get("public_client_id")
        if not cid:
            raise Blocked("the profile has no public_client_id")
        return cid

    def form_post(
        self, key: str, pairs: list[tuple[str, str]], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        resp = self.http.post(
            self.url(key),
            content=encode_form(pairs),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                **(headers or {}),
            },
        )
        self._remember_tokens(resp)
        return resp

    def authorize_raw(
        self,
        client_id: str | None = None,
        scope: str | None = None,
        extra: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        pairs = (
            [("client_id", self.public_client if client_id is None else client_id)] if client_id != "" else []
        )
        sc = self.section.get("scope", "openid") if scope is None else scope
        if sc:
            pairs.append(("scope", sc))
        return self.form_post("device_authorization_url", pairs + (extra or []), headers)

    def authorize(self, **kw: Any) -> Authorization:
        resp = self._timed(lambda: self.authorize_raw(**kw))
        body = body_of(resp)
        if (
            resp.status_code != 200
            or not isinstance(body.get("device_code"), str)
            or not isinstance(body.get("user_code"), str)
        ):
            raise Blocked(
                f"the device authorization request failed (HTTP {resp.status_code})", by="DSO-8628-001"
            )
        self.redactor.remember(body["device_code"])
        self.redactor.remember(body["user_code"])
        sent, received = self.stamps.of(resp)
        da = Authorization(body, sent, received, self.declared_code_lifetime_s)
        self.deadlines.add(da.device_code, da.deadline)
        self.deadlines.add(da.user_code, da.deadline)
        return da

    def token_poll(
        self, device_code: str | None, client_id: str | None = None, extra=None, late: bool = False
    ) -> httpx.Response:
        pairs = [("grant_type", DEVICE_GRANT)]
        if device_code is not None:
            pairs.append(("device_code", device_code))
        pairs.append(("client_id", self.public_client if client_id is None else client_id))
        resp = self._timed(lambda: self.form_post("token_url", pairs + (extra or [])))
        alive = 200 <= resp.status_code < 300 or error_code(resp) in ("authorization_pending", "slow_down")
        self.in_time(device_code, resp, "the device token request", late, alive)
        return resp

    def refresh(self, refresh_token: str, client_id: str | None = None, scope: str | None = None):
        pairs = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)]
        pairs.append(("client_id", self.public_client if client_id is None else client_id))
        if scope:
            pairs.append(("scope", scope))
        return self.form_post("token_url", pairs)

    def userinfo(self, access_token: str | None) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        return self.http.get(self.url("userinfo_url"), headers=headers)

    # The verification page as plain HTML forms.

    def page_sign_in(
        self,
        user_code: str,
        role: str = "primary",
        password: str | None = None,
        complete: bool = False,
        late: bool = False,
    ) -> httpx.Response:
        acct = self.account(role)
        pairs = [
            ("username", acct["username"]),
            ("password", acct["password"] if password is None else password),
            ("user_code", user_code),
        ]
        if complete:
            pairs.append(("from_complete", "1"))
        pairs.append(("action", "continue"))
        url = self.url("verification_url")
        resp = self._timed(
            lambda: self.http.post(
                url,
                content=encode_form(pairs),
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
            )
        )
        consent = Page(resp.text).inputs.get("consent")
        self.in_time(user_code, resp, "signing in with the user code on the page", late, bool(consent))
        deadline = self.deadlines.of(user_code)
        if deadline is not None:  # the consent step decides on the same code
            self.deadlines.add(consent, deadline)
        return resp

    def page_decide(self, consent_page: httpx.Response, action: str) -> httpx.Response:
        consent = Page(consent_page.text).inputs.get("consent")
        if not consent:
            raise Blocked(
                f"the page showed no consent step (HTTP {consent_page.status_code})", by="DSO-PAGE-001"
            )
        url = self.url("verification_url")
        resp = self._timed(
            lambda: self.http.post(
                url,
                content=encode_form([("consent", consent), ("action", action)]),
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
            )
        )
        decided = Page(resp.text).result in ("approved", "denied")
        self.in_time(consent, resp, f"the page's {action} step", False, decided)
        return resp

    @property
    def page_by_hook(self) -> bool:
        """Whether the page tests drive the vendor's page through the approval hook (not the forms)."""
        has_hook = bool(self.section.get("approval_hook_url") or self.section.get("approval_hook_command"))
        return self.section.get("page_driver", "hook" if has_hook else "forms") == "hook" and has_hook

    def hook(
        self,
        user_code: str,
        role: str = "primary",
        action: str = "approve",
        password: str | None = None,
        late: bool = False,
    ) -> bool:
        """Run the profile's approval hook: True when done, False when the vendor refused."""
        sent = now()
        done = self._hook(user_code, role, action, password)
        deadline = self.deadlines.of(user_code)
        if deadline is not None and not late and not done:  # a refusal is judged only while valid
            doing = f"the approval hook ({action}, started {deadline.at(sent):.1f}s in)"
            deadline.require_valid(doing, now())
        return done

    def _hook(self, user_code: str, role: str, action: str, password: str | None) -> bool:
        acct = self.account(role)
        values = {
            "user_code": user_code,
            "username": acct["username"],
            "action": action,
            "verification_url": self.url("verification_url"),
            "python": sys.executable,
        }
        if self.section.get("approval_hook_url"):
            resp = self.http.post(hooks.url(self.section["approval_hook_url"], values))
            if 200 <= resp.status_code < 300 or 400 <= resp.status_code < 500:
                return resp.status_code < 300
            raise Blocked(f"the approval hook failed (HTTP {resp.status_code})")
        if not self.section.get("approval_hook_command"):
            raise Blocked("the profile names no approval hook")
        env = {"DSO_HOOK_PASSWORD": acct["password"] if password is None else password}
        cmd, what = self.section["approval_hook_command"], "the approval hook command"
        return hooks.command(cmd, values, env, self.redactor, what, ok=(0, 1)) == 0

    def page_approve(self, user_code: str, role: str = "primary", action: str = "approve") -> None:
        """Approve (or deny) a user code: through the profile's hook if it names one, else the page."""
        if self.section.get("approval_hook_url") or self.section.get("approval_hook_command"):
            if not self.hook(user_code, role, action):
                raise Blocked(f"the approval hook reports the vendor refused the {action}", by="DSO-PAGE-001")
            return
        consent = self.page_sign_in(user_code, role)
        done = self.page_decide(consent, action)
        if Page(done.text).result != ("approved" if action == "approve" else "denied"):
            raise Blocked(
                f"the page did not confirm the {action} (HTTP {done.status_code})", by="DSO-PAGE-001"
            )

    def approved(self, role: str = "primary") -> Authorization:
        da = self.authorize()
        self.page_approve(da.user_code, role)
        return da

    def tokens(self, role: str = "primary") -> tuple[Authorization, dict[str, Any]]:
        """A device that got its tokens (any 2xx)."""
        da = self.approved(role)
        da.wait_interval()
        resp = self.token_poll(da.device_code)
        body = body_of(resp)
        if not 200 <= resp.status_code < 300 or not isinstance(body.get("access_token"), str):
            raise Blocked(f"no tokens after approval (HTTP {resp.status_code})", by="DSO-8628-012")
        return da, body


class Registration:
    """One D1 answer and what the suite derives from it (``at``: when the answer came)."""

    def __init__(
        self, body: dict[str, Any], sent: float, at: float, unit: str, declared: float | None = None
    ) -> None:
        self.body, self.sent, self.at, self.unit, self.declared = body, sent, at, unit, declared
        self.code: str = body["deviceRegistrationCode"]
        self.token: str = body["dsraToken"]

    @property
    def deadline(self) -> Deadline:
        """The code's deadline under the profile's reading of expiresAfterMillis; when the unit is in
        doubt (``auto``), the seconds reading if milliseconds would give a human under 10 s to type it."""
        ttl = self.declared if self.declared is not None else self.ttl_s()
        if self.declared is None and self.unit == "auto" and ttl < PLAUSIBLE_CODE_LIFETIME_S:
            ttl = self.ttl_s("s")
        return Deadline(self.sent, self.at, ttl, "the registration code")

    @property
    def period(self) -> float:
        return _positive(self.body.get("pollingPeriodSeconds"), 5.0)

    def ttl_s(self, unit: str | None = None) -> float:
        """Lifetime in seconds under a reading of expiresAfterMillis (ms unless the profile says s)."""
        raw = self.body.get("expiresAfterMillis")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            return 600.0
        return value if (unit or self.unit) == "s" else value / 1000.0

    def wait_period(self, factor: float = 1.05) -> None:
        time.sleep(self.period * factor + 0.02)

    def sleep_until(self, offset_s: float) -> None:
        delay = self.at + offset_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class Authorization:
    """One device authorization answer (``at``: when it came)."""

    def __init__(self, body: dict[str, Any], sent: float, at: float, declared: float | None = None) -> None:
        self.body, self.sent, self.at, self.declared = body, sent, at, declared
        self.device_code: str = body["device_code"]
        self.user_code: str = body["user_code"]

    @property
    def deadline(self) -> Deadline:
        ttl = self.declared if self.declared is not None else self.expires_in
        return Deadline(self.sent, self.at, ttl, "the device code")

    @property
    def interval(self) -> float:
        return _positive(self.body.get("interval", 5), 5.0)

    @property
    def expires_in(self) -> float:
        return _positive(self.body.get("expires_in"), 600.0)

    def wait_interval(self, factor: float = 1.05) -> None:
        time.sleep(self.interval * factor + 0.02)

    def sleep_until(self, offset_s: float) -> None:
        delay = self.at + offset_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def _positive(value: Any, default: float) -> float:
    """A timing the vendor advertised (a number, or a numeric string: its shape is judged elsewhere)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return default
    return v if v > 0 and math.isfinite(v) else default
