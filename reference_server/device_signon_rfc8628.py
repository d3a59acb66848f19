"""`device_signon`, variant ``rfc8628``: the OAuth 2.0 device authorization grant (RFC 8628).

Device authorization endpoint (§3.1-3.2), token endpoint polling with the device_code grant
(§3.4-3.5) and refresh (RFC 6749 §6, rotation per RFC 9700 §4.14.2), a plain-HTML verification
page (§3.3: sign in, type the code, approve or deny), a userinfo endpoint (RFC 6750 bearer) and
RFC 8414 metadata. Public clients identify with ``client_id``; confidential clients authenticate
with HTTP Basic (or client_secret in the body).

Verification page selectors (stable, for Playwright): ``form#signin`` with ``input[name=username]``,
``input[name=password]``, ``input[name=user_code]``, ``button[name=action][value=continue]``;
``form#consent`` with ``#user-code``, ``#client-name``, ``#scopes``, ``input[name=consent]``,
``button[name=action][value=approve]`` and ``[value=deny]``; results in ``#result[data-result]``,
errors in ``#error[data-error]``.
"""

from __future__ import annotations

import html
import re
import secrets
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reference_server.device_signon import (
    CONTRACT,
    Settings,
    account,
    approval_failed,
    approval_throttled,
    check_password,
    display_code,
    new_code,
    normalise_code,
    now,
    number,
    primary_account_id,
    retry_after,
)
from reference_server.oauth import NO_STORE, OAuthError, client_credentials, secrets_equal
from reference_server.reply import Reply
from reference_server.state import ServerState, state_of

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPES = {"openid", "profile", "email", "offline_access"}
REALM = "device_signon"
DISPLAYED = re.compile(r"^[A-Z]{4}-[A-Z]{4}$")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


async def _form(request: Request, reject_duplicates: bool) -> FormData:
    """The urlencoded body (the polling hot path: parsed directly, no multipart machinery)."""
    body = await request.body()
    is_form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    if body and not is_form:
        raise OAuthError("invalid_request", "send application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "malformed form body") from None
    if reject_duplicates and len(pairs) > 1:
        repeated = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        if repeated:
            raise OAuthError("invalid_request", f"parameter sent more than once: {', '.join(repeated)}")
    return FormData(pairs)


def _invalid_client(settings: Settings, description: str) -> OAuthError:
    status = settings.invalid_client_status
    headers = {"WWW-Authenticate": f'Basic realm="{REALM}"'} if status == 401 else {}
    return OAuthError("invalid_client", description, status, headers)


def _client(
    request: Request, form: Any, state: ServerState, settings: Settings
) -> tuple[str, dict[str, Any]]:
    """(client_id, client) per RFC 6749 §2.3 / RFC 8628 §3.1: Basic or body secret, else client_id."""
    if request.headers.get("authorization") is not None or "client_secret" in form:
        creds = client_credentials(request, form, REALM)
        client = state.store.get(f"dso:client:{creds.client_id}")
        secret = client.get("secret") if client else None
        if not secrets_equal(creds.secret, secret or secrets.token_hex(16)) or not secret:
            raise _invalid_client(settings, "client authentication failed")
        return creds.client_id, client
    client_id = form.get("client_id")
    if not client_id:
        raise _invalid_client(settings, "client_id is required")
    client = state.store.get(f"dso:client:{client_id}")
    if client is None:
        if settings.rfc8628_reject_unknown_client:
            raise _invalid_client(settings, "unknown client")
        client = {"secret": None, "name": client_id}
    if client.get("secret") and settings.confidential_must_authenticate:
        raise _invalid_client(settings, "this client must authenticate")
    return client_id, client


# --- device authorization (§3.1, §3.2) ------------------------------------------------------------


async def device_authorization(request: Request) -> Response:
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.device_authorization"
    try:
        form = await _form(request, settings.device_reject_duplicate_params)
        client_id, _ = _client(request, form, state, settings)
        scopes = (form.get("scope") or "").split()
        unknown = sorted(set(scopes) - SCOPES)
        if unknown and settings.device_reject_unknown_scope:
            raise OAuthError("invalid_scope", f"unsupported scope: {' '.join(unknown)}")
        t, ttl = now(), settings.code_ttl_s
        keep = ttl + settings.retain_expired_s
        device_code = secrets.token_urlsafe(settings.device_code_bytes)
        for _ in range(settings.code_generation_attempts):
            user_code = new_code(settings.user_code_alphabet, settings.code_length)
            if state.store.add(f"dso:uc:{user_code}", device_code, keep):
                break
        else:
            raise OAuthError("server_error", "could not generate a unique user code", 503)
        state.store.put(
            f"dso:dc:{device_code}",
            {
                "client_id": client_id,
                "scope": " ".join(scopes),
                "user_code": user_code,
                "state": "pending",
                "created": t,
                "expires_at": t + ttl,
                "interval": settings.polling_period_s,
                "last_poll": None,
                "account_id": None,
                "grant": None,
            },
            keep,
        )
        shown = display_code(user_code)
        uri = state.public_url + settings.verification_path
        body = {
            "device_code": device_code,
            "user_code": shown,
            "verification_uri": f"{uri}?user_code={shown}" if settings.user_code_in_verification_uri else uri,
            "verification_uri_complete": f"{uri}?user_code={shown}",
            "expires_in": number(ttl),
            "interval": number(settings.polling_period_s),
        }
        return state.respond(endpoint, Reply(200, body, dict(NO_STORE)))
    except OAuthError as err:
        return state.respond(endpoint, err.reply())


# --- token endpoint (§3.4, §3.5; RFC 6749 §6) ----------------------------------------------------


def _issue(
    state: ServerState, settings: Settings, client_id: str, account_id: str, scope: str, grant: str
) -> dict[str, Any]:
    acct = account(state, account_id) or {}
    t = int(now())
    access = secrets.token_urlsafe(32)
    record = {"account_id": account_id, "client_id": client_id, "scope": scope, "grant": grant}
    state.store.put(f"dso:oat:{access}", record, settings.access_token_ttl_s)
    state.store.put(
        f"dso:grant:{grant}",
        {"client_id": client_id, "account_id": account_id},
        settings.refresh_token_ttl_s + settings.access_token_ttl_s,
    )
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_s,
    }
    if scope:
        body["scope"] = scope
    if settings.issue_refresh_token:
        refresh_token = secrets.token_urlsafe(32)
        state.store.put(f"dso:ort:{refresh_token}", record, settings.refresh_token_ttl_s)
        body["refresh_token"] = refresh_token
    scopes = scope.split()
    if "openid" in scopes:
        claims: dict[str, Any] = {
            "iss": state.public_url,
            "sub": acct.get("user_id"),
            "aud": client_id,
            "iat": t,
            "exp": t + settings.access_token_ttl_s,
        }
        if "email" in scopes:
            claims.update(email=acct.get("username"), email_verified=True)
        if "profile" in scopes and acct.get("name"):
            claims["name"] = acct["name"]
        body["id_token"] = state.key.sign(claims, {"typ": "JWT"})
    return body


