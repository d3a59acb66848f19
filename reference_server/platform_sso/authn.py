"""Authentication in a user agent (spec §4.5) and the MVPD pages the reference server stands in for.

``GET /api/v2/authenticate/{sp}/{code}`` (no Authorization) answers 302 to the MVPD login page of
the session's mvpd; posting valid credentials there saves a regular profile (and, when the session
was created with a platform identity, its SSO link) and redirects to the session's ``redirectUrl``.
Errors of these pages are ``text/html``.

Stable selectors for a browser: ``form#mvpd-login``, ``input[name=username]``,
``input[name=password]``, ``button[type=submit]`` (also ``#username``, ``#password``,
``#sign-in``); a refused sign-in shows ``[role=alert]`` (``#login-error``).
"""

from __future__ import annotations

import html
import secrets
from typing import Any
from urllib.parse import quote

from reference_server.oauth import hash_password, verify_password
from reference_server.platform_sso import context, model, sessions
from reference_server.platform_sso.context import Call, html_page
from reference_server.platform_sso.errors import HtmlError
from reference_server.reply import Reply
from reference_server.store import Store

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",
}
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}"
    "label,input,button{display:block;width:100%;margin:.4rem 0}input,button{padding:.5rem}"
    "[role=alert]{color:#a00}"
)


def account_key(username: str) -> str:
    return f"psso:account:{username.strip().lower()}"


def _expired(session: dict[str, Any], call: Call) -> bool:
    return call.settings.expire_codes and model.now_ms() >= session["notAfter"]


async def authenticate(call: Call) -> Reply:
    s = call.settings
    if not s.authenticate_without_token and "text/html" not in call.request.headers.get("accept", ""):
        context.authorize(call)  # fault: a gateway treats non-browser calls as API calls needing a token
    sp, code = call.request.path_params["sp"], call.request.path_params["code"]
    call.sp = sp
    if sp not in s.service_providers or not sessions.CODE_FORMAT.match(code):
        raise HtmlError(400, "Invalid authentication request", "Unknown service provider or malformed code.")
    session = call.store.get(f"psso:ses:{code.upper()}")
    if session is None or session["sp"] != sp or _expired(session, call):
        raise HtmlError(
            400, "Invalid authentication request", "This authentication code is unknown or expired."
        )
    missing = [p for p in sessions.PARAMS if p not in session["params"]]
    if missing and s.authenticate_requires_complete_session:
        raise HtmlError(
            400, "Incomplete authentication session", f"Missing parameters: {', '.join(missing)}."
        )
    mvpd = session["params"].get("mvpd", "")
    txn = secrets.token_urlsafe(18)
    ttl = max(1.0, (session["notAfter"] - model.now_ms()) / 1000) if s.expire_codes else s.code_ttl_s
    call.store.put(f"psso:txn:{txn}", {"code": code.upper(), "mvpd": mvpd}, ttl)
    location = f"/mvpd/{quote(mvpd, safe='')}/login?txn={txn}"
    return Reply(302, b"", {"Location": location, "Cache-Control": "no-store"})


def _login_page(mvpd_name: str, txn: str, action: str, error: str = "", status: int = 200) -> Reply:
    alert = f'<p id="login-error" class="error" role="alert">{html.escape(error)}</p>' if error else ""
    name = html.escape(mvpd_name)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{name} - sign in</title><style>{STYLE}</style></head>
<body><main>
<h1>{name}</h1>
<p>Sign in with your TV provider account. (Reference MVPD of the conformance kit's sandbox.)</p>
{alert}
<form id="mvpd-login" method="post" action="{html.escape(action)}">
<input type="hidden" name="txn" value="{html.escape(txn)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="sign-in" type="submit">Sign in</button>
</form>
</main></body></html>
"""
    return Reply(status, page, dict(PAGE_HEADERS))


async def mvpd_login(call: Call) -> Reply:
    s, store = call.settings, call.store
    mvpd_id = call.request.path_params["mvpd"]
    mvpd = s.mvpd(mvpd_id)
    action = f"/mvpd/{quote(mvpd_id, safe='')}/login"
    form = await call.request.form() if call.request.method == "POST" else call.request.query_params
    txn = str(form.get("txn") or "")
    pending = store.get(f"psso:txn:{txn}") if txn else None
    if pending is None or pending["mvpd"] != mvpd_id or mvpd is None:
        raise HtmlError(400, "Sign-in link expired", "Start again from the application.")
    if call.request.method == "GET":
        return _login_page(mvpd.display_name, txn, action)
    session = store.get(f"psso:ses:{pending['code']}")
    if session is None or _expired(session, call):
        raise HtmlError(400, "Sign-in link expired", "The authentication code expired; start again.")
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    account = store.get(account_key(username)) if username else None
    ok = verify_password(password, account["pw"] if account else None)
    if account is not None and not s.check_mvpd_password:
        ok = True
    if not ok:
        return _login_page(mvpd.display_name, txn, action, "Wrong username or password.", 401)
    if store.pop(f"psso:txn:{txn}") is None:
        raise HtmlError(400, "Sign-in link expired", "This sign-in was already completed.")
    key = model.save_profile(store, s, session, account, mvpd_id)

    def authenticated(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current is not None:
            current["profile"] = key
        return current

    store.update(f"psso:ses:{pending['code']}", authenticated, s.profile_ttl_s + s.expired_profile_grace_s)
    redirect = session["params"].get("redirectUrl", "")
    if s.redirect_after_login and redirect:
        return Reply(302, b"", {"Location": redirect, "Cache-Control": "no-store"})
    return html_page("Signed in", "You are signed in. Return to the application.")


async def mvpd_logout(call: Call) -> Reply:
    """The MVPD logout URL a logout answer points to: ends the MVPD session, back to redirect_url."""
    redirect = call.request.query_params.get("redirect_url", "")
    if call.settings.mvpd_logout_redirects and redirect and sessions.valid_url(redirect):
        return Reply(302, b"", {"Location": redirect, "Cache-Control": "no-store"})
    return html_page("Signed out", "You are signed out of your TV provider.")


async def landing(call: Call) -> Reply:
    """A neutral page for redirect URLs in the sandbox (``/landing/signed-in`` and the like)."""
    page = call.request.path_params.get("page", "")
    return html_page("Back in the application", f"Landing page {page!r} reached.")


def seed_accounts(store: Store, accounts: list[dict[str, Any]]) -> None:
    """The MVPD's test accounts (every reference MVPD knows every account)."""
    for account in accounts:
        store.put(
            account_key(account["username"]),
            {"username": account["username"], "pw": hash_password(account["password"])},
        )
