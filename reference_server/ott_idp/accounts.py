"""Customer accounts and clients: how they are kept, seeded from the profile and signed in.

Usernames are email addresses, compared case-insensitively; a username that keeps failing is
locked for a while (OTT-SEC-001/002) without telling callers whether the account exists (OTT-SEC-003).
Against password spraying, ``abuse.Guard`` also limits failures per client address over all
usernames (the lock above is the per-account limit); both answer 429 ``invalid_grant`` with
Retry-After, the spec's "too many failures for the username/IP" (device-and-ropc.md §2).
"""

from __future__ import annotations

import secrets
from typing import Any

from reference_server.abuse import Guard
from reference_server.endpoint import Call
from reference_server.oauth import OAuthError, hash_password, verify_password
from reference_server.ott_idp.settings import CONTRACT, Deviations
from reference_server.state import ServerState


def normal(username: str, deviations: Deviations) -> str:
    """The form a username is compared in."""
    name = username.strip()
    return name if deviations.case_sensitive_usernames else name.lower()


def user_key(username: str, deviations: Deviations) -> str:
    return f"ott:user:{normal(username, deviations)}"


def client_key(client_id: str) -> str:
    return f"ott:client:{client_id}"


def new_user(email: str, password: str, name: str | None) -> dict[str, Any]:
    return {
        "sub": "u-" + secrets.token_hex(12),
        "email": email.strip(),
        "name": name,
        "pw": hash_password(password),
    }


def seed(state: ServerState) -> None:
    """Create the profile's client and test accounts."""
    section = state.section(CONTRACT)
    deviations = state.deviations(CONTRACT)
    if "client_id" in section:
        state.store.put(client_key(section["client_id"]), {"secret": section["client_secret"], "ropc": True})
    for client in section.get("clients", []):  # by role; only "restricted" may not use the password grant
        record = {"secret": client["client_secret"], "ropc": client["role"] != "restricted"}
        state.store.put(client_key(client["client_id"]), record)
    for account in section.get("accounts", []):
        state.store.put(
            user_key(account["username"], deviations),
            new_user(account["username"], account["password"], account.get("name")),
        )


def sign_in(call: Call, username: str, password: str) -> dict[str, Any]:
    """The account these credentials open, or invalid_grant; counts failures and locks the name."""
    settings, store = call.settings, call.store
    who = normal(username, call.deviations)
    failures_key, lock_key = f"ott:failures:{who}", f"ott:locked:{who}"
    if settings.bruteforce_max_failures and store.get(lock_key):
        raise _too_many(max(1, round(settings.bruteforce_window_s)))
    guard = Guard.of(call.state, call.request, CONTRACT)
    wait = guard.retry_after()
    if wait is not None:
        raise _too_many(wait)
    user = store.get(user_key(username, call.deviations))
    ok = verify_password(password, user["pw"] if user else None)
    if user is not None and call.deviations.skip_password_check:
        ok = True
    if not ok:
        if settings.bruteforce_max_failures:
            # Failures count over a longer window; reaching the limit locks the name for
            # bruteforce_window_s from that moment (so the lock does not depend on how fast they came).
            count = store.incr(failures_key, settings.bruteforce_window_s * 30)
            if count >= settings.bruteforce_max_failures:
                store.put(lock_key, True, settings.bruteforce_window_s)
        guard.failed()
        if user is None and call.deviations.reveal_unknown_users:
            raise OAuthError("invalid_grant", "no such user")
        raise OAuthError("invalid_grant", "invalid username or password")
    store.pop(failures_key)
    return user


def _too_many(retry_after: int) -> OAuthError:
    return OAuthError(
        "invalid_grant", "too many failed attempts; try again later", 429, {"Retry-After": str(retry_after)}
    )
