"""Faults of the `platform_sso` reference server: each breaks one behaviour a requirement names.

Most reshape one endpoint's reply (``ENDPOINTS``, see reference_server/platform_sso/context.py).
What a reply cannot fake (what the server accepts, checks, keeps or finds, and behaviour shared
by every endpoint) is a ``Deviations`` switch; a profile feature or a limit set wrongly is a
``Settings`` value.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from conformance.jose import claims_of
from reference_server.faults import ReplyTransform
from reference_server.faults.transforms import (
    Faults,
    drop_headers,
    drop_members,
    edit_body,
    on_error,
    on_success,
    set_media_type,
    set_status,
    when_status,
)
from reference_server.platform_sso import CONTRACT, ENDPOINTS, config, pages
from reference_server.reply import Reply

F = Faults(CONTRACT)
E = ENDPOINTS
Body = dict[str, Any]


# --- contract-specific transforms -----------------------------------------------------------------


def _eec_status(new: int) -> ReplyTransform:
    """A new HTTP status, mirrored in the EEC body's ``status``."""

    def transform(reply: Reply, state: Any) -> None:
        reply.status = new
        body = reply.json_object()
        if body is not None and "status" in body:
            body["status"] = new

    return transform


def _each_decision(fn: Callable[[Body], None]) -> ReplyTransform:
    def each(body: Body) -> None:
        for item in body.get("decisions", []):
            fn(item)

    return on_success(edit_body(each))


def _each_logout(fn: Callable[[Body], None]) -> ReplyTransform:
    def each(body: Body) -> None:
        for action in body.get("logouts", {}).values():
            fn(action)

    return on_success(edit_body(each))


def _each_profile(fn: Callable[[Body], None]) -> ReplyTransform:
    def each(body: Body) -> None:
        profiles = body.get("profiles")
        for profile in profiles.values() if isinstance(profiles, dict) else ():
            fn(profile)

    return on_success(edit_body(each))


def _replace_with(page: Callable[[], Reply]) -> ReplyTransform:
    """The reply becomes ``page`` (an HTML page where a redirect was due)."""

    def transform(reply: Reply, state: Any) -> None:
        shown = page()
        reply.status = shown.status
        reply.body = shown.body
        reply.headers = shown.headers
        reply.media_type = shown.media_type

    return transform


# ----------------------------------------------------------------------------------------- DCR
F.reply(
    "dcr_register_200",
    ["PSSO-DCR-001"],
    "registration answers 200 instead of 201",
    E.dcr_register,
    when_status(201, set_status(200)),
)
F.deviate(
    "dcr_register_without_statement",
    ["PSSO-DCR-002"],
    "a registration without software_statement gets credentials",
    accept_missing_software_statement=True,
)
F.deviate(
    "dcr_statement_signature_unchecked",
    ["PSSO-DCR-003"],
    "software statement signatures are not verified (alg none and foreign keys accepted)",
    skip_statement_signature_check=True,
)
F.deviate(
    "dcr_revoked_statement_accepted",
    ["PSSO-DCR-004"],
    "revoked software statements still register",
    skip_revocation_check=True,
)
F.deviate(
    "dcr_redirect_uri_unchecked",
    ["PSSO-DCR-005"],
    "redirect_uri is not checked against the application's domains",
    skip_redirect_uri_domain_check=True,
)
F.reply(
    "dcr_token_200",
    ["PSSO-DCR-006"],
    "the token endpoint answers 200 instead of 201",
    E.dcr_token,
    when_status(201, set_status(200)),
)
F.deviate(
    "dcr_token_secret_unchecked",
    ["PSSO-DCR-007"],
    "a known client_id gets a token whatever client_secret it sends",
    skip_client_secret_check=True,
)
F.deviate(
    "dcr_any_grant_type",
    ["PSSO-DCR-008"],
    "any grant_type is treated as client_credentials",
    accept_any_grant_type=True,
)
F.deviate(
    "dcr_grant_type_defaulted",
    ["PSSO-DCR-009"],
    "a missing grant_type defaults to client_credentials",
    default_missing_grant_type=True,
)
F.reply(
    "dcr_token_error_text_plain",
    ["PSSO-DCR-010"],
    "token endpoint errors keep their JSON body but say Content-Type text/plain",
    E.dcr_token,
    when_status(400, set_media_type("text/plain; charset=utf-8")),
)
F.deviate(
    "dcr_duplicate_params_accepted",
    ["PSSO-DCR-011"],
    "a token request repeating a parameter is served (last value wins)",
    accept_duplicate_params=True,
)
F.configure(
    "dcr_token_query_ignored",
    ["PSSO-DCR-012"],
    "token parameters in the query are ignored",
    dcr_token_query_params=False,
)
F.reply(
    "dcr_token_cacheable",
    ["PSSO-DCR-013"],
    "token responses lose Cache-Control: no-store",
    E.dcr_token,
    when_status(201, drop_headers("Cache-Control", "Pragma")),
)

