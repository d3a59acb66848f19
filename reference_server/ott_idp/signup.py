"""The sign-up endpoint: the token endpoint's form shape; 201 means the new customer can sign in now."""

from __future__ import annotations

import asyncio
import re

from reference_server.endpoint import Call
from reference_server.oauth import NO_STORE, OAuthError
from reference_server.ott_idp.accounts import new_user, user_key
from reference_server.ott_idp.clients import authenticate_client
from reference_server.ott_idp.params import read_params
from reference_server.reply import Reply

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def register(call: Call) -> Reply:
    """A new account from an email address, a password and an optional name."""
    deviations, store = call.deviations, call.store
    form = await read_params(call)
    anonymous = "authorization" not in call.request.headers
    if not deviations.signup_skips_client_auth and not (
        anonymous and deviations.signup_accepts_anonymous_client
    ):
        authenticate_client(call, form)
    _throttle(call)
    username, password = (form.get("username") or "").strip(), form.get("password") or ""
    if not username or not password:
        raise OAuthError("invalid_request", "username and password are required")
    if not EMAIL.match(username) and not deviations.signup_accepts_any_username:
        raise OAuthError("invalid_request", "username must be an email address")
    min_length = call.settings.password_min_length
    if len(password) < min_length:
        raise OAuthError("invalid_request", f"password must have at least {min_length} characters")
    name = (
        form.get("name")
        or " ".join(p for p in (form.get("given_name"), form.get("family_name")) if p)
        or None
    )
    user = new_user(username, password, None if deviations.signup_drops_name else name)
    key = user_key(username, deviations)
    if deviations.signup_overwrites:
        store.put(key, user)
    elif deviations.signup_check_then_write:
        await _check_then_write(call, key, user)
    elif not store.add(key, user):
        raise _exists()
    if deviations.signup_forgets:
        store.pop(key)
    body = {"sub": user["sub"]}
    if deviations.signup_echoes_password:
        body.update(username=username, password=password)
    return Reply(201, body, dict(NO_STORE))


def _throttle(call: Call) -> None:
    """Mass sign-ups from one address answer 429 for a while (OTT-THROTTLE-002): at
    signup_max_per_window sign-ups within signup_window_s the address is locked for signup_lock_s."""
    settings, store = call.settings, call.store
    if not settings.signup_max_per_window:
        return
    who = call.peer or "unknown"
    locked_key, count_key = f"ott:signup-locked:{who}", f"ott:signups:{who}"
    if store.get(locked_key):
        raise OAuthError(
            "invalid_request",
            "too many sign-ups; try again later",
            429,
            {"Retry-After": str(max(1, round(settings.signup_lock_s)))},
        )
    if store.incr(count_key, settings.signup_window_s) >= settings.signup_max_per_window:
        store.put(locked_key, True, settings.signup_lock_s)
        store.pop(count_key)


def _exists() -> OAuthError:
    return OAuthError("invalid_request", "an account with this email already exists", 409)


async def _check_then_write(call: Call, key: str, user: dict) -> None:
    """The race OTT-SIGNUP-014 looks for: two parallel sign-ups both pass the check, both write."""
    if call.store.get(key) is not None:
        raise _exists()
    await asyncio.sleep(0.05)
    call.store.put(key, user)
