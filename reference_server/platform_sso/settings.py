"""Settings of the REST API v2 reference server: paths and feature choices from ``[platform_sso]``,
integrations, trusted keys and timings from ``[reference_server.platform_sso]``; apart from them
``Deviations``: the switches only faults turn on (reference_server/faults/platform_sso.py)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import resources

CONTRACT = "platform_sso"
PROFILE_DIR = resources.profiles_dir()  # key files are relative to it (installed or in a checkout)


@dataclass(frozen=True)
class Mvpd:
    """An MVPD and its integration with every configured service provider."""

    id: str
    display_name: str = ""
    logo_url: str = ""
    active: bool = True  # integration enabled; inactive ones answer invalid_integration
    logout: bool = True  # has an MVPD logout endpoint (logout -> logout/interactive, else complete/none)
    denied_resources: tuple[str, ...] = ()  # the MVPD denies (pre)authorization for these
    # Partner (Apple) single sign-on; None = not configured (Configuration omits the member).
    platform_mapping_id: str | None = None  # the MVPD's id at the partner (PFS frameworkProviderInfo.id)
    enable_platform_services: bool | None = None
    display_in_platform_picker: bool | None = None
    boarding_status: str | None = None  # "SUPPORTED" | "PICKER" | None
    saml_issuer: str = ""  # the Issuer of the MVPD's SAML responses (its IdP entity id)
    saml_certificates: tuple[str, ...] = ()  # PEM certificates pinned for the MVPD's SAML signatures

    @property
    def partner_sso_enabled(self) -> bool:
        """Platform services enabled and the MVPD fully boarded with the partner."""
        return bool(self.enable_platform_services) and self.boarding_status == "SUPPORTED"


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
    throttle_burst: int = 10  # token bucket per client IP (abuse.client_address); 0 turns throttling off
    throttle_rate_per_s: float = 1.0
    throttle_exempt_peers: tuple[str, ...] = ()  # client addresses never throttled (what they forward is)
    # Choices the profile's [platform_sso.features] describe.
    accept_jws_subject_token: bool = True
    accept_jwe_subject_token: bool = True
    accept_roku_connect_token: bool = True
    logout_requires_redirect_url: bool = True  # [P]; [O] makes it optional (§8 #8)
    dcr_token_query_params: bool = True  # [OD] puts the token parameters in the query (§8 #9)
    preauthorize: bool = True
    # Partner (Apple) single sign-on (docs/partner_sso.md); unused while no MVPD has a platformMappingId.
    partners: tuple[str, ...] = ("Apple",)
    saml_sp_entity_id: str = "https://saml.sp.auth.adobe.com"  # Issuer of requests, Audience of responses
    saml_request_ttl_s: float = 300.0
    saml_clock_skew_s: float = 5.0
    partner_profile_status: int = 201  # [P]; [O] says 200 (§8 #5)
    attributes_names: tuple[str, ...] = ("uid", "NameID", "uniqueId")

    @classmethod
    def from_profile(cls, profile: dict[str, Any], contract: str = CONTRACT) -> Settings:
        section = profile.get(contract, {})
        server = dict(profile.get("reference_server", {}).get(contract, {}))
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

    def mvpd_for_platform_id(self, platform_id: str) -> Mvpd | None:
        """The MVPD with an active integration the partner knows as ``platform_id``."""
        for m in self.active_mvpds():
            if m.platform_mapping_id is not None and m.platform_mapping_id == platform_id:
                return m
        return None


@dataclass(frozen=True)
class Deviations:
    """Deliberate deviations from the spec, each one a fault's (reference_server/faults/platform_sso.py).

    A clean server runs with every field False; a deployment never sets them.
    """

    # DCR
    accept_missing_software_statement: bool = False
    skip_statement_signature_check: bool = False
    skip_revocation_check: bool = False
    skip_redirect_uri_domain_check: bool = False
    accept_duplicate_params: bool = False
    skip_client_secret_check: bool = False
    default_missing_grant_type: bool = False
    accept_any_grant_type: bool = False
    # Access token, service provider, method
    serve_without_access_token: bool = False
    serve_unknown_access_token: bool = False
    omit_bearer_challenge: bool = False
    skip_service_provider_check: bool = False
    skip_application_link_check: bool = False
    authenticate_requires_token: bool = False
    wrong_method_not_found: bool = False
    # Device headers
    default_missing_device_identifier: bool = False
    opaque_device_identifier: bool = False
    configuration_requires_device_identifier: bool = False
    ignore_malformed_device_info: bool = False
    require_device_info: bool = False
    reject_unknown_device_info_keys: bool = False
    # Isolation
    share_profiles_across_devices: bool = False
    share_profiles_across_clients: bool = False
    share_code_across_clients: bool = False
    # Configuration and sessions
    reject_missing_session_parameters: bool = False
    report_all_parameters_missing: bool = False
    sessions_ignore_existing_profile: bool = False
    skip_integration_check: bool = False
    accept_unknown_mvpd: bool = False
    skip_redirect_url_check: bool = False
    codes_never_expire: bool = False
    # User-agent authentication
    authenticate_incomplete_session: bool = False
    skip_mvpd_password_check: bool = False
    code_profile_pending_error: bool = False
    # Profiles and decisions
    list_expired_profiles: bool = False
    skip_profiles_mvpd_filter: bool = False
    accept_malformed_resources: bool = False
    too_many_resources_empty_list: bool = False
    permit_without_profile: bool = False
    deny_top_level: bool = False
    preauthorize_with_token: bool = False
    # Logout
    ignore_mvpd_logout_endpoint: bool = False
    logout_keeps_profile: bool = False
    # Platform identity SSO
    hide_sso_profiles: bool = False
    sessions_ignore_sso: bool = False
    decisions_ignore_sso: bool = False
    sso_by_device: bool = False
    sso_keyed_by_issuer_only: bool = False
    reject_garbage_subject_token: bool = False
    accept_unsigned_subject_token: bool = False
    skip_subject_token_signature_check: bool = False
    skip_subject_token_expiry_check: bool = False
    skip_subject_token_issuer_check: bool = False
    skip_subject_token_audience_check: bool = False
    sso_remembered_without_token: bool = False
    logout_keeps_sso: bool = False
    single_logout_keeps_origin: bool = False
    sso_own_ttl: bool = False
    # Partner (Apple) SSO: Sessions Partner
    sessions_partner_any_partner: bool = False  # an unsupported {partner} is served like Apple
    profiles_partner_any_partner: bool = False
    # PFS failure reasons (pfs.Pfs.reason) Sessions Partner answers with a 400 instead of pfs_fallback
    partner_sessions_error_for: tuple[str, ...] = ()
    partner_sessions_ignore_platform_services: bool = False  # no configuration_fallback
    partner_sessions_reject_missing_parameters: bool = False  # missing redirectUrl -> 400, not resume
    partner_sessions_ignore_existing_profile: bool = False  # a live profile still gets partner_profile
    # Partner (Apple) SSO: Profiles Partner and its SAML response
    pfs_provider_mismatch_ignored: bool = False  # a PFS for another MVPD than the SAML request's
    accept_unsigned_saml_assertion: bool = False  # an assertion without any signature is accepted
    skip_saml_digest_check: bool = False  # a signed assertion altered after signing is accepted
    trust_keyinfo_certificate: bool = False  # verifies with the certificate the response carries
    read_first_assertion: bool = False  # several assertions: one signature verified, the first read
    skip_saml_issuer_check: bool = False
    skip_saml_audience_check: bool = False
    skip_saml_validity_check: bool = False
    skip_saml_in_response_to_check: bool = False  # an InResponseTo never issued is accepted
    saml_request_reusable: bool = False  # a SAML request can be answered more than once (replay)
    saml_request_not_bound_to_client: bool = False  # another application/device may answer it
    # Partner (Apple) SSO: appleSSO profiles
    apple_profile_without_pfs: bool = False  # Profiles lists appleSSO profiles without a valid PFS
    apple_profile_shared_across_devices: bool = False
    apple_profile_shared_across_clients: bool = False
    profiles_error_before_first_profile: bool = False  # 404 to an app and device that never signed in
    decisions_ignore_pfs: bool = False  # decisions use appleSSO profiles without a valid PFS
    logout_keeps_apple_profile: bool = False


def _mvpd(raw: dict[str, Any]) -> Mvpd:
    return Mvpd(
        id=raw["id"],
        display_name=raw.get("display_name", raw["id"]),
        logo_url=raw.get("logo_url", ""),
        active=bool(raw.get("active", True)),
        logout=bool(raw.get("logout", True)),
        denied_resources=tuple(raw.get("denied_resources", ())),
        platform_mapping_id=raw.get("platform_mapping_id"),
        enable_platform_services=raw.get("enable_platform_services"),
        display_in_platform_picker=raw.get("display_in_platform_picker"),
        boarding_status=raw.get("boarding_status"),
        saml_issuer=raw.get("saml_issuer", ""),
        saml_certificates=tuple(_pem(p) for p in raw.get("saml_certificate_files", ())),
    )


def _pem(ref: str) -> str:
    """PEM text: inline, or a file path relative to profiles/ (absolute paths as they are)."""
    if ref.lstrip().startswith(("-----BEGIN", "#")):
        return ref
    path = Path(ref)
    return (path if path.is_absolute() else PROFILE_DIR / path).read_text()