# ------------------------------------------------------------------------------- access token
F.deviate(
    "token_not_required",
    ["PSSO-AUTH-001", "PSSO-AUTH-007"],
    "calls without Authorization are served anonymously",
    serve_without_access_token=True,
)
F.deviate(
    "token_not_validated",
    ["PSSO-AUTH-002"],
    "any bearer value is served anonymously",
    serve_unknown_access_token=True,
)
F.deviate(
    "application_link_unchecked",
    ["PSSO-AUTH-003"],
    "a token serves service providers its application is not linked to",
    skip_application_link_check=True,
)
F.deviate(
    "authenticate_requires_token",
    ["PSSO-AUTH-004"],
    "a gateway asks non-browser calls to the authenticate endpoint for a bearer token (401)",
    authenticate_requires_token=True,
)
F.deviate(
    "service_provider_unchecked",
    ["PSSO-AUTH-005"],
    "unknown service providers are not recognised as such (the token check answers 401 instead of 400)",
    skip_service_provider_check=True,
)
F.deviate(
    "wrong_method_404", ["PSSO-AUTH-006"], "a wrong HTTP method answers 404", wrong_method_not_found=True
)
F.deviate(
    "no_bearer_challenge",
    ["PSSO-AUTH-007"],
    "401 answers lack WWW-Authenticate: Bearer",
    omit_bearer_challenge=True,
)

# ------------------------------------------------------------------------------------ headers
F.deviate(
    "device_identifier_optional",
    ["PSSO-HDR-001"],
    "a missing AP-Device-Identifier is served as one shared unknown device",
    default_missing_device_identifier=True,
)
F.deviate(
    "device_identifier_unparsed",
    ["PSSO-HDR-002"],
    "AP-Device-Identifier is used as an opaque string, whatever its syntax",
    opaque_device_identifier=True,
)
F.deviate(
    "configuration_needs_device_identifier",
    ["PSSO-HDR-003"],
    "configuration demands AP-Device-Identifier (as before release 3.4.0)",
    configuration_requires_device_identifier=True,
)
F.deviate(
    "device_info_unparsed",
    ["PSSO-HDR-004"],
    "an undecodable X-Device-Info is silently ignored",
    ignore_malformed_device_info=True,
)
F.deviate(
    "device_info_required",
    ["PSSO-HDR-005"],
    "a missing X-Device-Info answers 400",
    require_device_info=True,
)
F.deviate(
    "device_info_strict_keys",
    ["PSSO-HDR-006"],
    "X-Device-Info keys outside the documented table answer 400",
    reject_unknown_device_info_keys=True,
)

# ---------------------------------------------------------------------------------- isolation
F.deviate(
    "profiles_not_bound_to_device",
    ["PSSO-ISO-001"],
    "profiles are shared by every device of a registration",
    share_profiles_across_devices=True,
)
F.deviate(
    "profiles_not_bound_to_client",
    ["PSSO-ISO-002", "PSSO-SSO-005"],
    "profiles are shared by every registration on a device (so a second app sees them without SSO)",
    share_profiles_across_clients=True,
)
F.deviate(
    "code_not_bound_to_client",
    ["PSSO-ISO-003"],
    "any registration can read the profile behind a code",
    share_code_across_clients=True,
)
F.deviate(
    "sso_keyed_by_issuer_only",
    ["PSSO-ISO-004"],
    "SSO profiles are shared by every user of the platform identity issuer",
    sso_keyed_by_issuer_only=True,
)

