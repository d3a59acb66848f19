"""Faults of the `platform_sso` reference server: each breaks one behaviour a requirement names.

Settings faults turn off one of platform_sso.Settings' behaviour switches (or shorten a limit);
reply faults reshape one endpoint's answer just before it is sent (endpoint keys
``platform_sso.<name>``, see reference_server/platform_sso/__init__.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from reference_server.faults import register
from reference_server.reply import Reply

C = "platform_sso"


def _setting(name: str, targets: list[str], description: str, **settings: Any) -> None:
    register(f"{C}.{name}", C, targets, description, settings=settings)


def _reply(name: str, targets: list[str], description: str, endpoint: str, fn: Callable) -> None:
    register(f"{C}.{name}", C, targets, description, endpoint=f"{C}.{endpoint}", reply=fn)


def _when(status: int, fn: Callable[[Reply, Any], None]) -> Callable[[Reply, Any], None]:
    """Apply ``fn`` only to replies with ``status`` (and a JSON object body for JSON statuses)."""

    def transform(reply: Reply, state: Any) -> None:
        if reply.status == status and (isinstance(reply.body, dict) or status in (301, 302, 303, 307)):
            fn(reply, state)

    return transform


def _set_status(new: int) -> Callable[[Reply, Any], None]:
    def fn(reply: Reply, state: Any) -> None:
        reply.status = new
        if isinstance(reply.body, dict) and "status" in reply.body:
            reply.body["status"] = new

    return fn


def _items(fn: Callable[[dict[str, Any]], None]) -> Callable[[Reply, Any], None]:
    def transform(reply: Reply, state: Any) -> None:
        for item in reply.body.get("decisions", []):
            fn(item)

    return transform


def _logouts(fn: Callable[[dict[str, Any]], None]) -> Callable[[Reply, Any], None]:
    def transform(reply: Reply, state: Any) -> None:
        for action in reply.body.get("logouts", {}).values():
            fn(action)

    return transform


def _profiles(fn: Callable[[dict[str, Any]], None]) -> Callable[[Reply, Any], None]:
    def transform(reply: Reply, state: Any) -> None:
        profiles = reply.body.get("profiles")
        for profile in profiles.values() if isinstance(profiles, dict) else ():
            fn(profile)

    return transform


# ----------------------------------------------------------------------------------------- DCR
_reply(
    "dcr_register_200",
    ["PSSO-DCR-001"],
    "registration answers 200 instead of 201",
    "dcr_register",
    _when(201, _set_status(200)),
)
_setting(
    "dcr_register_without_statement",
    ["PSSO-DCR-002"],
    "a registration without software_statement gets credentials",
    require_software_statement=False,
)
_setting(
    "dcr_statement_signature_unchecked",
    ["PSSO-DCR-003"],
    "software statement signatures are not verified (alg none and foreign keys accepted)",
    verify_statement_signature=False,
)
_setting(
    "dcr_revoked_statement_accepted",
    ["PSSO-DCR-004"],
    "revoked software statements still register",
    check_revocation=False,
)
_setting(
    "dcr_redirect_uri_unchecked",
    ["PSSO-DCR-005"],
    "redirect_uri is not checked against the application's domains",
    check_redirect_uri_domain=False,
)
_reply(
    "dcr_token_200",
    ["PSSO-DCR-006"],
    "the token endpoint answers 200 instead of 201",
    "dcr_token",
    _when(201, _set_status(200)),
)
_setting(
    "dcr_token_secret_unchecked",
    ["PSSO-DCR-007"],
    "a known client_id gets a token whatever client_secret it sends",
    check_client_secret=False,
)
_setting(
    "dcr_any_grant_type",
    ["PSSO-DCR-008"],
    "any grant_type is treated as client_credentials",
    check_grant_type=False,
)
_setting(
    "dcr_grant_type_defaulted",
    ["PSSO-DCR-009"],
    "a missing grant_type defaults to client_credentials",
    require_grant_type=False,
)


def _text_plain(reply: Reply, state: Any) -> None:
    reply.media_type = "text/plain; charset=utf-8"


_reply(
    "dcr_token_error_text_plain",
    ["PSSO-DCR-010"],
    "token endpoint errors keep their JSON body but say Content-Type text/plain",
    "dcr_token",
    _when(400, _text_plain),
)
_setting(
    "dcr_duplicate_params_accepted",
    ["PSSO-DCR-011"],
    "a token request repeating a parameter is served (last value wins)",
    reject_duplicate_params=False,
)
_setting(
    "dcr_token_query_ignored",
    ["PSSO-DCR-012"],
    "token parameters in the query are ignored",
    dcr_token_query_params=False,
)


def _cacheable(reply: Reply, state: Any) -> None:
    reply.headers.pop("Cache-Control", None)
    reply.headers.pop("Pragma", None)


_reply(
    "dcr_token_cacheable",
    ["PSSO-DCR-013"],
    "token responses lose Cache-Control: no-store",
    "dcr_token",
    _when(201, _cacheable),
)

# ------------------------------------------------------------------------------- access token
_setting(
    "token_not_required",
    ["PSSO-AUTH-001", "PSSO-AUTH-007"],
    "calls without Authorization are served anonymously",
    require_access_token=False,
)
_setting(
    "token_not_validated",
    ["PSSO-AUTH-002"],
    "any bearer value is served anonymously",
    validate_access_token=False,
)
_setting(
    "application_link_unchecked",
    ["PSSO-AUTH-003"],
    "a token serves service providers its application is not linked to",
    check_application_link=False,
)
_setting(
    "authenticate_requires_token",
    ["PSSO-AUTH-004"],
    "a gateway asks non-browser calls to the authenticate endpoint for a bearer token (401)",
    authenticate_without_token=False,
)
_setting(
    "service_provider_unchecked",
    ["PSSO-AUTH-005"],
    "unknown service providers are not recognised as such (the token check answers 401 instead of 400)",
    check_service_provider=False,
)
_setting("wrong_method_404", ["PSSO-AUTH-006"], "a wrong HTTP method answers 404", reject_wrong_method=False)
_setting(
    "no_bearer_challenge",
    ["PSSO-AUTH-007"],
    "401 answers lack WWW-Authenticate: Bearer",
    bearer_challenge=False,
)

# ------------------------------------------------------------------------------------ headers
_setting(
    "device_identifier_optional",
    ["PSSO-HDR-001"],
    "a missing AP-Device-Identifier is served as one shared unknown device",
    require_device_identifier=False,
)
_setting(
    "device_identifier_unparsed",
    ["PSSO-HDR-002"],
    "AP-Device-Identifier is used as an opaque string, whatever its syntax",
    validate_device_identifier_format=False,
)
_setting(
    "configuration_needs_device_identifier",
    ["PSSO-HDR-003"],
    "configuration demands AP-Device-Identifier (as before release 3.4.0)",
    configuration_headers_optional=False,
)
_setting(
    "device_info_unparsed",
    ["PSSO-HDR-004"],
    "an undecodable X-Device-Info is silently ignored",
    validate_device_info=False,
)
_setting(
    "device_info_required",
    ["PSSO-HDR-005"],
    "a missing X-Device-Info answers 400",
    tolerate_missing_device_info=False,
)
_setting(
    "device_info_strict_keys",
    ["PSSO-HDR-006"],
    "X-Device-Info keys outside the documented table answer 400",
    tolerate_unknown_device_info_keys=False,
)

# ---------------------------------------------------------------------------------- isolation
_setting(
    "profiles_not_bound_to_device",
    ["PSSO-ISO-001"],
    "profiles are shared by every device of a registration",
    bind_profiles_to_device=False,
)
_setting(
    "profiles_not_bound_to_client",
    ["PSSO-ISO-002", "PSSO-SSO-005"],
    "profiles are shared by every registration on a device (so a second app sees them without SSO)",
    bind_profiles_to_client=False,
)
_setting(
    "code_not_bound_to_client",
    ["PSSO-ISO-003"],
    "any registration can read the profile behind a code",
    bind_code_to_client=False,
)
_setting(
    "sso_keyed_by_issuer_only",
    ["PSSO-ISO-004"],
    "SSO profiles are shared by every user of the platform identity issuer",
    sso_key_includes_subject=False,
)

# ------------------------------------------------------------------------------ configuration


def _drop_mvpds(reply: Reply, state: Any) -> None:
    reply.body.get("requestor", {}).pop("mvpds", None)
    reply.body.pop("mvpds", None)


_reply(
    "configuration_without_mvpds",
    ["PSSO-CFG-001"],
    "configuration lists no MVPDs",
    "configuration",
    _when(200, _drop_mvpds),
)
_setting(
    "configuration_lists_inactive",
    ["PSSO-CFG-002"],
    "configuration lists MVPDs with disabled integrations",
    configuration_hides_inactive=False,
)

# ----------------------------------------------------------------------------------- sessions


def _authenticate_direct(reply: Reply, state: Any) -> None:
    if reply.body.get("actionName") == "authenticate":
        reply.body["actionType"] = "direct"


_reply(
    "session_authenticate_direct",
    ["PSSO-SES-001"],
    "authenticate answers say actionType direct",
    "sessions_create",
    _when(200, _authenticate_direct),
)
_setting(
    "session_missing_parameters_rejected",
    ["PSSO-SES-002"],
    "missing session parameters answer 400 instead of a resumable session",
    resume_on_missing_parameters=False,
)
_setting(
    "session_missing_parameters_all",
    ["PSSO-SES-003"],
    "missingParameters lists every parameter, supplied or not",
    report_only_missing=False,
)
_setting(
    "session_ignores_profile",
    ["PSSO-SES-004"],
    "sessions ignore an existing regular profile",
    sessions_check_existing_profile=False,
)
_setting(
    "integration_unchecked",
    ["PSSO-SES-005"],
    "MVPDs with a disabled integration are accepted",
    check_integration=False,
)
_setting("mvpd_unchecked", ["PSSO-SES-006"], "unknown mvpd ids are accepted", check_mvpd_known=False)
_setting(
    "redirect_url_unchecked",
    ["PSSO-SES-007"],
    "malformed redirectUrl values are accepted",
    validate_redirect_url=False,
)


def _retry_as_resume(reply: Reply, state: Any) -> None:
    if reply.body.get("actionName") == "retry":
        reply.body["actionName"] = "resume"


_reply(
    "resume_says_resume",
    ["PSSO-SES-008"],
    "resume answers actionName resume instead of retry",
    "sessions_resume",
    _when(200, _retry_as_resume),
)
_reply(
    "unknown_code_404",
    ["PSSO-SES-009", "PSSO-SES-010", "PSSO-EEC-003"],
    "retrieving an unknown session answers 404",
    "sessions_retrieve",
    _when(400, _set_status(404)),
)
_setting("codes_never_expire", ["PSSO-SES-010"], "authentication codes outlive notAfter", expire_codes=False)


def _drop_device(reply: Reply, state: Any) -> None:
    reply.body.pop("device", None)


_reply(
    "session_status_without_device",
    ["PSSO-SES-011"],
    "session information lacks device",
    "sessions_retrieve",
    _when(200, _drop_device),
)


def _absolute_url(reply: Reply, state: Any) -> None:
    if isinstance(reply.body.get("url"), str) and reply.body["url"].startswith("/"):
        reply.body["url"] = state.public_url + reply.body["url"]


_reply(
    "session_urls_absolute",
    ["PSSO-SES-012"],
    "session urls are absolute instead of host-relative",
    "sessions_create",
    _when(200, _absolute_url),
)

# --------------------------------------------------------------------- user-agent authentication
_reply(
    "authenticate_307",
    ["PSSO-AUTHN-001"],
    "authenticate redirects with 307 instead of 302",
    "authenticate",
    _when(302, _set_status(307)),
)


def _status_404(reply: Reply, state: Any) -> None:
    body = reply.body.decode(errors="replace") if isinstance(reply.body, bytes) else str(reply.body)
    if reply.status == 400 and "Incomplete" not in body:  # unknown codes only, not incomplete sessions
        reply.status = 404


_reply(
    "authenticate_unknown_code_404",
    ["PSSO-AUTHN-002"],
    "authenticate answers 404 for unknown codes",
    "authenticate",
    _status_404,
)
_setting(
    "login_no_redirect",
    ["PSSO-AUTHN-003"],
    "after MVPD login the user agent stays on a page",
    redirect_after_login=False,
)


def _degraded(profile: dict[str, Any]) -> None:
    profile["type"] = "degraded"


_reply(
    "code_profile_wrong_type",
    ["PSSO-AUTHN-004"],
    "the profile behind a code says type degraded",
    "profiles_code",
    _when(200, _profiles(_degraded)),
)
_setting(
    "code_profile_pending_error",
    ["PSSO-AUTHN-005"],
    "a code not yet authenticated answers 400",
    empty_profiles_before_completion=False,
)
_setting(
    "mvpd_password_unchecked",
    ["PSSO-AUTHN-006"],
    "the MVPD login accepts any password",
    check_mvpd_password=False,
)
_setting(
    "authenticate_incomplete_session",
    ["PSSO-AUTHN-007"],
    "incomplete sessions are sent to the MVPD",
    authenticate_requires_complete_session=False,
)

# ----------------------------------------------------------------------------------- profiles


def _empty_as_list(reply: Reply, state: Any) -> None:
    if reply.body.get("profiles") == {}:
        reply.body["profiles"] = []


_reply(
    "empty_profiles_as_list",
    ["PSSO-PRF-001"],
    'no profiles answers {"profiles": []}',
    "profiles",
    _when(200, _empty_as_list),
)


def _flat_attributes(profile: dict[str, Any]) -> None:
    profile["attributes"] = {k: v.get("value") for k, v in profile.get("attributes", {}).items()}


_reply(
    "profile_attributes_flat",
    ["PSSO-PRF-002"],
    "profile attributes lose their {value, state} shape",
    "profiles",
    _when(200, _profiles(_flat_attributes)),
)
_setting(
    "expired_profiles_listed",
    ["PSSO-PRF-003"],
    "expired profiles are still listed",
    hide_expired_profiles=False,
)
_setting(
    "profiles_mvpd_unfiltered",
    ["PSSO-PRF-004"],
    "profiles for one mvpd list every mvpd",
    filter_profiles_by_mvpd=False,
)

# ---------------------------------------------------------------------------------- decisions


def _drop_source(item: dict[str, Any]) -> None:
    item.pop("source", None)


_reply(
    "decision_without_source",
    ["PSSO-DEC-001"],
    "authorize decisions lack source",
    "decisions_authorize",
    _when(200, _items(_drop_source)),
)
_setting(
    "deny_top_level",
    ["PSSO-DEC-002", "PSSO-EEC-002"],
    "an MVPD denial answers HTTP 403 instead of an item-level error",
    deny_at_item_level=False,
)
_setting(
    "resources_unchecked",
    ["PSSO-DEC-003"],
    "missing or malformed resources answer an empty decision list",
    validate_resources=False,
)
_setting(
    "preauthorize_with_token",
    ["PSSO-DEC-004"],
    "preauthorize permits carry a media token",
    preauthorize_without_token=False,
)
_setting(
    "too_many_resources_empty_list",
    ["PSSO-DEC-005"],
    "too many resources answer an empty decision list (the pre-3.4.0 bug)",
    limit_resources=False,
)
_setting(
    "decisions_without_profile_permit",
    ["PSSO-DEC-006", "PSSO-SSO-005"],
    "decisions permit without any profile",
    require_profile_for_decisions=False,
)


def _wrong_resource_token(reply: Reply, state: Any) -> None:
    for item in reply.body.get("decisions", []):
        token = item.get("token")
        if not token:
            continue
        compact = base64.b64decode(token["serializedToken"]).decode()
        segment = compact.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        claims["resource"] = claims["resource"] + "-other"
        token["serializedToken"] = base64.b64encode(
            state.key.sign(claims, {"typ": "media+jwt"}).encode()
        ).decode()


_reply(
    "media_token_wrong_resource",
    ["PSSO-DEC-007"],
    "the media token names another resource",
    "decisions_authorize",
    _when(200, _wrong_resource_token),
)


def _drop_mvpd(item: dict[str, Any]) -> None:
    item.pop("mvpd", None)


_reply(
    "preauthorize_without_mvpd",
    ["PSSO-DEC-008"],
    "preauthorize decisions lack mvpd",
    "decisions_preauthorize",
    _when(200, _items(_drop_mvpd)),
)

# ------------------------------------------------------------------------------------- logout


def _drop_logout_url(action: dict[str, Any]) -> None:
    if action.get("actionName") == "logout":
        action.pop("url", None)


_reply(
    "logout_without_url",
    ["PSSO-OUT-001", "PSSO-OUT-006"],
    "logout actions lack the MVPD logout url",
    "logout",
    _when(200, _logouts(_drop_logout_url)),
)
_setting(
    "logout_endpoint_ignored",
    ["PSSO-OUT-002"],
    "MVPDs without a logout endpoint still get logout/interactive",
    honour_mvpd_logout_endpoint=False,
)


def _invalid_as_complete(action: dict[str, Any]) -> None:
    if action.get("actionName") == "invalid":
        action["actionName"] = "complete"


_reply(
    "logout_invalid_as_complete",
    ["PSSO-OUT-003"],
    "logout without a profile answers complete",
    "logout",
    _when(200, _logouts(_invalid_as_complete)),
)
_setting(
    "logout_keeps_profile",
    ["PSSO-OUT-004"],
    "logout leaves the caller's regular profile in place",
    logout_deletes_profile=False,
)
_setting(
    "logout_redirect_url_optional",
    ["PSSO-OUT-005"],
    "logout without redirectUrl is served",
    logout_requires_redirect_url=False,
)
_setting(
    "mvpd_logout_no_redirect",
    ["PSSO-OUT-006"],
    "the MVPD logout page never returns to redirectUrl",
    mvpd_logout_redirects=False,
)

# ------------------------------------------------------------------------------------- errors


def _status_as_string(reply: Reply, state: Any) -> None:
    if reply.status >= 400 and isinstance(reply.body, dict) and "status" in reply.body:
        reply.body["status"] = str(reply.body["status"])


_reply(
    "eec_status_string",
    ["PSSO-EEC-001"],
    "session errors carry status as a string",
    "sessions_create",
    _status_as_string,
)


def _item_error_without_action(item: dict[str, Any]) -> None:
    if isinstance(item.get("error"), dict):
        item["error"].pop("action", None)


_reply(
    "eec_item_without_action",
    ["PSSO-EEC-002"],
    "item-level errors of authorize lack action",
    "decisions_authorize",
    _when(200, _items(_item_error_without_action)),
)


def _retry_action(reply: Reply, state: Any) -> None:
    if reply.body.get("code") == "invalid_access_token_client_application":
        reply.body["action"] = "retry"


_reply(
    "eec_wrong_action",
    ["PSSO-EEC-003"],
    "401 answers of the profiles endpoint say action retry instead of application-registration",
    "profiles",
    _when(401, _retry_action),
)

# --------------------------------------------------------------------------------- throttling
_setting("throttling_off", ["PSSO-THR-001"], "no throttling at all", throttle_burst=0)
_setting(
    "throttle_slow_refill",
    ["PSSO-THR-002"],
    "a throttled device stays throttled for 5 s",
    throttle_rate_per_s=0.2,
)

# -------------------------------------------------------------------------- platform identity SSO
_setting(
    "sso_profiles_not_listed",
    ["PSSO-SSO-001", "PSSO-SSO-002", "PSSO-SSO-010", "PSSO-SSO-011"],
    "the Profiles endpoints do not show platformSSO profiles",
    sso_in_profiles=False,
)
_setting(
    "jwe_subject_token_ignored",
    ["PSSO-SSO-002"],
    "JWE subject tokens are ignored",
    accept_jwe_subject_token=False,
)
_setting(
    "sso_sessions_ignore_token",
    ["PSSO-SSO-003"],
    "sessions do not look for SSO profiles",
    sessions_find_sso_profile=False,
)
_setting(
    "sso_decisions_ignore_token",
    ["PSSO-SSO-004"],
    "decisions do not look for SSO profiles",
    decisions_find_sso_profile=False,
)
_setting(
    "sso_by_device",
    ["PSSO-SSO-005"],
    "without a subject token SSO profiles are found through the device id",
    sso_requires_token=False,
)
_setting(
    "subject_token_garbage_rejected",
    ["PSSO-SSO-006"],
    "a subject token that is not a JWS/JWE answers 400",
    tolerate_bad_subject_token=False,
)
_setting(
    "subject_token_signature_unchecked",
    ["PSSO-SSO-007"],
    "subject token signatures are not verified (alg none and foreign keys accepted)",
    verify_subject_token_signature=False,
)
_setting(
    "subject_token_expiry_unchecked",
    ["PSSO-SSO-007"],
    "expired subject tokens still give SSO",
    check_subject_token_expiry=False,
)
_setting(
    "sso_logout_keeps_sso",
    ["PSSO-SSO-008", "PSSO-SSO-009"],
    "logout with the subject token leaves the SSO profile (and the first app's profile) in place",
    logout_removes_sso=False,
)
_setting(
    "single_logout_keeps_origin",
    ["PSSO-SSO-009"],
    "single logout leaves the first app's profile in place",
    single_logout_removes_origin=False,
)
_setting(
    "sso_own_ttl",
    ["PSSO-SSO-010"],
    "SSO profiles get a fresh validity instead of the first app's",
    sso_shares_origin_ttl=False,
)
_setting(
    "roku_token_ignored",
    ["PSSO-SSO-011"],
    "X-Roku-Reserved-Roku-Connect-Token is ignored",
    accept_roku_connect_token=False,
)
