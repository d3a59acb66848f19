"""What both `device_signon` variants share: accounts and clients, password and approval throttles,
codes and timings. Handler modules import this; it imports none of them.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any

from reference_server.device_signon.settings import CONTRACT, Settings
from reference_server.oauth import hash_password, verify_password
from reference_server.state import ServerState

# --- accounts, clients, devices ---------------------------------------------------------------


def seed(state: ServerState) -> None:
    """Create the profile's accounts, tenant, operator client and RFC 8628 clients."""
    section = state.section(CONTRACT)
    store = state.store
    for account in section.get("accounts", []):
        account_id = account.get("account_id") or "acc-" + secrets.token_hex(6)
        store.put(
            f"dso:acct:{account_id}",
            {
                "account_id": account_id,
                "user_id": "usr-" + secrets.token_hex(8),
                "username": account["username"],
                "name": account.get("name"),
                "status": "suspended" if account.get("role") == "suspended" else "active",
                "pw": hash_password(account["password"]),
            },
        )
        store.put(f"dso:user:{account['username'].strip().lower()}", account_id)
    if section.get("operator_client_id"):
        store.put(
            f"dso:opclient:{section['operator_client_id']}",
            {"secret": section.get("operator_client_secret", ""), "tenant": section.get("tenant_id", "")},
        )
    clients = [
        (section.get("public_client_id"), None, "TV app"),
        (section.get("other_public_client_id"), None, "Second TV app"),
        (section.get("confidential_client_id"), section.get("confidential_client_secret"), "Set-top box"),
    ]
    for client_id, secret, name in clients:
        if client_id:
            store.put(f"dso:client:{client_id}", {"secret": secret, "name": name})


def primary_account_id(state: ServerState) -> str | None:
    """The first account of the profile (what a broken binding falls back to)."""
    for account in state.section(CONTRACT).get("accounts", []):
        if account.get("account_id"):
            return account["account_id"]
    return None


def account(state: ServerState, account_id: str | None) -> dict[str, Any] | None:
    return state.store.get(f"dso:acct:{account_id}") if account_id else None


def check_password(
    state: ServerState, settings: Settings, username: str, password: str, verify: bool = True
) -> tuple[dict[str, Any] | None, bool]:
    """(account, throttled): the account when the password is right, None otherwise."""
    name = username.strip().lower()
    failures_key = f"dso:pwfail:{name}"
    if settings.password_max_failures and (
        (state.store.get(failures_key) or 0) >= settings.password_max_failures
    ):
        return None, True
    account_id = state.store.get(f"dso:user:{name}") if name else None
    found = account(state, account_id)
    ok = verify_password(password, found["pw"] if found else None)
    if found is not None and not verify:
        ok = True
    if not ok:
        if settings.password_max_failures:
            state.store.incr(failures_key, settings.password_window_s)
        return None, False
    return found, False


def approval_throttled(state: ServerState, settings: Settings, who: str) -> bool:
    if not settings.approval_max_failures:
        return False
    return (state.store.get(f"dso:apprfail:{who}") or 0) >= settings.approval_max_failures


def approval_failed(state: ServerState, settings: Settings, who: str) -> None:
    if settings.approval_max_failures:
        state.store.incr(f"dso:apprfail:{who}", settings.approval_window_s)


# --- codes and timings --------------------------------------------------------------------------


def new_code(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def normalise_code(raw: str, normalise: bool = True) -> str:
    """User input -> stored form: strip dashes/spaces and upper-case (RFC 8628 §6.1)."""
    if not normalise:
        return raw.strip()
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def well_formed(code: str, alphabet: str, length: int) -> bool:
    return len(code) == length and all(ch in alphabet for ch in code)


def display_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if len(code) >= 6 else code


def number(value: float) -> int | float:
    """A JSON number: an integer when the value is whole (5 rather than 5.0)."""
    return int(value) if float(value).is_integer() else value


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def now() -> float:
    return time.time()