# ------------------------------------------------------------------------------ configuration


def _drop_mvpds(body: Body) -> None:
    body.get("requestor", {}).pop("mvpds", None)
    body.pop("mvpds", None)


def _list_inactive_mvpds(reply: Reply, state: Any) -> None:
    """Every configured MVPD, in the configured order, whether its integration is active or not."""
    requestor = reply.body.get("requestor", {})
    requestor["mvpds"] = [config.mvpd_entry(m) for m in state.settings(CONTRACT).mvpds]


F.reply(
    "configuration_without_mvpds",
    ["PSSO-CFG-001"],
    "configuration lists no MVPDs",
    E.configuration,
    on_success(edit_body(_drop_mvpds)),
)
F.reply(
    "configuration_lists_inactive",
    ["PSSO-CFG-002"],
    "configuration lists MVPDs with disabled integrations",
    E.configuration,
    on_success(_list_inactive_mvpds),
)

# ----------------------------------------------------------------------------------- sessions


def _authenticate_direct(body: Body) -> None:
    if body.get("actionName") == "authenticate":
        body["actionType"] = "direct"


def _retry_as_resume(body: Body) -> None:
    if body.get("actionName") == "retry":
        body["actionName"] = "resume"


def _absolute_url(reply: Reply, state: Any) -> None:
    url = reply.body.get("url")
    if isinstance(url, str) and url.startswith("/"):
        reply.body["url"] = state.public_url + url


F.reply(
    "session_authenticate_direct",
    ["PSSO-SES-001"],
    "authenticate answers say actionType direct",
    E.sessions_create,
    on_success(edit_body(_authenticate_direct)),
)
F.deviate(
    "session_missing_parameters_rejected",
    ["PSSO-SES-002"],
    "missing session parameters answer 400 instead of a resumable session",
    reject_missing_session_parameters=True,
)
F.deviate(
    "session_missing_parameters_all",
    ["PSSO-SES-003"],
    "missingParameters lists every parameter, supplied or not",
    report_all_parameters_missing=True,
)
F.deviate(
    "session_ignores_profile",
    ["PSSO-SES-004"],
    "sessions ignore an existing regular profile",
    sessions_ignore_existing_profile=True,
)
F.deviate(
    "integration_unchecked",
    ["PSSO-SES-005"],
    "MVPDs with a disabled integration are accepted",
    skip_integration_check=True,
)
F.deviate("mvpd_unchecked", ["PSSO-SES-006"], "unknown mvpd ids are accepted", accept_unknown_mvpd=True)
F.deviate(
    "redirect_url_unchecked",
    ["PSSO-SES-007"],
    "malformed redirectUrl values are accepted",
    skip_redirect_url_check=True,
)
F.reply(
    "resume_says_resume",
    ["PSSO-SES-008"],
    "resume answers actionName resume instead of retry",
    E.sessions_resume,
    on_success(edit_body(_retry_as_resume)),
)
F.reply(
    "unknown_code_404",
    ["PSSO-SES-009", "PSSO-SES-010", "PSSO-EEC-003"],
    "retrieving an unknown session answers 404",
    E.sessions_retrieve,
    when_status(400, _eec_status(404)),
)
F.deviate(
    "codes_never_expire", ["PSSO-SES-010"], "authentication codes outlive notAfter", codes_never_expire=True
)
F.reply(
    "session_status_without_device",
    ["PSSO-SES-011"],
    "session information lacks device",
    E.sessions_retrieve,
    on_success(drop_members("device")),
)
F.reply(
    "session_urls_absolute",
    ["PSSO-SES-012"],
    "session urls are absolute instead of host-relative",
    E.sessions_create,
    on_success(_absolute_url),
)

