"""Pre-flight of `platform_sso`: would this profile let the suite test the vendor?

The "first" application registers (the vendor trusts the suite's software statements) and gets
an access token, the configuration of service_provider answers, and each distinct MVPD account
signs in once at the MVPD (form and hook logins; a browser login is left to the run, which
starts chromium anyway). No wrong password is sent and loopback callers are not throttled by
the reference server; a vendor's throttle sees at most a handful of requests.
"""

from __future__ import annotations

import httpx

from conformance.bodies import body_of
from conformance.checks import Blocked
from conformance.http import HarnessError
from conformance.probe import (
    Findings,
    Probe,
    describe,
    distinct_accounts,
    json_document,
    same_accounts,
    wrong_place,
)
from conformance.profile import Profile
from conformance.suite.platform_sso.client import CONTRACT, App, Psso


def static(profile: Profile) -> list[str]:
    return same_accounts(
        CONTRACT,
        profile.section(CONTRACT).get("accounts", []),
        lambda roles: "the single sign-on tests must tell the two subscribers apart",
    )


def check(profile: Profile, probe: Probe, out: Findings) -> None:
    psso = Psso(profile, probe.http, probe.redactor)
    app = registered_app(psso, probe, out)
    if app is None or configuration(psso, app, probe, out) is None:
        return
    if psso.features.get("media_token") == "jwks" and psso.section.get("media_token_jwks_url"):
        url = profile.url(CONTRACT, "media_token_jwks_url")
        json_document(probe, out, url, f"{CONTRACT}.media_token_jwks_url", "keys")
    _sign_ins(psso, probe, out)


def configuration(psso: Psso, app: App, probe: Probe, out: Findings) -> httpx.Response | None:
    """GET /configuration answered with JSON, else None (problem recorded). Shared with partner_sso:
    findings are keyed by ``psso.contract``."""
    key = f"{psso.contract}.service_provider"
    resp = probe.send(out, key, lambda: app.get("/configuration"))
    if resp is None:
        return None
    if where := wrong_place(resp):
        out.problem(f"{psso.contract}.api_base_url", f"GET .../configuration {where}")
        return None
    if resp.status_code != 200 or not body_of(resp):
        out.problem(key, f"GET .../configuration answers {describe(resp)}; expected 200 with JSON")
        return None
    out.ok(key, "the configuration answers")
    return resp


def registered_app(psso: Psso, probe: Probe, out: Findings) -> App | None:
    """The "first" application registered and holding an access token, else None (problem recorded).

    Shared with partner_sso, whose DCR is the same: findings are keyed by ``psso.contract``."""
    contract = psso.contract
    key = f"{contract}.software_statement"
    try:
        statement = psso.software_statement("first")
    except Blocked as exc:
        out.problem(key, str(exc))
        return None
    except (OSError, ValueError, TypeError) as exc:  # an unreadable or malformed signing key
        out.problem(key, f"cannot sign a software statement ({type(exc).__name__})")
        return None
    resp = probe.send(out, f"{contract}.dcr_base_url", lambda: psso.register(statement))
    if resp is None:
        return None
    body = body_of(resp)
    if where := wrong_place(resp):
        out.problem(f"{contract}.dcr_base_url", f"POST .../client/register {where}")
        return None
    if resp.status_code not in (200, 201) or not body.get("client_id") or not body.get("client_secret"):
        out.problem(
            key,
            f"the first application's registration is refused ({describe(resp)}): is the statement trusted?",
        )
        return None
    out.ok(key, "the first application registers")
    cid, secret = str(body["client_id"]), str(body["client_secret"])
    probe.redactor.remember(secret)
    form = [("client_id", cid), ("client_secret", secret), ("grant_type", "client_credentials")]
    resp = probe.send(out, f"{contract}.dcr_base_url", lambda: psso.token_request(form))
    if resp is None:
        return None
    token = body_of(resp).get("access_token")
    if resp.status_code not in (200, 201) or not isinstance(token, str):
        out.problem(
            f"{contract}.dcr_base_url", f"POST .../client/token gives no access token ({describe(resp)})"
        )
        return None
    probe.redactor.remember(token)
    return App(psso, "first", cid, secret, token)


def _sign_ins(psso: Psso, probe: Probe, out: Findings) -> None:
    if psso.login_mode == "browser":
        out.note(f"{CONTRACT}.accounts", "MVPD login in the browser: the run is the accounts' first sign-in")
        return
    for acct in distinct_accounts(psso.section.get("accounts", [])):
        key = f"{CONTRACT}.accounts[{acct['role']}]"
        try:
            # A fresh device per sign-in, as the suite's flows use.
            app = registered_app(psso, probe, Findings())
            if app is None:
                out.problem(key, "not checked: no second registration")
                continue
            psso.authenticate(app, acct.get("mvpd"), account=acct["role"])
        except (Blocked, HarnessError) as exc:
            out.problem(key, f"MVPD sign-in did not complete: {exc}")
            continue
        out.ok(key, "signs in at the MVPD")
