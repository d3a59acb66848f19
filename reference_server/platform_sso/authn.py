"""Authentication in a user agent (spec §4.5) and the MVPD pages the reference server stands in for.

``GET /api/v2/authenticate/{sp}/{code}`` (no Authorization) answers 302 to the MVPD login page of
the session's mvpd; posting valid credentials there saves a regular profile (and, when the session
was created with a platform identity, its SSO link) and redirects to the session's ``redirectUrl``.
Errors of these pages are ``text/html``; the pages themselves are in pages.py.

Abuse controls: the login counts wrong passwords per account and client address, and per address
over all accounts (reference_server/abuse.py); at a limit it answers 429 (the spec's throttling
status, HTML) with Retry-After, refusing even the right password until the window passes. The
pages redirect only to URLs the application may use: this server's own origin, the requestor's
domains (Configuration ``domains``) over http(s), or a redirect URI the client registered; any
other ``redirectUrl`` ends on a 400 page, never in a redirect.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote, urlsplit

from reference_server.abuse import Guard
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


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _under(host: str, domains: tuple[str, ...] | list[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in (x.lower().strip(".") for x in domains) if d)


def redirect_allowed(call: Call, url: str, client_id: str | None = None) -> bool:
    """Whether the pages may send a user agent to ``url`` (see the module's docstring)."""
    if not sessions.valid_url(url):
        return False
    if _origin(url) in (_origin(call.state.public_url), _origin(str(call.request.base_url))):
        return True
    parts = urlsplit(url)
    if (
        parts.scheme.lower() in ("http", "https")
        and parts.hostname
        and _under(parts.hostname, call.settings.domains)
    ):
        return True
    client = call.store.get(f"psso:client:{client_id}") if client_id else None
    return bool(client) and url in (client.get("redirect_uris") or [])


def _check_redirect(call: Call, session: dict[str, Any]) -> None:
    redirect = session["params"].get("redirectUrl", "")
    if redirect and not redirect_allowed(call, redirect, session.get("client_id")):
        raise HtmlError(
            400, "Redirect not allowed", "The application's redirect URL is not registered for it."
        )


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
    _check_redirect(call, session)
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
    _check_redirect(call, session)
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    guard = Guard.of(call.state, call.request, "platform_sso:mvpd")
    wait = guard.retry_after(username)
    if wait is not None:
        page = pages.mvpd_login(
            mvpd.display_name, txn, action, "Too many failed sign-ins; try again later.", 429
        )
        page.headers["Retry-After"] = str(wait)
        return page
    account = store.get(account_key(username)) if username else None
    ok = verify_password(password, account["pw"] if account else None)
    if account is not None and call.deviations.skip_mvpd_password_check:
        ok = True
    if not ok:
        guard.failed(username)
        return pages.mvpd_login(mvpd.display_name, txn, action, "Wrong username or password.", 401)
    guard.succeeded(username)
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
    if redirect and redirect_allowed(call, redirect):
        return Reply(302, b"", {"Location": redirect, "Cache-Control": "no-store"})
    if redirect:
        raise HtmlError(400, "Redirect not allowed", "This redirect URL is not registered.")
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
