"""`ott_idp`: the IdP endpoints an OTT platform calls for on-device (Roku) sign-in.

Token endpoint: OAuth 2.0 resource owner password credentials grant (RFC 6749 §4.3) with HTTP
Basic client authentication, answering with an OpenID Connect id_token (sub, email, name).
Sign-up endpoint: the same form shape; 2xx means the new customer can now sign in.
Plus discovery and JWKS so a client can verify id_tokens.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.routing import Route

from reference_server.keys import jwks
from reference_server.oauth import (
    NO_STORE,
    OAuthError,
    client_credentials,
    hash_password,
    invalid_client,
    read_form,
    secrets_equal,
    verify_password,
)
from reference_server.reply import Reply
from reference_server.state import ServerState, state_of

CONTRACT = "ott_idp"
REALM = "ott_idp"
SCOPES = {"openid", "email", "profile"}
# Parameters the token endpoint understands; anything else is ignored (RFC 6749 §3.2).
TOKEN_PARAMS = {"grant_type", "username", "password", "scope", "refresh_token", "client_id", "client_secret"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Settings:
    """Timings and limits (from [reference_server.ott_idp]) and behaviour switches (faults turn them)."""

    token_path: str = "/oauth/token"
    signup_path: str = "/oauth/signup"
    jwks_path: str = "/oauth/jwks"
    access_token_ttl_s: int = 3600
    id_token_ttl_s: int = 600
    refresh_token_ttl_s: int = 86400
    issue_refresh_token: bool = False
    bruteforce_max_failures: int = 10  # failed sign-ins per username per window; 0 turns it off
    bruteforce_window_s: float = 2.0  # how long a name stays locked once the limit is reached
    password_min_length: int = 8
    # Behaviour switches: always on in a correct server; each fault turns one off.
    reject_duplicate_params: bool = True
    reject_two_auth_methods: bool = True
    reject_get: bool = True
    require_openid_scope: bool = True
    reject_unknown_scope: bool = True
    check_password: bool = True
    case_insensitive_usernames: bool = True
    reject_duplicate_signup: bool = True
    validate_signup_email: bool = True
    signup_requires_client_auth: bool = True
    require_client_auth: bool = True
    handle_malformed_basic: bool = True
    uniform_login_errors: bool = True
    require_username_password: bool = True
    require_grant_type: bool = True
    reject_unsupported_grant: bool = True
    ignore_unknown_params: bool = True
    stable_sub: bool = True
    unique_sub: bool = True
    support_refresh_grant: bool = True
    signup_persists: bool = True
    signup_keeps_name: bool = True
    atomic_signup: bool = True
    reject_signup_get: bool = True
    hide_password_in_signup_reply: bool = True

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> Settings:
        section = profile.get(CONTRACT, {})
        server = profile.get("reference_server", {}).get(CONTRACT, {})
        paths = {
            "token_path": urlsplit(section.get("token_url", cls.token_path)).path,
            "signup_path": urlsplit(section.get("signup_url", cls.signup_path)).path,
        }
        features = section.get("features", {})
        known = set(cls.__dataclass_fields__)
        tuned = {k: v for k, v in server.items() if k in known}
        return cls(**paths, issue_refresh_token=bool(features.get("refresh_token", False)), **tuned)


def _normal(username: str, settings: Settings) -> str:
    return username.strip().lower() if settings.case_insensitive_usernames else username.strip()


def _user_key(username: str, settings: Settings) -> str:
    return f"ott:user:{_normal(username, settings)}"


def seed(state: ServerState) -> None:
    """Create the profile's clients and test accounts."""
    section = state.section(CONTRACT)
    settings = state.settings(CONTRACT)
    if "client_id" in section:
        state.store.put(
            f"ott:client:{section['client_id']}", {"secret": section["client_secret"], "ropc": True}
        )
    for account in section.get("accounts", []):
        state.store.put(
            _user_key(account["username"], settings),
            _new_user(account["username"], account["password"], account.get("name")),
        )


def _new_user(email: str, password: str, name: str | None) -> dict[str, Any]:
    return {
        "sub": "u-" + secrets.token_hex(12),
        "email": email.strip(),
        "name": name,
        "pw": hash_password(password),
    }