# --------------------------------------------------------------------- user-agent authentication


def _unknown_code_404(reply: Reply, state: Any) -> None:
    """Unknown codes only: an incomplete session keeps its 400."""
    text = reply.body.decode(errors="replace") if isinstance(reply.body, bytes) else str(reply.body)
    if reply.status == 400 and "Incomplete" not in text:
        reply.status = 404


def _degraded(profile: Body) -> None:
    profile["type"] = "degraded"


F.reply(
    "authenticate_307",
    ["PSSO-AUTHN-001"],
    "authenticate redirects with 307 instead of 302",
    E.authenticate,
    when_status(302, set_status(307)),
)
F.reply(
    "authenticate_unknown_code_404",
    ["PSSO-AUTHN-002"],
    "authenticate answers 404 for unknown codes",
    E.authenticate,
    _unknown_code_404,
)
F.reply(
    "login_no_redirect",
    ["PSSO-AUTHN-003"],
    "after MVPD login the user agent stays on a page",
    E.mvpd_login,
    when_status(302, _replace_with(pages.signed_in)),
)
F.reply(
    "code_profile_wrong_type",
    ["PSSO-AUTHN-004"],
    "the profile behind a code says type degraded",
    E.profiles_code,
    _each_profile(_degraded),
)
F.deviate(
    "code_profile_pending_error",
    ["PSSO-AUTHN-005"],
    "a code not yet authenticated answers 400",
    code_profile_pending_error=True,
)
F.deviate(
    "mvpd_password_unchecked",
    ["PSSO-AUTHN-006"],
    "the MVPD login accepts any password",
    skip_mvpd_password_check=True,
)
F.deviate(
    "authenticate_incomplete_session",
    ["PSSO-AUTHN-007"],
    "incomplete sessions are sent to the MVPD",
    authenticate_incomplete_session=True,
)

# ----------------------------------------------------------------------------------- profiles


def _empty_as_list(body: Body) -> None:
    if body.get("profiles") == {}:
        body["profiles"] = []


def _flat_attributes(profile: Body) -> None:
    profile["attributes"] = {k: v.get("value") for k, v in profile.get("attributes", {}).items()}


F.reply(
    "empty_profiles_as_list",
    ["PSSO-PRF-001"],
    'no profiles answers {"profiles": []}',
    E.profiles,
    on_success(edit_body(_empty_as_list)),
)
F.reply(
    "profile_attributes_flat",
    ["PSSO-PRF-002"],
    "profile attributes lose their {value, state} shape",
    E.profiles,
    _each_profile(_flat_attributes),
)
F.deviate(
    "expired_profiles_listed",
    ["PSSO-PRF-003"],
    "expired profiles are still listed",
    list_expired_profiles=True,
)
F.deviate(
    "profiles_mvpd_unfiltered",
    ["PSSO-PRF-004"],
    "profiles for one mvpd list every mvpd",
    skip_profiles_mvpd_filter=True,
)

# ---------------------------------------------------------------------------------- decisions


def _drop_source(item: Body) -> None:
    item.pop("source", None)


def _drop_mvpd(item: Body) -> None:
    item.pop("mvpd", None)


def _token_for_other_resource(reply: Reply, state: Any) -> None:
    """Re-sign each media token with its ``resource`` claim changed."""
    for item in reply.body.get("decisions", []):
        token = item.get("token")
        if not token:
            continue
        claims = claims_of(base64.b64decode(token["serializedToken"]).decode())
        if claims is None:
            continue
        claims["resource"] = claims["resource"] + "-other"
        signed = state.key.sign(claims, {"typ": "media+jwt"})
        token["serializedToken"] = base64.b64encode(signed.encode()).decode()


