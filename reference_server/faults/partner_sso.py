"""Faults of the `partner_sso` reference server: each breaks one behaviour a requirement of
conformance/catalogue/partner_sso.toml names (docs/partner_sso.md is the design).

Most reshape one endpoint's reply (``ENDPOINTS`` of reference_server/partner_sso); what a reply
cannot fake (what the server accepts, checks, keeps or finds) is a ``Deviations`` switch of the
REST API v2 core (reference_server/platform_sso/settings.py), applied to this contract's mount only.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from typing import Any

from reference_server.faults import ReplyTransform
from reference_server.faults.transforms import (
    Faults,
    drop_members,
    edit_body,
    on_error,
    on_success,
    set_status,
    when_status,
)
from reference_server.partner_sso import CONTRACT, ENDPOINTS
from reference_server.platform_sso.errors import error_object
from reference_server.reply import Reply

F = Faults(CONTRACT)
E = ENDPOINTS
Body = dict[str, Any]


# --- contract-specific transforms -----------------------------------------------------------------


def _when_action(name: str, fn: Callable[[Body], None]) -> ReplyTransform:
    """Sessions Partner answers whose actionName is ``name``."""

    def edit(body: Body) -> None:
        if body.get("actionName") == name:
            fn(body)

    return on_success(edit_body(edit))


def _each_profile(fn: Callable[[Body], None]) -> ReplyTransform:
    def each(body: Body) -> None:
        profiles = body.get("profiles")
        for profile in profiles.values() if isinstance(profiles, dict) else ():
            if isinstance(profile, dict):
                fn(profile)

    return on_success(edit_body(each))


def _recode(old: str, new: str) -> ReplyTransform:
    """A top-level EEC error ``old`` answered as ``new`` (same status)."""

    def transform(reply: Reply, state: Any) -> None:
        body = reply.json_object()
        if body is not None and body.get("code") == old:
            reply.body = error_object(new, body.get("details"), reply.status)

    return on_error(transform)


def _crash_when(*details: str) -> ReplyTransform:
    """The SAML refusals with these details answered as a 500 (an unhandled parser error)."""

    def transform(reply: Reply, state: Any) -> None:
        body = reply.json_object()
        if body and body.get("code") == "invalid_parameter_saml_response" and body.get("details") in details:
            reply.status = 500
            reply.body = error_object("internal_server_error")

    return transform


def _request_issuer(body: Body) -> None:
    request = body.get("authenticationRequest")
    if not isinstance(request, dict):
        return
    try:
        xml = base64.b64decode(request["request"])
    except (binascii.Error, KeyError, TypeError, ValueError):
        return
    xml = xml.replace(b"https://saml.sp.auth.adobe.com", b"https://sp.auth.adobe.com/sp/saml")
    request["request"] = base64.b64encode(xml).decode()


def _dead_code(body: Body) -> None:
    """A fallback answer naming a code no session has (its url follows)."""
    if not str(body.get("reasonType", "")).endswith("_fallback") or "code" not in body:
        return
    old, new = (
        body["code"],
        "Z" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
    )
    body["code"] = new
    if isinstance(body.get("url"), str):
        body["url"] = body["url"].replace(old, new)


def _no_platform_mapping(body: Body) -> None:
    for mvpd in (body.get("requestor") or {}).get("mvpds") or []:
        if isinstance(mvpd, dict):
            mvpd.pop("platformMappingId", None)


def _apple_issuer_is_mvpd(body: Body) -> None:
    for mvpd, profile in (body.get("profiles") or {}).items():
        if isinstance(profile, dict) and profile.get("type") == "appleSSO":
            profile["issuer"] = mvpd


def _profiles_keyed_by_platform_id(reply: Reply, state: Any) -> None:
    profiles = reply.body.get("profiles") if isinstance(reply.body, dict) else None
    if not isinstance(profiles, dict):
        return
    settings = state.settings(CONTRACT)
    for mvpd_id in list(profiles):
        mvpd = settings.mvpd(mvpd_id)
        if mvpd is not None and mvpd.platform_mapping_id:
            profiles[mvpd.platform_mapping_id] = profiles.pop(mvpd_id)


def _each_permit(fn: Callable[[Body], None]) -> ReplyTransform:
    def each(body: Body) -> None:
        for item in body.get("decisions") or []:
            if isinstance(item, dict) and item.get("authorized") is True:
                fn(item)

    return on_success(edit_body(each))


def _each_deny(fn: Callable[[Body], None]) -> ReplyTransform:
    def each(body: Body) -> None:
        for item in body.get("decisions") or []:
            if isinstance(item, dict) and item.get("authorized") is False:
                fn(item)

    return on_success(edit_body(each))


def _partner_logout_with_url(body: Body) -> None:
    for mvpd, action in (body.get("logouts") or {}).items():
        if isinstance(action, dict) and action.get("actionName") == "partner_logout":
            action["url"] = f"/mvpd/{mvpd}/logout"


# -------------------------------------------------------------------------- registration, config
F.reply(
    "dcr_register_200",
    ["PTR-REG-001"],
    "registration answers 200 instead of 201",
    E.dcr_register,
    when_status(201, set_status(200)),
)
F.reply(
    "configuration_without_platform_mapping",
    ["PTR-CFG-001"],
    "Configuration omits platformMappingId, so the application cannot map the partner's provider id",
    E.configuration,
    on_success(edit_body(_no_platform_mapping)),
)

# ---------------------------------------------------------------------------- Sessions Partner
F.reply(
    "partner_profile_interactive",
    ["PTR-SESS-001"],
    "partner_profile answers say actionType interactive instead of direct",
    E.sessions_partner,
    _when_action("partner_profile", lambda b: b.update(actionType="interactive")),
)
F.reply(
    "authentication_request_attributes_old_name",
    ["PTR-SESS-002", "PTR-SCHEMA-001"],
    "authenticationRequest names its attribute list `attributes` (the name before 2025-04-28)",
    E.sessions_partner,
    _when_action(
        "partner_profile",
        lambda b: b["authenticationRequest"].update(
            attributes=b["authenticationRequest"].pop("attributesNames")
        ),
    ),
)
F.reply(
    "authentication_request_wrong_issuer",
    ["PTR-SESS-003"],
    "the SAML request's Issuer is not https://saml.sp.auth.adobe.com (the framework's channelIdentifier)",
    E.sessions_partner,
    _when_action("partner_profile", _request_issuer),
)
F.reply(
    "partner_profile_with_code",
    ["PTR-SESS-004", "PTR-SCHEMA-001"],
    "partner_profile answers also carry a code",
    E.sessions_partner,
    _when_action("partner_profile", lambda b: b.update(code="PTRCODE")),
)
for status, rid in (
    ("denied", "PTR-SESS-005"),
    ("restricted", "PTR-SESS-006"),
    ("notDetermined", "PTR-SESS-007"),
):
    F.deviate(
        f"sessions_partner_{status.lower()}_error",
        [rid],
        f"Sessions Partner answers a PFS with accessStatus {status} with a 400 instead of pfs_fallback",
        partner_sessions_error_for=(status,),
    )
F.deviate(
    "sessions_partner_absent_pfs_error",
    ["PTR-SESS-008"],
    "Sessions Partner without a PFS header answers 400 instead of pfs_fallback",
    partner_sessions_error_for=("absent",),
)
F.deviate(
    "sessions_partner_malformed_pfs_error",
    ["PTR-SESS-009"],
    "Sessions Partner answers a PFS that is not Base64 of a JSON object with a 400 instead of pfs_fallback",
    partner_sessions_error_for=("malformed",),
)
F.deviate(
    "sessions_partner_invalid_pfs_error",
    ["PTR-SESS-010"],
    "Sessions Partner answers a pending, expired or unknown-provider PFS with a 400 instead of pfs_fallback",
    partner_sessions_error_for=("pending", "expired", "unknown_provider"),
)
F.deviate(
    "sessions_partner_platform_services_ignored",
    ["PTR-SESS-011"],
    "an MVPD with platform services disabled still gets partner_profile (no configuration_fallback)",
    partner_sessions_ignore_platform_services=True,
)
F.deviate(
    "sessions_partner_missing_parameters_error",
    ["PTR-SESS-012"],
    "Sessions Partner without redirectUrl answers 400 instead of resume/missing_parameters_fallback",
    partner_sessions_reject_missing_parameters=True,
)
F.deviate(
    "sessions_partner_ignores_existing_profile",
    ["PTR-SESS-013"],
    "Sessions Partner issues a new SAML request although the application has a live profile",
    partner_sessions_ignore_existing_profile=True,
)
F.reply(
    "fallback_code_unknown",
    ["PTR-SESS-014"],
    "fallback answers name a code no authentication session has",
    E.sessions_partner,
    on_success(edit_body(_dead_code)),
)
F.deviate(
    "sessions_partner_any_partner",
    ["PTR-SESS-015"],
    "Sessions Partner serves an unsupported partner like Apple",
    sessions_partner_any_partner=True,
)
F.deviate(
    "device_identifier_optional",
    ["PTR-SESS-016"],
    "a missing AP-Device-Identifier is served as one shared unknown device",
    default_missing_device_identifier=True,
)
F.deviate(
    "token_not_required",
    ["PTR-SESS-017"],
    "calls without Authorization are served anonymously",
    serve_without_access_token=True,
)

# ---------------------------------------------------------------------------- Profiles Partner
F.reply(
    "partner_profile_regular",
    ["PTR-PP-001"],
    "Profiles Partner answers the new profile as type regular issued by the MVPD",
    E.profiles_partner,
    _each_profile(lambda p: p.update(type="regular", issuer="RefCable")),
)
F.reply(
    "partner_profile_times_as_strings",
    ["PTR-PP-002", "PTR-SCHEMA-001"],
    "the created profile's notBefore/notAfter are strings",
    E.profiles_partner,
    _each_profile(lambda p: p.update(notBefore=str(p["notBefore"]), notAfter=str(p["notAfter"]))),
)
F.reply(
    "missing_saml_response_500",
    ["PTR-PP-003"],
    "Profiles Partner without SAMLResponse answers 500",
    E.profiles_partner,
    _crash_when("SAMLResponse is required"),
)
F.reply(
    "garbage_saml_response_500",
    ["PTR-PP-004"],
    "Profiles Partner with a SAMLResponse that is not Base64, not XML or not a Response answers 500",
    E.profiles_partner,
    _crash_when("SAMLResponse is not Base64", "SAMLResponse is not XML", "not a samlp:Response"),
)
F.deviate(
    "profiles_partner_any_partner",
    ["PTR-PP-005"],
    "Profiles Partner serves an unsupported partner like Apple",
    profiles_partner_any_partner=True,
)
F.deviate(
    "saml_request_reusable",
    ["PTR-PP-006", "PTR-SAML-005"],
    "a SAML request can be answered any number of times (responses can be replayed)",
    saml_request_reusable=True,
)

# -------------------------------------------------------------------------------------- PFS table
F.reply(
    "pfs_not_present_as_not_granted",
    ["PTR-PFS-001"],
    "Profiles Partner answers a PFS without accessStatus with ..._access_not_granted",
    E.profiles_partner,
    _recode(
        "invalid_header_pfs_permission_access_not_present", "invalid_header_pfs_permission_access_not_granted"
    ),
)
F.reply(
    "pfs_not_determined_as_not_granted",
    ["PTR-PFS-002"],
    "Profiles Partner answers accessStatus notDetermined with ..._access_not_granted",
    E.profiles_partner,
    _recode(
        "invalid_header_pfs_permission_access_not_determined",
        "invalid_header_pfs_permission_access_not_granted",
    ),
)
F.reply(
    "pfs_not_granted_as_not_determined",
    ["PTR-PFS-003"],
    "Profiles Partner answers accessStatus denied/restricted with ..._access_not_determined",
    E.profiles_partner,
    _recode(
        "invalid_header_pfs_permission_access_not_granted",
        "invalid_header_pfs_permission_access_not_determined",
    ),
)
F.reply(
    "pfs_unknown_provider_as_mismatch",
    ["PTR-PFS-004"],
    "Profiles Partner answers an unknown provider id with ..._provider_id_mismatch",
    E.profiles_partner,
    _recode("invalid_header_pfs_provider_id_not_determined", "invalid_header_pfs_provider_id_mismatch"),
)
F.reply(
    "pfs_expired_as_unknown_provider",
    ["PTR-PFS-005"],
    "Profiles Partner answers an expired PFS with ..._provider_id_not_determined",
    E.profiles_partner,
    _recode("invalid_header_pfs_provider_info_expired", "invalid_header_pfs_provider_id_not_determined"),
)
F.deviate(
    "pfs_provider_mismatch_ignored",
    ["PTR-PFS-006"],
    "Profiles Partner creates the profile when the PFS names another MVPD than the SAML request's",
    pfs_provider_mismatch_ignored=True,
)

# ------------------------------------------------------------------------------ SAML validation
F.deviate(
    "saml_unsigned_accepted",
    ["PTR-SAML-001"],
    "a SAML response whose assertion carries no signature at all is accepted",
    accept_unsigned_saml_assertion=True,
)
F.deviate(
    "saml_keyinfo_trusted",
    ["PTR-SAML-002"],
    "the signature is verified with the certificate in the response's KeyInfo, not the MVPD's pinned one",
    trust_keyinfo_certificate=True,
)
F.deviate(
    "saml_digest_unchecked",
    ["PTR-SAML-003"],
    "an assertion altered after signing is accepted (reference digests are not checked)",
    skip_saml_digest_check=True,
)
F.deviate(
    "saml_in_response_to_unchecked",
    ["PTR-SAML-004"],
    "a response whose InResponseTo names no issued request is accepted",
    skip_saml_in_response_to_check=True,
)
F.deviate(
    "saml_validity_unchecked",
    ["PTR-SAML-006"],
    "assertions past their NotOnOrAfter are accepted",
    skip_saml_validity_check=True,
)
F.deviate(
    "saml_audience_unchecked",
    ["PTR-SAML-007"],
    "assertions for another audience are accepted",
    skip_saml_audience_check=True,
)
F.deviate(
    "saml_issuer_unchecked",
    ["PTR-SAML-008"],
    "assertions from another identity provider are accepted",
    skip_saml_issuer_check=True,
)
F.deviate(
    "saml_signature_wrapping",
    ["PTR-SAML-009"],
    "several assertions are accepted: one signature is verified, the first assertion is read",
    read_first_assertion=True,
)
F.deviate(
    "saml_request_not_bound_to_client",
    ["PTR-SAML-010"],
    "a SAML request issued to one application can be answered by another",
    saml_request_not_bound_to_client=True,
)

# ------------------------------------------------------------------------------ appleSSO profiles
F.reply(
    "profiles_apple_issuer_mvpd",
    ["PTR-PRF-001"],
    "Profiles shows the appleSSO profile with the MVPD as issuer instead of Apple",
    E.profiles,
    on_success(edit_body(_apple_issuer_is_mvpd)),
)
F.reply(
    "profiles_mvpd_keyed_by_platform_id",
    ["PTR-PRF-002"],
    "Profiles by mvpd keys the appleSSO profile by the partner's provider id instead of the mvpd id",
    E.profiles_mvpd,
    on_success(_profiles_keyed_by_platform_id),
)
F.deviate(
    "apple_profile_without_pfs",
    ["PTR-PRF-003"],
    "Profiles lists the appleSSO profile without a valid PFS",
    apple_profile_without_pfs=True,
)
F.deviate(
    "apple_profile_not_bound_to_device",
    ["PTR-PRF-004"],
    "appleSSO profiles are shared by every device of an application",
    apple_profile_shared_across_devices=True,
)
F.deviate(
    "apple_profile_not_bound_to_client",
    ["PTR-PRF-005"],
    "appleSSO profiles are shared by every application on a device",
    apple_profile_shared_across_clients=True,
)
F.deviate(
    "profiles_error_before_first_profile",
    ["PTR-PRF-006"],
    "Profiles answers 404 instead of an empty map to an application and device that never signed in",
    profiles_error_before_first_profile=True,
)

# ---------------------------------------------------------------------------- decisions, logout
F.reply(
    "apple_permit_without_token",
    ["PTR-DEC-001"],
    "authorize permits carry no media token",
    E.decisions_authorize,
    _each_permit(lambda item: item.pop("token", None)),
)
F.reply(
    "apple_deny_without_error",
    ["PTR-DEC-002"],
    "authorize denials carry no EEC error object",
    E.decisions_authorize,
    _each_deny(lambda item: item.pop("error", None)),
)
F.deviate(
    "decisions_ignore_pfs",
    ["PTR-DEC-003"],
    "decisions use the appleSSO profile without a valid PFS",
    decisions_ignore_pfs=True,
)
F.deviate(
    "preauthorize_with_token",
    ["PTR-DEC-004"],
    "preauthorize permits carry a media token",
    preauthorize_with_token=True,
)
F.reply(
    "partner_logout_with_url",
    ["PTR-LOG-001"],
    "partner_logout answers carry a url",
    E.logout,
    on_success(edit_body(_partner_logout_with_url)),
)
F.deviate(
    "logout_keeps_apple_profile",
    ["PTR-LOG-002"],
    "logout answers partner_logout but keeps the appleSSO profile",
    logout_keeps_apple_profile=True,
)

# ------------------------------------------------------------------------------ errors, schema
F.reply(
    "partner_errors_without_action",
    ["PTR-EEC-001"],
    "Profiles Partner's EEC errors lack action",
    E.profiles_partner,
    on_error(drop_members("action")),
)
F.reply(
    "partner_profile_session_id_number",
    ["PTR-SCHEMA-001"],
    "Profiles Partner's profile carries sessionId as a number (the schema says string)",
    E.profiles_partner,
    _each_profile(lambda p: p.update(sessionId=42)),
)
