"""What an `ott_idp` deployment configures (``Settings``) and the deviations only faults switch on."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

CONTRACT = "ott_idp"


@dataclass(frozen=True)
class Settings:
    """Paths from the profile's [ott_idp] URLs, features, and timings and limits from
    [reference_server.ott_idp]."""

    token_path: str = "/oauth/token"
    signup_path: str = "/oauth/signup"
    jwks_path: str = "/oauth/jwks"
    access_token_ttl_s: int = 3600
    id_token_ttl_s: int = 600
    refresh_token_ttl_s: int = 86400
    issue_refresh_token: bool = False  # [ott_idp.features] refresh_token
    bruteforce_max_failures: int = 10  # failed sign-ins per username per window; 0 turns it off
    bruteforce_window_s: float = 2.0  # how long a name stays locked once the limit is reached
    password_min_length: int = 8
    client_max_failures: int = 0  # wrong secrets per client id before it is locked; 0 turns it off
    client_window_s: float = 2.0  # how long a client stays locked once the limit is reached
    signup_max_per_window: int = 0  # sign-ups per client IP per window before 429; 0 turns it off
    signup_window_s: float = 60.0
    signup_lock_s: float = 2.0  # how long sign-ups answer 429 once the limit is reached

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> Settings:
        section = profile.get(CONTRACT, {})
        server = profile.get("reference_server", {}).get(CONTRACT, {})
        paths = {
            "token_path": urlsplit(section.get("token_url", cls.token_path)).path,
            "signup_path": urlsplit(section.get("signup_url", cls.signup_path)).path,
        }
        features = section.get("features", {})
        known = {f.name for f in dataclasses.fields(cls)}
        tuned = {k: v for k, v in server.items() if k in known}
        return cls(**paths, issue_refresh_token=bool(features.get("refresh_token", False)), **tuned)


@dataclass(frozen=True)
class Deviations:
    """Misbehaviours a reply cannot fake (they change what the server accepts, keeps or counts).

    All off in a correct server; each ``deviate=`` fault turns one on.
    """

    # Token endpoint: the request.
    accept_get: bool = False  # serve the grant from query parameters
    accept_duplicate_params: bool = False  # on both endpoints
    accept_two_auth_methods: bool = False  # Basic and body credentials together
    accept_anonymous_client: bool = False  # no client authentication at all is the profile's client
    grant_type_defaults_to_password: bool = False
    any_grant_as_password: bool = False
    reject_unknown_params: bool = False
    answer_unknown_params_empty: bool = False  # 200 with no tokens when an unknown parameter is sent
    openid_scope_optional: bool = False
    grant_unknown_scopes: bool = False
    refuse_refresh_grant: bool = False
    # Token endpoint: the account.
    skip_password_check: bool = False  # any password signs an existing account in
    case_sensitive_usernames: bool = False
    reveal_unknown_users: bool = False  # a different error for names that have no account
    # Sign-up endpoint.
    signup_accepts_get: bool = False
    signup_skips_client_auth: bool = False
    signup_accepts_anonymous_client: bool = False  # no Authorization header at all is let through
    signup_accepts_any_username: bool = False  # not only email addresses
    signup_overwrites: bool = False  # a second sign-up with the same email replaces the account
    signup_check_then_write: bool = False  # not atomic: parallel duplicates both succeed
    signup_forgets: bool = False  # answers 201 but keeps nothing
    signup_drops_name: bool = False
    signup_echoes_password: bool = False
    # Clients (issue 9).
    password_grant_for_any_client: bool = False  # a client not enabled for it still gets tokens
    basic_not_form_decoded: bool = False  # Basic id and secret taken as sent, not form-decoded
    accept_client_without_secret: bool = False  # a known client id with no secret is that client
    refresh_id_token_new_sub: bool = False  # the id_token of a refresh names another subject