F.reply(
    "decision_without_source",
    ["PSSO-DEC-001"],
    "authorize decisions lack source",
    E.decisions_authorize,
    _each_decision(_drop_source),
)
F.deviate(
    "deny_top_level",
    ["PSSO-DEC-002", "PSSO-EEC-002"],
    "an MVPD denial answers HTTP 403 instead of an item-level error",
    deny_top_level=True,
)
F.deviate(
    "resources_unchecked",
    ["PSSO-DEC-003"],
    "missing or malformed resources answer an empty decision list",
    accept_malformed_resources=True,
)
F.deviate(
    "preauthorize_with_token",
    ["PSSO-DEC-004"],
    "preauthorize permits carry a media token",
    preauthorize_with_token=True,
)
F.deviate(
    "too_many_resources_empty_list",
    ["PSSO-DEC-005"],
    "too many resources answer an empty decision list (the pre-3.4.0 bug)",
    too_many_resources_empty_list=True,
)
F.deviate(
    "decisions_without_profile_permit",
    ["PSSO-DEC-006", "PSSO-SSO-005", "PSSO-SSO-016"],
    "decisions permit without any profile",
    permit_without_profile=True,
)
F.reply(
    "media_token_wrong_resource",
    ["PSSO-DEC-007"],
    "the media token names another resource",
    E.decisions_authorize,
    on_success(_token_for_other_resource),
)
F.reply(
    "preauthorize_without_mvpd",
    ["PSSO-DEC-008"],
    "preauthorize decisions lack mvpd",
    E.decisions_preauthorize,
    _each_decision(_drop_mvpd),
)

# ------------------------------------------------------------------------------------- logout


def _drop_logout_url(action: Body) -> None:
    if action.get("actionName") == "logout":
        action.pop("url", None)


def _invalid_as_complete(action: Body) -> None:
    if action.get("actionName") == "invalid":
        action["actionName"] = "complete"


F.reply(
    "logout_without_url",
    ["PSSO-OUT-001", "PSSO-OUT-006"],
    "logout actions lack the MVPD logout url",
    E.logout,
    _each_logout(_drop_logout_url),
)
F.deviate(
    "logout_endpoint_ignored",
    ["PSSO-OUT-002"],
    "MVPDs without a logout endpoint still get logout/interactive",
    ignore_mvpd_logout_endpoint=True,
)
F.reply(
    "logout_invalid_as_complete",
    ["PSSO-OUT-003"],
    "logout without a profile answers complete",
    E.logout,
    _each_logout(_invalid_as_complete),
)
F.deviate(
    "logout_keeps_profile",
    ["PSSO-OUT-004"],
    "logout leaves the caller's regular profile in place",
    logout_keeps_profile=True,
)
F.configure(
    "logout_redirect_url_optional",
    ["PSSO-OUT-005"],
    "logout without redirectUrl is served",
    logout_requires_redirect_url=False,
)
F.reply(
    "mvpd_logout_no_redirect",
    ["PSSO-OUT-006"],
    "the MVPD logout page never returns to redirectUrl",
    E.mvpd_logout,
    when_status(302, _replace_with(pages.signed_out)),
)

# ------------------------------------------------------------------------------------- errors


def _status_as_string(body: Body) -> None:
    if "status" in body:
        body["status"] = str(body["status"])


def _status_403(body: Body) -> None:
    if "status" in body:
        body["status"] = 403


def _item_error_without_action(item: Body) -> None:
    if isinstance(item.get("error"), dict):
        item["error"].pop("action", None)


def _retry_action(body: Body) -> None:
    if body.get("code") == "invalid_access_token_client_application":
        body["action"] = "retry"


F.reply(
    "eec_status_string",
    ["PSSO-EEC-001"],
    "session errors carry status as a string",
    E.sessions_create,
    on_error(edit_body(_status_as_string)),
)
F.reply(
    "eec_without_action",
    ["PSSO-EEC-001"],
    "session errors lack action",
    E.sessions_create,
    on_error(drop_members("action")),
)
F.reply(
    "eec_status_mismatch",
    ["PSSO-EEC-001"],
    "400 answers of authorize say status 403 in the body",
    E.decisions_authorize,
    when_status(400, edit_body(_status_403)),
)
F.reply(
    "eec_item_without_action",
    ["PSSO-EEC-002"],
    "item-level errors of authorize lack action",
    E.decisions_authorize,
    _each_decision(_item_error_without_action),
)
F.reply(
    "eec_wrong_action",
    ["PSSO-EEC-003"],
    "401 answers of the profiles endpoint say action retry instead of application-registration",
    E.profiles,
    when_status(401, edit_body(_retry_action)),
)

