"""`device_signon`: sign a TV in through a second, already signed-in device.

Two variants share accounts, timings and code handling here:

- ``dsra`` (reference_server.device_signon_dsra): Nagra OPF's DSRA registration code, polling for a
  sign-on/activation token, approval from the companion app or the operator portal, and the IAS
  sign-on with that token (specs/device-and-ropc.md §1; PROPOSED state machine and codes of §1.9);
- ``rfc8628`` (reference_server.device_signon_rfc8628): the OAuth 2.0 device authorization grant
  with an HTML verification page, a userinfo endpoint and refresh.

All state lives in ``state.store``; single-use transitions are one atomic store call.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reference_server.keys import jwks
from reference_server.oauth import hash_password, verify_password
from reference_server.reply import Reply
from reference_server.state import ServerState, state_of

CONTRACT = "device_signon"
CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 §6.1 base-20: no vowels, no confusable characters
_ENDPOINT_URLS = {  # profile key -> Settings path field
    "dsra_code_url": "dsra_code_path",
    "dsra_poll_url": "dsra_poll_path",
    "dsra_approve_url": "dsra_approve_path",
    "dsra_reject_url": "dsra_reject_path",
    "dsra_operator_approve_url": "dsra_operator_approve_path",
    "operator_token_url": "operator_token_path",
    "ias_activation_url": "ias_activation_path",
    "ias_password_url": "ias_password_path",
    "ias_refresh_url": "ias_refresh_path",
    "jwks_url": "jwks_path",
    "device_authorization_url": "device_authorization_path",
    "token_url": "token_path",
    "verification_url": "verification_path",
    "userinfo_url": "userinfo_path",
    "metadata_url": "metadata_path",
}


@dataclass(frozen=True)
class Settings:
    """Paths, timings and limits; the boolean/status fields are behaviour switches (faults turn them)."""

    # Paths (documented DSRA/IAS paths; profile URLs override).
    dsra_code_path: str = "/dsra/v1/user/deviceRegistrationCode"
    dsra_poll_path: str = "/dsra/v1/user/signOnActivationToken"
    dsra_approve_path: str = "/dsra/v1/user/deviceRegistrationCode/actions/approve"
    dsra_reject_path: str = "/dsra/v1/user/deviceRegistrationCode/actions/reject"
    dsra_operator_approve_path: str = "/dsra/v1/operator/deviceRegistrationCode/actions/approve"
    operator_token_path: str = "/auth/realms/operator/protocol/openid-connect/token"
    ias_activation_path: str = "/ias/v3/token/actions/signOnBySignOnActivationToken"
    ias_password_path: str = "/ias/v3/token/actions/signOnByUserNamePassword"
    ias_refresh_path: str = "/ias/v2/token"
    jwks_path: str = "/ias/.well-known/jwks.json"
    device_authorization_path: str = "/oauth2/device_authorization"
    token_path: str = "/oauth2/token"
    verification_path: str = "/device"
    userinfo_path: str = "/oauth2/userinfo"
    metadata_path: str = "/.well-known/oauth-authorization-server"
    variants: tuple[str, ...] = ("dsra", "rfc8628")
    tenant_id: str = "tenant"
    # Timings (seconds) and limits.
    code_ttl_s: float = 600.0  # registration/device code lifetime; whole seconds keep expires_in an integer
    polling_period_s: float = 5.0  # pollingPeriodSeconds / interval
    slow_down_increment_s: float = 5.0  # RFC 8628 §3.5: +5 s after slow_down
    activation_token_ttl_s: float = 120.0
    access_token_ttl_s: int = 3600
    refresh_token_ttl_s: int = 172800
    fixed_refresh_ttl_s: int = 7776000
    operator_token_ttl_s: int = 300
    retain_expired_s: float = 60.0  # keep finished flows this long to answer "expired", not "unknown"
    approval_max_failures: int = 5  # wrong codes per approver per window, then 429
    approval_window_s: float = 60.0
    password_max_failures: int = 10
    password_window_s: float = 60.0
    consent_ttl_s: float = 300.0
    code_length: int = 8
    code_generation_attempts: int = 3
    issue_refresh_token: bool = True
    # --- behaviour switches: a correct server keeps these defaults; each fault changes one ---
    # DSRA D1
    dsra_code_expires_is_number: bool = True
    dsra_fresh_codes: bool = True
    dsra_token_bytes: int = 32
    dsra_code_alphabet: str = CODE_ALPHABET
    dsra_strict_methods: bool = True
    dsra_accept_correlation_id: bool = True
    # DSRA D2
    dsra_missing_token_status: int = 401
    dsra_reject_unknown_token: bool = True
    dsra_require_bearer_scheme: bool = True
    dsra_require_device_identity: bool = True
    dsra_pending_status: int = 204
    dsra_success_status: int = 200
    dsra_expire_pending: bool = True
    dsra_expiry_factor: float = 1.0
    dsra_expire_approved: bool = True
    dsra_single_delivery: bool = True
    dsra_enforce_polling_period: bool = True
    dsra_keep_client_id: bool = True
    dsra_new_client_per_device_info: bool = True
    dsra_reject_unknown_client_id: bool = True
    dsra_require_casn: bool = True
    dsra_reject_works: bool = True
    activation_token_bytes: int = 32
    # DSRA D3 (companion approval)
    approve_status: int = 202
    approve_missing_token_status: int = 400
    approve_invalid_token_status: int = 403
    approve_missing_code_status: int = 400
    approve_unknown_code_status: int = 404
    approve_once: bool = True
    approve_check_expiry: bool = True
    approve_refuse_delivered: bool = True
    approve_accept_operator_token: bool = False
    dsra_normalise_codes: bool = True
    dsra_approval_rate_limit: bool = True
    bind_to_approver: bool = True
    # DSRA D4 (operator portal approval)
    operator_approve_status: int = 202
    operator_require_tenant: bool = True
    operator_require_account: bool = True
    operator_accept_device_token: bool = False
    operator_bind_to_account: bool = True
    operator_unknown_code_status: int = 404
    operator_invalid_token_status: int = 403
    operator_check_tenant: bool = True
    # IAS
    ias_activation_status: int = 201
    ias_activation_single_use: bool = True
    ias_activation_expiry: bool = True
    ias_accept_dsra_token: bool = False
    ias_missing_token_status: int = 401
    ias_echo_client_id: bool = True
    ias_exp_in_millis: bool = False
    ias_check_account_status: bool = True
    ias_rotate_refresh: bool = True
    ias_refresh_single_use: bool = True
    ias_password_status: int = 201
    ias_check_password: bool = True
    # RFC 8628 device authorization
    device_code_bytes: int = 32
    user_code_alphabet: str = CODE_ALPHABET
    rfc8628_reject_unknown_client: bool = True
    device_reject_duplicate_params: bool = True
    device_reject_unknown_scope: bool = True
    user_code_in_verification_uri: bool = False
    # RFC 8628 token endpoint
    pending_status: int = 400
    enforce_poll_interval: bool = True
    slow_down_widen_factor: float = 1.0
    deny_recorded: bool = True
    report_expired: bool = True
    unknown_device_code_error: str = "invalid_grant"
    missing_device_code_error: str = "invalid_request"
    device_code_single_use: bool = True
    revoke_on_replay: bool = True
    bind_device_code_to_client: bool = True
    invalid_client_status: int = 401
    confidential_must_authenticate: bool = True
    unknown_grant_error: str = "unsupported_grant_type"
    token_reject_get: bool = True
    token_reject_duplicate_params: bool = True
    refresh_issues_working_token: bool = True
    refresh_bound_to_client: bool = True
    refresh_check_scope: bool = True
    refresh_single_use: bool = True
    # Verification page
    page_show_code_field: bool = True
    page_normalise_codes: bool = True
    page_rate_limit: bool = True
    page_auto_approve_complete: bool = False
    page_bind_to_signed_in: bool = True
    page_check_password: bool = True
    page_show_user_code: bool = True
    page_single_use: bool = True
    page_check_expiry: bool = True

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> Settings:
        section = profile.get(CONTRACT, {})
        server = profile.get("reference_server", {}).get(CONTRACT, {})
        features = section.get("features", {})
        values: dict[str, Any] = {
            field: urlsplit(section[key]).path for key, field in _ENDPOINT_URLS.items() if key in section
        }
        values["variants"] = tuple(features.get("variants", cls.variants))
        values["issue_refresh_token"] = bool(features.get("refresh_token", True))
        if "tenant_id" in section:
            values["tenant_id"] = section["tenant_id"]
        if "slow_down_increment_s" in section:  # the client's increment, which the server mirrors
            values["slow_down_increment_s"] = float(section["slow_down_increment_s"])
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in server.items() if k in known})
        return cls(**values)


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


# --- composition ----------------------------------------------------------------------------------


async def jwks_endpoint(request: Request) -> Response:
    state = state_of(request)
    return state.respond("device_signon.jwks", Reply(200, jwks(state.key)))


def routes(state: ServerState) -> list[Route]:
    from reference_server import device_signon_dsra, device_signon_rfc8628

    settings: Settings = state.base_settings[CONTRACT]
    out = [Route(settings.jwks_path, jwks_endpoint, methods=["GET"])]
    if "dsra" in settings.variants:
        out += device_signon_dsra.routes(settings)
    if "rfc8628" in settings.variants:
        out += device_signon_rfc8628.routes(settings)
    return out