def _device_grant(state: ServerState, settings: Settings, client_id: str, form: Any) -> dict[str, Any]:
    device_code = form.get("device_code")
    if not device_code:
        raise OAuthError(settings.missing_device_code_error, "device_code is required")
    t = now()
    grant = secrets.token_hex(12)
    seen: dict[str, Any] = {}

    def step(rec: dict[str, Any] | None) -> dict[str, Any] | None:
        seen["rec"] = rec
        if rec is None:
            seen["d"] = "unknown"
            return None
        if rec["client_id"] != client_id and settings.bind_device_code_to_client:
            seen["d"] = "wrong_client"
        elif rec["state"] == "consumed":
            seen["d"] = "replay" if settings.device_code_single_use else "issue"
        elif t >= rec["expires_at"]:
            seen["d"] = "expired" if settings.report_expired else "unknown"
        elif rec["state"] == "denied":
            seen["d"] = "denied"
        elif rec["state"] == "approved":
            rec.update(state="consumed", grant=grant)
            seen["d"] = "issue"
        else:
            too_fast = rec["last_poll"] is not None and t - rec["last_poll"] < rec["interval"]
            if too_fast and settings.enforce_poll_interval:
                rec["interval"] += settings.slow_down_increment_s * settings.slow_down_widen_factor
                seen["d"] = "slow_down"
            else:
                seen["d"] = "pending"
            rec["last_poll"] = t
        return rec

    state.store.update(f"dso:dc:{device_code}", step)
    decision, rec = seen["d"], seen["rec"]
    if decision == "pending":
        raise OAuthError("authorization_pending", "the user has not yet approved", settings.pending_status)
    if decision == "slow_down":
        raise OAuthError("slow_down", f"poll at most every {round(rec['interval'], 3)} s")
    if decision == "denied":
        raise OAuthError("access_denied", "the user denied the request")
    if decision == "expired":
        raise OAuthError("expired_token", "the device code has expired")
    if decision == "unknown":
        raise OAuthError(settings.unknown_device_code_error, "unknown device_code")
    if decision == "wrong_client":
        raise OAuthError("invalid_grant", "the device_code was issued to another client")
    if decision == "replay":
        if settings.revoke_on_replay and rec.get("grant"):
            state.store.pop(f"dso:grant:{rec['grant']}")
        raise OAuthError("invalid_grant", "the device_code was already used")
    return _issue(state, settings, rec["client_id"], rec["account_id"], rec["scope"], rec["grant"] or grant)


