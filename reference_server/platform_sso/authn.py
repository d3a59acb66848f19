"""Authentication in a user agent (spec §4.5) and the MVPD pages the reference server stands in for.

``GET /api/v2/authenticate/{sp}/{code}`` (no Authorization) answers 302 to the MVPD login page of
the session's mvpd; posting valid credentials there saves a regular profile (and, when the session
was created with a platform identity, its SSO link) and redirects to the session's ``redirectUrl``.
Errors of these pages are ``text/html``; the pages themselves are in pages.py.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from reference_server.oauth import hash_password, verify_password
from reference_server.platform_sso import context, model, pages, sessions
from reference_server.platform_sso.context import Call
from reference_server.platform_sso.errors import HtmlError
from reference_server.reply import Reply
from reference_server.store import Store


def account_key(username: str) -> str:
    return f"psso:account:{username.strip().lower()}"


def _expired(session: dict[str, Any], call: Call) -> bool:
    return not call.deviations.codes_never_expire and model.now_ms() >= session["notAfter"]


async def authenticate(call: Call) -> Reply:
    s, d = call.settings, call.deviations
    if d.authenticate_requires_token and "text/html" not in call.request.headers.get("accept", ""):
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
    if missing and not d.authenticate_incomplete_session:
        raise HtmlError(
            400, "Incomplete authentication session", f"Missing parameters: {', '.join(missing)}."
        )
    mvpd = session["params"].get("mvpd", "")
    txn = secrets.token_urlsafe(18)
    ttl = s.code_ttl_s if d.codes_never_expire else max(1.0, (session["notAfter"] - model.now_ms()) / 1000)
    call.store.put(f"psso:txn:{txn}", {"code": code.upper(), "mvpd": mvpd}, ttl)
    location = f"/mvpd/{quote(mvpd, safe='')}/login?txn={txn}"
    return Reply(302, b"", {"Location": location, "Cache-Control": "no-store"})


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
        return pages.mvpd_login(mvpd.display_name, txn, action)
    session = store.get(f"psso:ses:{pending['code']}")
    if session is None or _expired(session, call):
        raise HtmlError(400, "Sign-in link expired", "The authentication code expired; start again.")
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    account = store.get(account_key(username)) if username else None
    ok = verify_password(password, account["pw"] if account else None)
    if account is not None and call.deviations.skip_mvpd_password_check:
        ok = True
    if not ok:
        return pages.mvpd_login(mvpd.display_name, txn, action, "Wrong username or password.", 401)
    if store.pop(f"psso:txn:{txn}") is None:
        raise HtmlError(400, "Sign-in link expired", "This sign-in was already completed.")
    key = model.save_profile(call, session, account, mvpd_id)

    def authenticated(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current is not None:
            current["profile"] = key
        return current

    store.update(f"psso:ses:{pending['code']}", authenticated, s.profile_ttl_s + s.expired_profile_grace_s)
    redirect = session["params"].get("redirectUrl", "")
    if redirect:
        return Reply(302, b"", {"Location": redirect, "Cache-Control": "no-store"})
    return pages.signed_in()


async def mvpd_logout(call: Call) -> Reply:
    """The MVPD logout URL a logout answer points to: ends the MVPD session, back to redirect_url."""
    redirect = call.request.query_params.get("redirect_url", "")
    if redirect and sessions.valid_url(redirect):
        return Reply(302, b"", {"Location": redirect, "Cache-Control": "no-store"})
    return pages.signed_out()


async def landing(call: Call) -> Reply:
    """A neutral page for redirect URLs in the sandbox (``/landing/signed-in`` and the like)."""
    page = call.request.path_params.get("page", "")
    return pages.message("Back in the application", f"Landing page {page!r} reached.")


def seed_accounts(store: Store, accounts: list[dict[str, Any]]) -> None:
    """The MVPD's test accounts (every reference MVPD knows every account)."""
    for account in accounts:
        store.put(
            account_key(account["username"]),
            {"username": account["username"], "pw": hash_password(account["password"])},
        )
