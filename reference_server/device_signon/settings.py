"""What a `device_signon` deployment configures (``Settings``) and how a fault makes it misbehave
(``Deviations``), kept apart so that a setting is never a fault's lever in disguise.

Also the contract key and its endpoint names: the constants both the handlers and the fault seam use.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from reference_server.endpoint import Endpoints

CONTRACT = "device_signon"
CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 §6.1 base-20: no vowels, no confusable characters

ENDPOINTS = Endpoints(
    CONTRACT,
    "dsra_code",
    "dsra_poll",
    "dsra_approve",
    "dsra_reject",
    "dsra_operator_approve",
    "operator_token",
    "ias_activation",
    "ias_password",
    "ias_refresh",
    "jwks",
    "device_authorization",
    "token",
    "verification",
    "userinfo",
    "metadata",
)

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
    """Paths, timings, limits, variants and features: what a real deployment configures."""

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
    # Variants and features.
    variants: tuple[str, ...] = ("dsra", "rfc8628")
    tenant_id: str = "tenant"
    issue_refresh_token: bool = True
    # Timings (seconds).
    code_ttl_s: float = 600.0  # registration/device code lifetime; whole seconds keep expires_in an integer
    polling_period_s: float = 5.0  # pollingPeriodSeconds / interval
    slow_down_increment_s: float = 5.0  # RFC 8628 §3.5: +5 s after slow_down
    activation_token_ttl_s: float = 120.0
    access_token_ttl_s: int = 3600
    refresh_token_ttl_s: int = 172800
    fixed_refresh_ttl_s: int = 7776000
    operator_token_ttl_s: int = 300
    retain_expired_s: float = 60.0  # keep finished flows this long to answer "expired", not "unknown"
    consent_ttl_s: float = 300.0
    # Limits.
    approval_max_failures: int = 5  # wrong codes per approver per window, then 429
    approval_window_s: float = 60.0
    password_max_failures: int = 10
    password_window_s: float = 60.0
    # Codes and tokens: their alphabet, length and entropy.
    code_length: int = 8
    code_generation_attempts: int = 3
    dsra_code_alphabet: str = CODE_ALPHABET
    user_code_alphabet: str = CODE_ALPHABET
    dsra_token_bytes: int = 32
    activation_token_bytes: int = 32
    device_code_bytes: int = 32

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


@dataclass(frozen=True)
class Deviations:
    """Deliberate misbehaviour the fault seam switches on; each field names the deviation.

    Only what a reply transform cannot fake lives here: state kept between requests, expiry,
    single use, throttling, bindings and request-side leniency. A clean server has all of them off.
    """

    # DSRA D1/D2 (registration and polling)
    reuse_registration_code: bool = False
    serve_any_method: bool = False
    reject_correlation_id: bool = False
    accept_bare_dsra_token: bool = False
    device_identity_optional: bool = False
    keep_pending_after_expiry: bool = False
    expire_registrations_at_half_life: bool = False
    deliver_after_expiry: bool = False
    redeliver_activation_token: bool = False
    ignore_polling_period: bool = False
    replace_known_client_id: bool = False
    reuse_client_id_for_same_device_info: bool = False
    accept_unknown_client_id: bool = False
    casn_optional: bool = False
    ignore_reject: bool = False
    time_based_dsra_tokens: bool = False  # version-1 UUIDs: 36 characters, a few bits of chance
    dsra_token_embeds_code: bool = False  # base64url of "code:random": long, random, and leaks the code
    # DSRA D3/D4 (approval)
    approve_approved_codes: bool = False
    approve_expired_codes: bool = False
    approve_delivered_codes: bool = False
    companion_accepts_operator_token: bool = False
    exact_registration_codes_only: bool = False
    no_approval_rate_limit: bool = False
    bind_approval_to_primary_account: bool = False
    tenant_header_optional: bool = False
    account_id_optional: bool = False
    portal_accepts_device_token: bool = False
    bind_portal_approval_to_primary_account: bool = False
    ignore_tenant_mismatch: bool = False
    # IAS
    reusable_activation_tokens: bool = False
    accept_expired_activation_tokens: bool = False
    accept_dsra_token_at_sign_on: bool = False
    ignore_account_suspension: bool = False
    keep_ias_refresh_token: bool = False
    reusable_ias_refresh_tokens: bool = False
    skip_ias_password_check: bool = False
    # RFC 8628 device authorization and token endpoint
    accept_unknown_clients: bool = False
    device_accepts_duplicate_params: bool = False
    accept_unknown_scopes: bool = False
    no_slow_down: bool = False
    sticky_slow_down: bool = False
    ignore_deny: bool = False
    reusable_device_codes: bool = False
    keep_tokens_on_replay: bool = False
    device_code_for_any_client: bool = False
    confidential_without_secret: bool = False
    token_serves_get: bool = False
    token_accepts_duplicate_params: bool = False
    refreshed_token_unusable: bool = False
    refresh_for_any_client: bool = False
    refresh_widens_scope: bool = False
    reusable_refresh_tokens: bool = False
    # Verification page
    hide_code_field: bool = False
    exact_user_codes_only: bool = False
    no_page_rate_limit: bool = False
    auto_approve_complete: bool = False
    bind_page_approval_to_primary_account: bool = False
    skip_page_password_check: bool = False
    hide_user_code: bool = False
    reusable_user_codes: bool = False
    accept_expired_user_codes: bool = False
    case_sensitive_user_codes: bool = False  # issued in lower case, matched only in lower case
    complete_link_approves: bool = False  # the sign-in form of verification_uri_complete approves