def _refresh_grant(state: ServerState, settings: Settings, client_id: str, form: Any) -> dict[str, Any]:
    presented = form.get("refresh_token")
    if not presented:
        raise OAuthError("invalid_request", "refresh_token is required")
    key = f"dso:ort:{presented}"
    rec = state.store.get(key)
    if rec is None:
        used = state.store.get(f"dso:ortused:{presented}")
        if used:  # a rotated-out token came back: revoke the whole grant (RFC 9700 §4.14.2)
            state.store.pop(f"dso:grant:{used['grant']}")
        raise OAuthError("invalid_grant", "invalid, expired or already used refresh token")
    if settings.refresh_bound_to_client and rec["client_id"] != client_id:
        raise OAuthError("invalid_grant", "the refresh token was issued to another client")
    original = rec["scope"].split()
    requested = (form.get("scope") or "").split() or original
    if settings.refresh_check_scope and not set(requested) <= set(original):
        raise OAuthError("invalid_scope", "the requested scope exceeds the original grant")
    if state.store.get(f"dso:grant:{rec['grant']}") is None:
        raise OAuthError("invalid_grant", "the grant was revoked")
    if settings.refresh_single_use:
        if state.store.pop(key) is None:
            raise OAuthError("invalid_grant", "the refresh token was already used")
        state.store.put(f"dso:ortused:{presented}", {"grant": rec["grant"]}, settings.refresh_token_ttl_s)
    body = _issue(state, settings, rec["client_id"], rec["account_id"], " ".join(requested), rec["grant"])
    if not settings.refresh_issues_working_token:
        state.store.pop(f"dso:oat:{body['access_token']}")
    return body


async def token(request: Request) -> Response:
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.token"
    try:
        if request.method != "POST" and settings.token_reject_get:
            raise OAuthError(
                "invalid_request", "the token endpoint accepts POST only", 405, {"Allow": "POST"}
            )
        form = (
            await _form(request, settings.token_reject_duplicate_params)
            if request.method == "POST"
            else request.query_params
        )
        client_id, _ = _client(request, form, state, settings)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required")
        if grant_type == DEVICE_GRANT:
            body = _device_grant(state, settings, client_id, form)
        elif grant_type == "refresh_token" and settings.issue_refresh_token:
            body = _refresh_grant(state, settings, client_id, form)
        else:
            raise OAuthError(settings.unknown_grant_error, f"unsupported grant_type {grant_type[:40]}")
        return state.respond(endpoint, Reply(200, body, dict(NO_STORE)))
    except OAuthError as err:
        return state.respond(endpoint, err.reply())


# --- userinfo (RFC 6750) and metadata (RFC 8414) --------------------------------------------------


async def userinfo(request: Request) -> Response:
    state = state_of(request)
    endpoint = "device_signon.userinfo"
    header = request.headers.get("authorization")
    if header is None:  # no credentials: a challenge without an error code (RFC 6750 §3.1)
        challenge = {"WWW-Authenticate": f'Bearer realm="{REALM}"', "Cache-Control": "no-store"}
        return state.respond(endpoint, Reply(401, None, challenge))
    scheme, _, value = header.partition(" ")
    rec = (
        state.store.get(f"dso:oat:{value.strip()}") if scheme.lower() == "bearer" and value.strip() else None
    )
    if rec is not None and state.store.get(f"dso:grant:{rec['grant']}") is None:
        rec = None
    acct = account(state, rec["account_id"]) if rec else None
    if acct is None:
        challenge = (
            f'Bearer realm="{REALM}", error="invalid_token", error_description="invalid or expired token"'
        )
        body = {"error": "invalid_token", "error_description": "invalid or expired token"}
        return state.respond(
            endpoint, Reply(401, body, {"WWW-Authenticate": challenge, "Cache-Control": "no-store"})
        )
    claims: dict[str, Any] = {"sub": acct["user_id"]}
    scopes = rec["scope"].split()
    if "email" in scopes or "openid" not in scopes:
        claims.update(email=acct["username"], email_verified=True)
    if acct.get("name") and ("profile" in scopes or "openid" not in scopes):
        claims["name"] = acct["name"]
    claims["preferred_username"] = acct["username"]
    return state.respond(endpoint, Reply(200, claims, {"Cache-Control": "no-store"}))