async def _authenticate_client(request: Request, form, state: ServerState, settings: Settings) -> str:
    try:
        creds = client_credentials(request, form, REALM, settings.reject_two_auth_methods)
    except OAuthError as err:
        if not settings.handle_malformed_basic and err.description == "malformed Basic credentials":
            raise OAuthError("server_error", "internal error", 500) from None
        if (
            not settings.require_client_auth
            and err.error == "invalid_client"
            and "authorization" not in (request.headers)
        ):
            return state.section(CONTRACT)["client_id"]  # the fault: anonymous callers accepted
        raise
    client = state.store.get(f"ott:client:{creds.client_id}")
    # Compare even for unknown clients, so the answer time does not reveal which ids exist.
    if (
        not secrets_equal(creds.secret, client["secret"] if client else secrets.token_hex(16))
        or client is None
    ):
        raise invalid_client("client authentication failed", REALM)
    return creds.client_id


async def token(request: Request):
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    try:
        if request.method != "POST" and settings.reject_get:
            raise OAuthError("invalid_request", "the token endpoint accepts POST only")
        form = (
            await read_form(request, settings.reject_duplicate_params)
            if request.method == "POST"
            else request.query_params
        )
        client_id = await _authenticate_client(request, form, state, settings)
        unknown_params = sorted(set(form) - TOKEN_PARAMS)
        if unknown_params and not settings.ignore_unknown_params:
            raise OAuthError("invalid_request", f"unknown parameter: {unknown_params[0]}")
        grant_type = form.get("grant_type")
        if not grant_type:
            if settings.require_grant_type:
                raise OAuthError("invalid_request", "grant_type is required")
            grant_type = "password"
        if grant_type == "refresh_token" and settings.issue_refresh_token:
            return _refresh(state, settings, client_id, form.get("refresh_token") or "")
        if grant_type != "password" and settings.reject_unsupported_grant:
            raise OAuthError("unsupported_grant_type", "only the password grant is supported")
        username, password = form.get("username") or "", form.get("password") or ""
        if (not username or not password) and settings.require_username_password:
            raise OAuthError("invalid_request", "username and password are required")
        scopes = (form.get("scope") or "").split()
        if settings.require_openid_scope and "openid" not in scopes:
            raise OAuthError("invalid_scope", "the openid scope is required")
        unknown = sorted(set(scopes) - SCOPES)
        if unknown and settings.reject_unknown_scope:
            raise OAuthError("invalid_scope", f"unsupported scope: {' '.join(unknown)}")
        user = _check_credentials(state, settings, username, password)
        return state.respond(
            "ott_idp.token", Reply(200, _issue(state, settings, client_id, user, scopes), dict(NO_STORE))
        )
    except OAuthError as err:
        return state.respond("ott_idp.token", err.reply())


def _check_credentials(
    state: ServerState, settings: Settings, username: str, password: str
) -> dict[str, Any]:
    who = _normal(username, settings)
    failures_key, lock_key = f"ott:failures:{who}", f"ott:locked:{who}"
    if settings.bruteforce_max_failures and state.store.get(lock_key):
        raise OAuthError(
            "invalid_grant",
            "too many failed attempts; try again later",
            429,
            {"Retry-After": str(max(1, round(settings.bruteforce_window_s)))},
        )
    user = state.store.get(_user_key(username, settings))
    ok = verify_password(password, user["pw"] if user else None)
    if user is not None and not settings.check_password:
        ok = True
    if not ok:
        if settings.bruteforce_max_failures:
            # Failures count over a longer window; reaching the limit locks the name for
            # bruteforce_window_s from that moment (so the lock does not depend on how fast they came).
            count = state.store.incr(failures_key, settings.bruteforce_window_s * 30)
            if count >= settings.bruteforce_max_failures:
                state.store.put(lock_key, True, settings.bruteforce_window_s)
        if user is None and not settings.uniform_login_errors:
            raise OAuthError("invalid_grant", "no such user")
        raise OAuthError("invalid_grant", "invalid username or password")
    state.store.pop(failures_key)
    return user


def _refresh(state: ServerState, settings: Settings, client_id: str, refresh_token: str):
    if not settings.support_refresh_grant:
        raise OAuthError("unsupported_grant_type", "refresh_token grant is not enabled")
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required")
    grant = state.store.pop(f"ott:rt:{refresh_token}")  # rotated: each refresh token works once
    if grant is None or grant["client_id"] != client_id:
        raise OAuthError("invalid_grant", "unknown, used or foreign refresh token")
    user = state.store.get(grant["user_key"])
    if user is None:
        raise OAuthError("invalid_grant", "the account no longer exists")
    body = _issue(state, settings, client_id, user, grant["scopes"])
    return state.respond("ott_idp.token", Reply(200, body, dict(NO_STORE)))


