"""Settings of the REST API v2 reference server: paths and feature choices from ``[platform_sso]``,
integrations, trusted keys and timings from ``[reference_server.platform_sso]``, and the behaviour
switches the named faults turn off (reference_server/faults/platform_sso.py)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONTRACT = "platform_sso"
PROFILE_DIR = Path(__file__).resolve().parents[2] / "profiles"  # key files are relative to it


@dataclass(frozen=True)
class Mvpd:
    """An MVPD and its integration with every configured service provider."""

    id: str
    display_name: str = ""
    logo_url: str = ""
    active: bool = True  # integration enabled; inactive ones answer invalid_integration
    logout: bool = True  # has an MVPD logout endpoint (logout -> logout/interactive, else complete/none)
    denied_resources: tuple[str, ...] = ()  # the MVPD denies (pre)authorization for these


@dataclass(frozen=True)
class Settings:
    api_base: str = "/api/v2"
    dcr_base: str = "/o"
    service_providers: tuple[str, ...] = ("REF30",)
    domains: tuple[str, ...] = ()  # requestor domains listed by Configuration
    mvpds: tuple[Mvpd, ...] = ()
    # DCR: software statements are JWS signed by one of these keys (PEM text).
    software_statement_keys: tuple[str, ...] = ()
    software_statement_issuer: str = ""  # "" accepts any iss
    software_statement_algorithms: tuple[str, ...] = ("RS256", "RS384", "RS512", "PS256", "ES256")
    revoked_software_ids: tuple[str, ...] = ()
    required_scope: str = "api:client:v2"
    access_token_ttl_s: int = 21600
    # Platform identity (Adobe-Subject-Token): JWS verified with these public keys, JWE decrypted
    # with these private keys (PEM text); claims iss/aud/exp and the identity claim are checked.
    identity_issuer: str = ""
    identity_audience: str = "adobe"
    identity_claim: str = "sub"
    identity_jws_keys: tuple[str, ...] = ()
    identity_jwe_keys: tuple[str, ...] = ()
    identity_jws_algorithms: tuple[str, ...] = ("ES256", "RS256", "PS256")
    identity_jwe_algorithms: tuple[str, ...] = ("RSA-OAEP-256", "RSA-OAEP", "ECDH-ES")
    identity_jwe_encryptions: tuple[str, ...] = ("A256GCM", "A128GCM", "A128CBC-HS256", "A256CBC-HS512")
    identity_leeway_s: int = 5
    # Timings (docs: 30 min codes, long profiles, ~7 min media tokens; the reference profile shortens them).
    code_ttl_s: float = 1800.0
    profile_ttl_s: float = 86400.0
    expired_profile_grace_s: float = 300.0  # expired profiles stay known this long (-> *_expired codes)
    media_token_ttl_s: int = 420
    decision_ttl_s: int = 3600
    # Limits.
    max_authorize_resources: int = 1
    max_preauthorize_resources: int = 5
    throttle_burst: int = 10  # token bucket per client IP / X-Forwarded-For; 0 turns throttling off
    throttle_rate_per_s: float = 1.0
    throttle_exempt_peers: tuple[str, ...] = ()  # peers throttled only by the X-Forwarded-For they send
    # Choices the profile's [platform_sso.features] describe.
    accept_jws_subject_token: bool = True
    accept_jwe_subject_token: bool = True
    accept_roku_connect_token: bool = True
    logout_requires_redirect_url: bool = True  # [P]; [O] makes it optional (§8 #8)
    dcr_token_query_params: bool = True  # [OD] puts the token parameters in the query (§8 #9)
    preauthorize: bool = True
    # Behaviour switches: always on in a correct server; each fault turns one off.
    require_software_statement: bool = True
    verify_statement_signature: bool = True
    check_revocation: bool = True
    check_redirect_uri_domain: bool = True
    reject_duplicate_params: bool = True
    check_client_secret: bool = True
    require_grant_type: bool = True
    check_grant_type: bool = True
    require_access_token: bool = True
    validate_access_token: bool = True
    bearer_challenge: bool = True
    check_service_provider: bool = True
    check_application_link: bool = True
    authenticate_without_token: bool = True
    reject_wrong_method: bool = True
    require_device_identifier: bool = True
    validate_device_identifier_format: bool = True
    configuration_headers_optional: bool = True
    validate_device_info: bool = True
    tolerate_missing_device_info: bool = True
    tolerate_unknown_device_info_keys: bool = True
    bind_profiles_to_device: bool = True
    bind_profiles_to_client: bool = True
    bind_code_to_client: bool = True
    configuration_hides_inactive: bool = True
    resume_on_missing_parameters: bool = True
    report_only_missing: bool = True
    sessions_check_existing_profile: bool = True
    check_integration: bool = True
    check_mvpd_known: bool = True
    validate_redirect_url: bool = True
    expire_codes: bool = True
    authenticate_requires_complete_session: bool = True
    check_mvpd_password: bool = True
    redirect_after_login: bool = True
    empty_profiles_before_completion: bool = True
    hide_expired_profiles: bool = True
    filter_profiles_by_mvpd: bool = True
    validate_resources: bool = True
    limit_resources: bool = True
    require_profile_for_decisions: bool = True
    deny_at_item_level: bool = True
    preauthorize_without_token: bool = True
    honour_mvpd_logout_endpoint: bool = True
    logout_deletes_profile: bool = True
    mvpd_logout_redirects: bool = True
    sso_in_profiles: bool = True
    sessions_find_sso_profile: bool = True
    decisions_find_sso_profile: bool = True
    sso_requires_token: bool = True
    sso_key_includes_subject: bool = True
    tolerate_bad_subject_token: bool = True
    verify_subject_token_signature: bool = True
    check_subject_token_expiry: bool = True
    logout_removes_sso: bool = True
    single_logout_removes_origin: bool = True
    sso_shares_origin_ttl: bool = True

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> Settings:
        section = profile.get(CONTRACT, {})
        server = dict(profile.get("reference_server", {}).get(CONTRACT, {}))
        features = section.get("features", {})
        forms = features.get("subject_token", ["jws", "jwe"])
        values: dict[str, Any] = {
            "api_base": urlsplit(section.get("api_base_url", cls.api_base)).path.rstrip("/"),
            "dcr_base": urlsplit(section.get("dcr_base_url", cls.dcr_base)).path.rstrip("/"),
            "accept_jws_subject_token": "jws" in forms,
            "accept_jwe_subject_token": "jwe" in forms,
            "accept_roku_connect_token": bool(features.get("roku_connect_token", True)),
            "logout_requires_redirect_url": features.get("logout_redirect_url", "required") == "required",
            "dcr_token_query_params": bool(features.get("dcr_token_query", True)),
            "preauthorize": bool(features.get("preauthorize", True)),
        }
        for key, kind in (
            ("max_authorize_resources", int),
            ("max_preauthorize_resources", int),
            ("throttle_burst", int),
            ("throttle_rate_per_s", float),
        ):
            if key in section:  # the suite reads these too: one source of truth
                values[key] = kind(section[key])
        if "mvpds" in server:
            values["mvpds"] = tuple(_mvpd(m) for m in server.pop("mvpds"))
        for key, file_key in (
            ("software_statement_keys", "software_statement_key_files"),
            ("identity_jws_keys", "identity_jws_key_files"),
            ("identity_jwe_keys", "identity_jwe_decryption_key_files"),
        ):
            if file_key in server:
                values[key] = tuple(_pem(p) for p in server.pop(file_key))
        types = {f.name: f.type for f in fields(cls)}
        for key, value in server.items():
            if key in types and key not in values:
                values[key] = tuple(value) if isinstance(value, list) else value
        return cls(**values)

    def mvpd(self, mvpd_id: str) -> Mvpd | None:
        for m in self.mvpds:
            if m.id == mvpd_id:
                return m
        return None

    def active_mvpds(self) -> list[Mvpd]:
        return [m for m in self.mvpds if m.active]


def _mvpd(raw: dict[str, Any]) -> Mvpd:
    return Mvpd(
        id=raw["id"],
        display_name=raw.get("display_name", raw["id"]),
        logo_url=raw.get("logo_url", ""),
        active=bool(raw.get("active", True)),
        logout=bool(raw.get("logout", True)),
        denied_resources=tuple(raw.get("denied_resources", ())),
    )


def _pem(ref: str) -> str:
    """PEM text: inline, or a file path relative to profiles/ (absolute paths as they are)."""
    if ref.lstrip().startswith(("-----BEGIN", "#")):
        return ref
    path = Path(ref)
    return (path if path.is_absolute() else PROFILE_DIR / path).read_text()