async def metadata(request: Request) -> Response:
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    base = state.public_url
    grants = [DEVICE_GRANT] + (["refresh_token"] if settings.issue_refresh_token else [])
    doc = {
        "issuer": base,
        "device_authorization_endpoint": base + settings.device_authorization_path,
        "token_endpoint": base + settings.token_path,
        "userinfo_endpoint": base + settings.userinfo_path,
        "jwks_uri": base + settings.jwks_path,
        "grant_types_supported": grants,
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted(SCOPES),
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    return state.respond("device_signon.metadata", Reply(200, doc))


# --- verification page (§3.3) -------------------------------------------------------------------

_STYLE = (
    "body{font-family:sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
    "label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;font-size:1rem}"
    "button{margin:1rem .5rem 0 0;padding:.5rem 1.2rem;font-size:1rem}"
    "#error{color:#a00}#user-code{font-family:monospace;font-size:1.6rem;letter-spacing:.1rem}"
)


def _page(title: str, content: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>'
        f"<body><main><h1>{html.escape(title)}</h1>{content}</main></body></html>"
    )


def _signin_page(
    settings: Settings, user_code: str, from_complete: bool, error: str = "", text: str = ""
) -> str:
    esc = html.escape
    error_html = f'<p id="error" role="alert" data-error="{esc(error)}">{esc(text)}</p>' if error else ""
    if settings.page_show_code_field or user_code:
        code_field = (
            '<label for="user_code">Code shown on your TV</label>'
            f'<input id="user_code" name="user_code" value="{esc(user_code)}" autocomplete="off" '
            'autocapitalize="characters" spellcheck="false" required>'
        )
    else:
        code_field = ""
    hidden = '<input type="hidden" name="from_complete" value="1">' if from_complete else ""
    form = (
        f'<form id="signin" method="post" action="{esc(settings.verification_path)}">{error_html}'
        "<p>Sign in and enter the code your device shows to connect it to your account.</p>"
        '<label for="username">Email</label>'
        '<input id="username" name="username" type="email" autocomplete="username" required>'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required>'
        f"{code_field}{hidden}"
        '<button id="continue" type="submit" name="action" value="continue">Continue</button></form>'
    )
    return _page("Connect a device", form)


def _consent_page(settings: Settings, consent: str, user_code: str, client: str, scope: str, who: str) -> str:
    esc = html.escape
    shown = (
        f'<p>Check that your device shows this code:</p><p id="user-code">{esc(user_code)}</p>'
        if settings.page_show_user_code
        else ""
    )
    form = (
        f'<form id="consent" method="post" action="{esc(settings.verification_path)}">{shown}'
        f'<p>Signed in as <span id="account">{esc(who)}</span>.</p>'
        f'<p><span id="client-name">{esc(client)}</span> asks to access your account '
        f'(<span id="scopes">{esc(scope or "basic access")}</span>).</p>'
        f'<input type="hidden" name="consent" value="{esc(consent)}">'
        '<button id="approve" type="submit" name="action" value="approve">Approve</button>'
        '<button id="deny" type="submit" name="action" value="deny">Deny</button></form>'
    )
    return _page("Connect a device", form)


def _result_page(result: str) -> str:
    text = {
        "approved": "Your device is connected. You can return to it now.",
        "denied": "The request was denied. Nothing was connected.",
    }[result]
    return _page("Connect a device", f'<p id="result" data-result="{result}">{html.escape(text)}</p>')


_ERRORS = {
    "invalid_credentials": (400, "Wrong email or password."),
    "account_suspended": (403, "This account is suspended."),
    "rate_limited": (429, "Too many attempts. Wait a moment and try again."),
    "invalid_code": (400, "That code is not valid. Check the code on your device."),
    "expired_code": (400, "That code has expired. Start again on your device."),
    "used_code": (400, "That code was already used."),
    "invalid_session": (400, "This page has expired. Start again."),
}


def _lookup_key(raw: str, settings: Settings) -> str:
    if settings.page_normalise_codes:
        return normalise_code(raw)
    raw = raw.strip()  # without normalisation only the exact displayed form XXXX-XXXX matches
    return raw.replace("-", "") if DISPLAYED.match(raw) else raw


async def verification(request: Request) -> Response:
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    endpoint = "device_signon.verification"

    def page(body: str, status: int = 200, extra: dict[str, str] | None = None) -> Response:
        return state.respond(endpoint, Reply(status, body, {**PAGE_HEADERS, **(extra or {})}))

    if request.method == "GET":
        user_code = request.query_params.get("user_code", "")[:32]
        return page(_signin_page(settings, user_code, bool(user_code)))
    form = await request.form()
    action = form.get("action") or "continue"
    if action in ("approve", "deny"):
        return _decide(state, settings, form, action, page)
    raw_code = str(form.get("user_code") or "")[:32]
    from_complete = form.get("from_complete") == "1"

    def error(kind: str, extra: dict[str, str] | None = None) -> Response:
        status, text = _ERRORS[kind]
        return page(_signin_page(settings, raw_code, from_complete, kind, text), status, extra)

    acct, throttled = check_password(
        state,
        settings,
        str(form.get("username") or ""),
        str(form.get("password") or ""),
        settings.page_check_password,
    )
    if throttled:
        return error("rate_limited", {"Retry-After": retry_after(settings.password_window_s)})
    if acct is None:
        return error("invalid_credentials")
    if acct["status"] == "suspended":
        return error("account_suspended")
    who = f"page:{acct['account_id']}"
    if settings.page_rate_limit and approval_throttled(state, settings, who):
        return error("rate_limited", {"Retry-After": retry_after(settings.approval_window_s)})
    device_code = state.store.get(f"dso:uc:{_lookup_key(raw_code, settings)}") if raw_code else None
    rec = state.store.get(f"dso:dc:{device_code}") if device_code else None
    if rec is None:
        approval_failed(state, settings, who)
        return error("invalid_code")
    if now() >= rec["expires_at"] and settings.page_check_expiry:
        return error("expired_code")
    if rec["state"] != "pending" and settings.page_single_use:
        return error("used_code")
    if settings.page_auto_approve_complete and from_complete:
        _record(state, settings, device_code, acct["account_id"], "approve")
        return page(_result_page("approved"))
    consent = secrets.token_urlsafe(24)
    state.store.put(
        f"dso:consent:{consent}",
        {"device_code": device_code, "account_id": acct["account_id"]},
        settings.consent_ttl_s,
    )
    client = state.store.get(f"dso:client:{rec['client_id']}") or {}
    return page(
        _consent_page(
            settings,
            consent,
            display_code(rec["user_code"]),
            client.get("name") or rec["client_id"],
            rec["scope"],
            acct["username"],
        )
    )


def _record(state: ServerState, settings: Settings, device_code: str, account_id: str, action: str) -> str:
    """Approve or deny one pending device code atomically; returns the outcome."""
    bind_to = account_id if settings.page_bind_to_signed_in else primary_account_id(state)
    t = now()
    seen = {"d": "gone"}

    def step(rec: dict[str, Any] | None) -> dict[str, Any] | None:
        if rec is None:
            return None
        if t >= rec["expires_at"] and settings.page_check_expiry:
            seen["d"] = "expired_code"
        elif rec["state"] != "pending":
            seen["d"] = "used_code" if settings.page_single_use else "ok"
        else:
            seen["d"] = "ok"
            if action == "approve":
                rec.update(state="approved", account_id=bind_to)
            elif settings.deny_recorded:
                rec.update(state="denied", account_id=bind_to)
        return rec

    state.store.update(f"dso:dc:{device_code}", step)
    return seen["d"]


def _decide(state: ServerState, settings: Settings, form: Any, action: str, page) -> Response:
    data = state.store.pop(f"dso:consent:{form.get('consent') or ''}")
    outcome = (
        _record(state, settings, data["device_code"], data["account_id"], action)
        if data
        else "invalid_session"
    )
    if outcome == "gone":
        outcome = "invalid_code"
    if outcome != "ok":
        status, text = _ERRORS[outcome]
        body = _page(
            "Connect a device", f'<p id="error" role="alert" data-error="{outcome}">{html.escape(text)}</p>'
        )
        return page(body, status)
    return page(_result_page("approved" if action == "approve" else "denied"))


def routes(settings: Settings) -> list[Route]:
    return [
        Route(settings.device_authorization_path, device_authorization, methods=["POST"]),
        Route(settings.token_path, token, methods=["POST", "GET"]),
        Route(settings.userinfo_path, userinfo, methods=["GET", "POST"]),
        Route(settings.metadata_path, metadata, methods=["GET"]),
        Route(settings.verification_path, verification, methods=["GET", "POST"]),
    ]