# --------------------------------------------------------------------------------- throttling
F.configure("throttling_off", ["PSSO-THR-001"], "no throttling at all", throttle_burst=0)
F.configure(
    "throttle_slow_refill",
    ["PSSO-THR-002"],
    "a throttled device stays throttled for 5 s",
    throttle_rate_per_s=0.2,
)

# -------------------------------------------------------------------------- platform identity SSO
F.deviate(
    "sso_profiles_not_listed",
    ["PSSO-SSO-001", "PSSO-SSO-002", "PSSO-SSO-010", "PSSO-SSO-011"],
    "the Profiles endpoints do not show platformSSO profiles",
    hide_sso_profiles=True,
)
F.configure(
    "jwe_subject_token_ignored",
    ["PSSO-SSO-002"],
    "JWE subject tokens are ignored",
    accept_jwe_subject_token=False,
)
F.deviate(
    "sso_sessions_ignore_token",
    ["PSSO-SSO-003"],
    "sessions do not look for SSO profiles",
    sessions_ignore_sso=True,
)
F.deviate(
    "sso_decisions_ignore_token",
    ["PSSO-SSO-004"],
    "decisions do not look for SSO profiles",
    decisions_ignore_sso=True,
)
F.deviate(
    "sso_by_device",
    ["PSSO-SSO-005"],
    "without a subject token SSO profiles are found through the device id",
    sso_by_device=True,
)
F.deviate(
    "subject_token_garbage_rejected",
    ["PSSO-SSO-006"],
    "a subject token that is not a JWS/JWE answers 400",
    reject_garbage_subject_token=True,
)
F.deviate(
    "subject_token_unsigned_accepted",
    ["PSSO-SSO-013"],
    "subject tokens with alg none are taken at their word",
    accept_unsigned_subject_token=True,
)
F.deviate(
    "subject_token_signature_unchecked",
    ["PSSO-SSO-014"],
    "subject token signatures are not verified (an RS256/ES256 token signed by any key is accepted)",
    skip_subject_token_signature_check=True,
)
F.deviate(
    "subject_token_expiry_unchecked",
    ["PSSO-SSO-012"],
    "expired subject tokens still give SSO",
    skip_subject_token_expiry_check=True,
)
F.deviate(
    "subject_token_issuer_unchecked",
    ["PSSO-SSO-007"],
    "subject tokens of any issuer give SSO",
    skip_subject_token_issuer_check=True,
)
F.deviate(
    "subject_token_audience_unchecked",
    ["PSSO-SSO-015"],
    "subject tokens addressed to another audience give SSO",
    skip_subject_token_audience_check=True,
)
F.deviate(
    "sso_remembered_without_token",
    ["PSSO-SSO-016"],
    "a registration that used SSO keeps it on its device after dropping the subject token",
    sso_remembered_without_token=True,
)
F.deviate(
    "sso_logout_keeps_sso",
    ["PSSO-SSO-008", "PSSO-SSO-009"],
    "logout with the subject token leaves the SSO profile (and the first app's profile) in place",
    logout_keeps_sso=True,
)
F.deviate(
    "single_logout_keeps_origin",
    ["PSSO-SSO-009"],
    "single logout leaves the first app's profile in place",
    single_logout_keeps_origin=True,
)
F.deviate(
    "sso_own_ttl",
    ["PSSO-SSO-010"],
    "SSO profiles get a fresh validity instead of the first app's",
    sso_own_ttl=True,
)
F.configure(
    "roku_token_ignored",
    ["PSSO-SSO-011"],
    "X-Roku-Reserved-Roku-Connect-Token is ignored",
    accept_roku_connect_token=False,
)