def _issue(
    state: ServerState, settings: Settings, client_id: str, user: dict[str, Any], scopes: list[str]
) -> dict:
    now = int(time.time())
    sub = user["sub"]
    if not settings.stable_sub:
        sub = "u-" + secrets.token_hex(12)  # the fault: a fresh subject on every sign-in
    if not settings.unique_sub:
        sub = "u-000000000000000000000000"  # the fault: every account shares one subject
    claims: dict[str, Any] = {
        "iss": state.public_url,
        "sub": sub,
        "aud": client_id,
        "iat": now,
        "exp": now + settings.id_token_ttl_s,
    }
    if "email" in scopes:
        claims.update(email=user["email"], email_verified=True)
    if "profile" in scopes and user.get("name"):
        claims["name"] = user["name"]
    access_token = secrets.token_urlsafe(32)
    state.store.put(
        f"ott:at:{access_token}", {"sub": user["sub"], "client_id": client_id}, settings.access_token_ttl_s
    )
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_s,
        "id_token": state.key.sign(claims, {"typ": "JWT"}),
    }
    if settings.issue_refresh_token:
        refresh = secrets.token_urlsafe(32)
        state.store.put(
            f"ott:rt:{refresh}",
            {"user_key": _user_key(user["email"], settings), "client_id": client_id, "scopes": scopes},
            settings.refresh_token_ttl_s,
        )
        body["refresh_token"] = refresh
    return body


async def signup(request: Request):
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    try:
        if request.method != "POST" and settings.reject_signup_get:
            raise OAuthError("invalid_request", "the sign-up endpoint accepts POST only")
        form = (
            await read_form(request, settings.reject_duplicate_params)
            if request.method == "POST"
            else request.query_params
        )
        if settings.signup_requires_client_auth:
            await _authenticate_client(request, form, state, settings)
        username, password = (form.get("username") or "").strip(), form.get("password") or ""
        if not username or not password:
            raise OAuthError("invalid_request", "username and password are required")
        if settings.validate_signup_email and not EMAIL.match(username):
            raise OAuthError("invalid_request", "username must be an email address")
        if len(password) < settings.password_min_length:
            raise OAuthError(
                "invalid_request", f"password must have at least {settings.password_min_length} characters"
            )
        name = (
            form.get("name")
            or " ".join(p for p in (form.get("given_name"), form.get("family_name")) if p)
            or None
        )
        user = _new_user(username, password, name if settings.signup_keeps_name else None)
        key = _user_key(username, settings)
        if not settings.reject_duplicate_signup:
            state.store.put(key, user)
        elif settings.atomic_signup:
            if not state.store.add(key, user):
                raise OAuthError("invalid_request", "an account with this email already exists", 409)
        else:  # the fault: check-then-write, so two parallel sign-ups both "succeed"
            if state.store.get(key) is not None:
                raise OAuthError("invalid_request", "an account with this email already exists", 409)
            await asyncio.sleep(0.05)
            state.store.put(key, user)
        if not settings.signup_persists:
            state.store.pop(key)  # the fault: answers 201 but keeps nothing
        body = {"sub": user["sub"]}
        if not settings.hide_password_in_signup_reply:
            body.update(username=username, password=password)
        return state.respond("ott_idp.signup", Reply(201, body, dict(NO_STORE)))
    except OAuthError as err:
        return state.respond("ott_idp.signup", err.reply())


async def discovery(request: Request):
    state = state_of(request)
    settings: Settings = state.settings(CONTRACT)
    base = state.public_url
    doc = {
        "issuer": base,
        "token_endpoint": base + settings.token_path,
        "jwks_uri": base + settings.jwks_path,
        "response_types_supported": ["none"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "grant_types_supported": ["password"] + (["refresh_token"] if settings.issue_refresh_token else []),
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": sorted(SCOPES),
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "email", "email_verified", "name"],
        "signup_endpoint": base + settings.signup_path,
    }
    return state.respond("ott_idp.discovery", Reply(200, doc))


async def jwks_endpoint(request: Request):
    state = state_of(request)
    return state.respond("ott_idp.jwks", Reply(200, jwks(state.key)))


def routes(state: ServerState) -> list[Route]:
    settings: Settings = state.base_settings[CONTRACT]
    return [
        Route(settings.token_path, token, methods=["POST", "GET"]),
        Route(settings.signup_path, signup, methods=["POST", "GET"]),
        Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route(settings.jwks_path, jwks_endpoint, methods=["GET"]),
    ]
