"""Faults of the `device_signon` reference server: each breaks one behaviour of one requirement.

Most turn one behaviour switch of ``reference_server.device_signon.Settings``; a few reshape one
endpoint's reply. ``targets`` are the catalogue ids (conformance/catalogue/device_signon.toml) the
fault should flip; everything else must keep passing.
"""

from __future__ import annotations

from typing import Any

import jwt

from reference_server.faults import register
from reference_server.reply import Reply

C = "device_signon"
CONFUSABLE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # vowels, 0/O, 1/I/L


def _switch(name: str, targets: list[str], description: str, **settings: Any) -> None:
    register(f"{C}.{name}", C, targets, description, settings=settings)


def _reshape(name: str, targets: list[str], description: str, endpoint: str, transform) -> None:
    register(f"{C}.{name}", C, targets, description, endpoint=f"{C}.{endpoint}", reply=transform)


def _drop_headers(*names: str):
    def transform(reply: Reply, state: Any) -> None:
        if reply.status < 300:
            for name in names:
                reply.headers.pop(name, None)

    return transform


def _ok_body(fn):
    def transform(reply: Reply, state: Any) -> None:
        if reply.status < 300 and isinstance(reply.body, dict):
            fn(reply.body, state)

    return transform


# --- DSRA registration and polling ----------------------------------------------------------------

_switch(
    "dsra_expires_as_string",
    ["DSO-DSRA-001"],
    "D1 sends expiresAfterMillis as a JSON string",
    dsra_code_expires_is_number=False,
)
_switch(
    "dsra_code_reused",
    ["DSO-DSRA-002"],
    "D1 hands out the previous live registration code again",
    dsra_fresh_codes=False,
)
_reshape(
    "dsra_code_cacheable",
    ["DSO-DSRA-004"],
    "D1 omits Cache-Control/Pragma",
    "dsra_code",
    _drop_headers("Cache-Control", "Pragma"),
)
_switch(
    "dsra_missing_token_400",
    ["DSO-DSRA-005"],
    "D2 without Authorization answers 400 instead of 401",
    dsra_missing_token_status=400,
)
_switch(
    "dsra_unknown_token_pending",
    ["DSO-DSRA-006"],
    "D2 answers 204 (pending) to unknown dsraTokens",
    dsra_reject_unknown_token=False,
)
_switch(
    "dsra_bearer_scheme_optional",
    ["DSO-DSRA-007"],
    "D2 accepts the bare dsraToken without 'Bearer '",
    dsra_require_bearer_scheme=False,
)
_switch(
    "dsra_device_identity_optional",
    ["DSO-DSRA-008"],
    "D2 accepts a body with no clientId/deviceInformation/managedDeviceInformation",
    dsra_require_device_identity=False,
)
_switch(
    "dsra_pending_202",
    ["DSO-DSRA-009"],
    "D2 answers 202 (empty) instead of 204 while pending",
    dsra_pending_status=202,
)
_switch(
    "dsra_success_201",
    ["DSO-DSRA-010"],
    "D2 delivers the activation token with 201 (neither 200 nor 202)",
    dsra_success_status=201,
)
_switch(
    "dsra_pending_never_expires",
    ["DSO-DSRA-011"],
    "an unapproved registration keeps answering 204 after expiresAfterMillis",
    dsra_expire_pending=False,
)
_switch(
    "dsra_expires_early",
    ["DSO-DSRA-011"],
    "registrations expire at half the advertised expiresAfterMillis",
    dsra_expiry_factor=0.5,
)
_switch(
    "dsra_approved_outlives_expiry",
    ["DSO-DSRA-012"],
    "an approved registration still delivers its token after the expiry",
    dsra_expire_approved=False,
)
_switch(
    "dsra_token_redelivered",
    ["DSO-DSRA-013"],
    "D2 delivers a new activation token on every poll after approval",
    dsra_single_delivery=False,
)
_switch(
    "dsra_no_polling_limit",
    ["DSO-DSRA-014"],
    "D2 never answers 429 to polls faster than pollingPeriodSeconds",
    dsra_enforce_polling_period=False,
)
_switch(
    "dsra_client_id_replaced",
    ["DSO-DSRA-015"],
    "D2 assigns a new clientId even to a known device",
    dsra_keep_client_id=False,
)
_switch(
    "dsra_device_info_deduplicated",
    ["DSO-DSRA-016"],
    "D2 reuses the clientId of identical deviceInformation",
    dsra_new_client_per_device_info=False,
)
_switch(
    "dsra_unknown_client_id_accepted",
    ["DSO-DSRA-017"],
    "D2 accepts a clientId OPF never issued",
    dsra_reject_unknown_client_id=False,
)
_switch(
    "dsra_casn_optional",
    ["DSO-DSRA-018"],
    "D2 accepts managedDeviceInformation without caSN",
    dsra_require_casn=False,
)
_switch(
    "dsra_lax_methods",
    ["DSO-DSRA-020"],
    "DSRA endpoints serve any method (POST on D1 creates a registration)",
    dsra_strict_methods=False,
)
_switch(
    "dsra_correlation_id_rejected",
    ["DSO-DSRA-021"],
    "DSRA rejects requests that carry x-correlation-id",
    dsra_accept_correlation_id=False,
)
_switch(
    "dsra_reject_ignored",
    ["DSO-DSRA-023"],
    "the reject action answers 202 but leaves the request pending",
    dsra_reject_works=False,
)


def _text_errors(reply: Reply, state: Any) -> None:
    if reply.status >= 400 and isinstance(reply.body, dict):
        reply.body = str(reply.body.get("message", "error")).encode()
        reply.media_type = "text/plain; charset=utf-8"


_reshape(
    "dsra_text_errors",
    ["DSO-DSRA-024"],
    "D2 errors are plain text without a numeric code",
    "dsra_poll",
    _text_errors,
)

# --- companion approval (D3) ------------------------------------------------------------------------

_switch("approve_answers_200", ["DSO-APPR-001"], "D3 answers 200 instead of 202", approve_status=200)
_switch(
    "approve_missing_token_401",
    ["DSO-APPR-002"],
    "D3 without Authorization answers 401 instead of the documented 400",
    approve_missing_token_status=401,
)
_switch(
    "approve_invalid_token_401",
    ["DSO-APPR-003"],
    "D3 with an invalid token answers 401 instead of 403",
    approve_invalid_token_status=401,
)
_switch(
    "approve_missing_code_404",
    ["DSO-APPR-004"],
    "D3 without deviceRegistrationCode answers 404 instead of 400",
    approve_missing_code_status=404,
)
_switch(
    "approve_unknown_code_403",
    ["DSO-APPR-005"],
    "D3 with a never-issued code answers 403 instead of 404",
    approve_unknown_code_status=403,
)
_switch(
    "approve_twice_accepted", ["DSO-APPR-006"], "D3 approves an approved code again (202)", approve_once=False
)
_switch(
    "approve_expired_accepted",
    ["DSO-APPR-007"],
    "D3 answers 202 for an expired code",
    approve_check_expiry=False,
)
_switch(
    "approve_after_delivery_accepted",
    ["DSO-APPR-008"],
    "D3 answers 202 for a code whose token was collected",
    approve_refuse_delivered=False,
)
_switch(
    "approve_code_not_normalised",
    ["DSO-APPR-009"],
    "D3/D4 accept only the exact upper-case code",
    dsra_normalise_codes=False,
)
_switch(
    "approve_no_rate_limit",
    ["DSO-APPR-010"],
    "D3/D4 never throttle wrong codes",
    dsra_approval_rate_limit=False,
)
_switch(
    "approve_binds_primary",
    ["DSO-APPR-011"],
    "D3 binds the device to the profile's first account, not the approver",
    bind_to_approver=False,
)
_switch(
    "approve_accepts_operator_token",
    ["DSO-APPR-012"],
    "D3 accepts an operator-portal token",
    approve_accept_operator_token=True,
)

# --- operator portal approval (D4) ------------------------------------------------------------------

_switch("portal_answers_200", ["DSO-PORT-001"], "D4 answers 200 instead of 202", operator_approve_status=200)
_switch(
    "portal_tenant_optional",
    ["DSO-PORT-002"],
    "D4 accepts a request without nv-tenant-id",
    operator_require_tenant=False,
)
_switch(
    "portal_account_optional",
    ["DSO-PORT-003"],
    "D4 accepts a request without accountId (binds to the first account)",
    operator_require_account=False,
)
_switch(
    "portal_accepts_device_token",
    ["DSO-PORT-004"],
    "D4 accepts a companion device's IAS token",
    operator_accept_device_token=True,
)
_switch(
    "portal_binds_primary",
    ["DSO-PORT-005", "DSO-IAS-009"],
    "D4 binds the device to the profile's first account, not accountId (so a suspended account signs in too)",
    operator_bind_to_account=False,
)
_switch(
    "portal_unknown_code_403",
    ["DSO-PORT-006"],
    "D4 with a never-issued code answers 403 instead of 404",
    operator_unknown_code_status=403,
)
_switch(
    "portal_invalid_token_401",
    ["DSO-PORT-007"],
    "D4 with an invalid operator token answers 401 instead of 403",
    operator_invalid_token_status=401,
)
_switch(
    "portal_tenant_unchecked",
    ["DSO-PORT-008"],
    "D4 accepts an nv-tenant-id of another tenant",
    operator_check_tenant=False,
)

# --- IAS ----------------------------------------------------------------------------------------------

_switch("ias_answers_200", ["DSO-IAS-001"], "I1 answers 200 instead of 201", ias_activation_status=200)
_switch(
    "ias_activation_reusable",
    ["DSO-IAS-002"],
    "activation tokens can be used at I1 again",
    ias_activation_single_use=False,
)
_switch(
    "ias_activation_never_expires",
    ["DSO-IAS-003"],
    "I1 accepts expired activation tokens",
    ias_activation_expiry=False,
)
_switch(
    "ias_accepts_dsra_token",
    ["DSO-IAS-004"],
    "I1 signs on with an approved registration's dsraToken",
    ias_accept_dsra_token=True,
)
_switch(
    "ias_missing_token_403",
    ["DSO-IAS-005"],
    "I1 without Authorization answers 403",
    ias_missing_token_status=403,
)
_reshape(
    "ias_no_expires_in",
    ["DSO-IAS-006"],
    "I1 token responses lack expires_in",
    "ias_activation",
    _ok_body(lambda body, state: body.pop("expires_in", None)),
)
_switch(
    "ias_client_id_mismatch",
    ["DSO-IAS-007"],
    "I1 answers a client_id other than D2's clientId",
    ias_echo_client_id=False,
)
_switch(
    "ias_exp_in_millis",
    ["DSO-IAS-008"],
    "IAS access tokens carry exp in milliseconds (the doc sample's conflict)",
    ias_exp_in_millis=True,
)
_switch(
    "ias_ignores_suspension",
    ["DSO-IAS-009"],
    "I1 signs a suspended account on",
    ias_check_account_status=False,
)
_switch(
    "ias_refresh_not_rotated",
    ["DSO-IAS-010", "DSO-IAS-011"],
    "IAS refresh returns the same refresh token, which stays valid",
    ias_rotate_refresh=False,
)
_switch(
    "ias_refresh_reusable",
    ["DSO-IAS-011"],
    "IAS refresh issues a new refresh token but the old one keeps working",
    ias_refresh_single_use=False,
)
_switch(
    "ias_password_answers_200",
    ["DSO-IAS-012"],
    "IAS password sign-on answers 200 instead of 201",
    ias_password_status=200,
)
_switch(
    "ias_password_unchecked",
    ["DSO-IAS-013"],
    "IAS password sign-on accepts any password of an existing user",
    ias_check_password=False,
)
_reshape(
    "ias_tokens_cacheable",
    ["DSO-IAS-014"],
    "I1 token responses omit Cache-Control/Pragma",
    "ias_activation",
    _drop_headers("Cache-Control", "Pragma"),
)
_switch(
    "ias_long_lived_tokens",
    ["DSO-IAS-015"],
    "access tokens live a day",
    access_token_ttl_s=86400,
)

# --- security of codes and tokens ---------------------------------------------------------------------

_switch("dsra_token_short", ["DSO-SEC-001"], "dsraTokens carry 64 bits", dsra_token_bytes=8)
_switch(
    "dsra_code_confusable",
    ["DSO-SEC-002"],
    "registration codes use vowels and confusable characters",
    dsra_code_alphabet=CONFUSABLE_ALPHABET,
)
_switch(
    "activation_token_short", ["DSO-SEC-003"], "activation tokens carry 64 bits", activation_token_bytes=8
)
_switch("device_code_short", ["DSO-SEC-004"], "device_codes carry 64 bits", device_code_bytes=8)
_switch(
    "user_code_confusable",
    ["DSO-SEC-005"],
    "user codes use vowels and confusable characters",
    user_code_alphabet=CONFUSABLE_ALPHABET,
)
_switch(
    "refresh_reusable",
    ["DSO-SEC-006"],
    "a rotated-out rfc8628 refresh token keeps working",
    refresh_single_use=False,
)

# --- RFC 8628 -------------------------------------------------------------------------------------------

_reshape(
    "device_expires_in_string",
    ["DSO-8628-001"],
    "the device authorization response sends expires_in as a string",
    "device_authorization",
    _ok_body(lambda body, state: body.update(expires_in=str(body["expires_in"]))),
)
_reshape(
    "device_response_cacheable",
    ["DSO-8628-002"],
    "the device authorization response omits Cache-Control/Pragma",
    "device_authorization",
    _drop_headers("Cache-Control", "Pragma"),
)
_switch(
    "device_unknown_client_accepted",
    ["DSO-8628-003"],
    "the device authorization endpoint treats unknown client_ids as public clients",
    rfc8628_reject_unknown_client=False,
)
_switch(
    "device_duplicate_params_accepted",
    ["DSO-8628-004"],
    "the device authorization endpoint accepts repeated parameters",
    device_reject_duplicate_params=False,
)
_reshape(
    "verification_uri_complete_without_code",
    ["DSO-8628-005"],
    "verification_uri_complete is just verification_uri",
    "device_authorization",
    _ok_body(lambda body, state: body.update(verification_uri_complete=body["verification_uri"])),
)
_switch(
    "verification_uri_has_code",
    ["DSO-8628-006"],
    "verification_uri carries the user code",
    user_code_in_verification_uri=True,
)
_switch(
    "pending_answers_200",
    ["DSO-8628-007"],
    "authorization_pending is sent with HTTP 200",
    pending_status=200,
)
_switch(
    "no_slow_down",
    ["DSO-8628-008"],
    "polls faster than the interval are not answered slow_down",
    enforce_poll_interval=False,
)
_switch(
    "slow_down_sticky",
    ["DSO-8628-009"],
    "slow_down widens the server's interval by three increments: the client's +increment is too fast",
    slow_down_widen_factor=3.0,
)
_switch(
    "deny_ignored",
    ["DSO-8628-010", "DSO-PAGE-008"],
    "Deny on the page leaves the request pending",
    deny_recorded=False,
)
_switch(
    "expired_as_invalid_grant",
    ["DSO-8628-011"],
    "an expired device_code answers invalid_grant instead of expired_token",
    report_expired=False,
)
_reshape(
    "token_type_missing",
    ["DSO-8628-012"],
    "token responses lack token_type",
    "token",
    _ok_body(lambda body, state: body.pop("token_type", None)),
)
_reshape(
    "token_cacheable",
    ["DSO-8628-013"],
    "token responses omit Cache-Control",
    "token",
    _drop_headers("Cache-Control"),
)
_reshape("token_no_pragma", ["DSO-8628-014"], "token responses omit Pragma", "token", _drop_headers("Pragma"))
_reshape(
    "id_token_missing",
    ["DSO-8628-015"],
    "token responses for scope openid lack the id_token",
    "token",
    _ok_body(lambda body, state: body.pop("id_token", None)),
)


def _wrong_audience(body: dict[str, Any], state: Any) -> None:
    if "id_token" in body:
        claims = jwt.decode(body["id_token"], options={"verify_signature": False})
        claims["aud"] = "someone-else"
        body["id_token"] = state.key.sign(claims, {"typ": "JWT"})


_reshape(
    "id_token_wrong_audience",
    ["DSO-8628-016"],
    "id_tokens are (validly) signed for another audience",
    "token",
    _ok_body(_wrong_audience),
)
_switch(
    "device_code_reusable",
    ["DSO-8628-017", "DSO-8628-018"],
    "a used device_code yields tokens again",
    device_code_single_use=False,
)
_switch(
    "replay_keeps_tokens",
    ["DSO-8628-018"],
    "a device_code replay is refused but the tokens already issued stay valid",
    revoke_on_replay=False,
)
_switch(
    "device_code_not_bound_to_client",
    ["DSO-8628-019"],
    "any client may redeem any device_code",
    bind_device_code_to_client=False,
)
_switch(
    "unknown_device_code_invalid_request",
    ["DSO-8628-020"],
    "an unknown device_code answers invalid_request (authlib's deviation)",
    unknown_device_code_error="invalid_request",
)
_switch(
    "missing_device_code_invalid_grant",
    ["DSO-8628-021"],
    "a missing device_code answers invalid_grant",
    missing_device_code_error="invalid_grant",
)
_switch(
    "invalid_client_400",
    ["DSO-8628-022"],
    "invalid_client is answered 400 without WWW-Authenticate even after Basic auth",
    invalid_client_status=400,
)
_switch(
    "confidential_client_unauthenticated",
    ["DSO-8628-023"],
    "a confidential client may identify with client_id alone",
    confidential_must_authenticate=False,
)
_switch(
    "unknown_grant_invalid_grant",
    ["DSO-8628-024"],
    "an unsupported grant_type answers invalid_grant",
    unknown_grant_error="invalid_grant",
)
_switch(
    "token_accepts_get",
    ["DSO-8628-025"],
    "the token endpoint serves GET with query parameters",
    token_reject_get=False,
)


def _non_ascii_description(reply: Reply, state: Any) -> None:
    if reply.status >= 400 and isinstance(reply.body, dict) and "error_description" in reply.body:
        reply.body["error_description"] += " (réessayez)"


_reshape(
    "error_description_non_ascii",
    ["DSO-8628-026"],
    "token error descriptions contain non-ASCII characters",
    "token",
    _non_ascii_description,
)
_reshape(
    "metadata_without_device_grant",
    ["DSO-8628-027"],
    "metadata omits the device_code grant type",
    "metadata",
    _ok_body(
        lambda body, state: body.update(
            grant_types_supported=[g for g in body["grant_types_supported"] if not g.startswith("urn:")]
        )
    ),
)
_switch(
    "unknown_scope_accepted",
    ["DSO-8628-028"],
    "the device authorization endpoint accepts unknown scopes",
    device_reject_unknown_scope=False,
)
_switch(
    "refreshed_token_unusable",
    ["DSO-8628-029"],
    "the refresh_token grant returns an access token the resource does not know",
    refresh_issues_working_token=False,
)
_switch(
    "refresh_not_bound_to_client",
    ["DSO-8628-030"],
    "any client may use any refresh token",
    refresh_bound_to_client=False,
)
_switch(
    "refresh_scope_unchecked",
    ["DSO-8628-031"],
    "a refresh may widen the scope",
    refresh_check_scope=False,
)
_reshape(
    "userinfo_without_sub",
    ["DSO-8628-032"],
    "userinfo omits sub",
    "userinfo",
    _ok_body(lambda body, state: body.pop("sub", None)),
)


def _no_challenge(reply: Reply, state: Any) -> None:
    if reply.status == 401 and "error=" not in reply.headers.get("WWW-Authenticate", "error="):
        reply.headers.pop("WWW-Authenticate", None)


def _challenge_without_error(reply: Reply, state: Any) -> None:
    if reply.status == 401 and "error=" in reply.headers.get("WWW-Authenticate", ""):
        reply.headers["WWW-Authenticate"] = reply.headers["WWW-Authenticate"].split(",")[0]


_reshape(
    "userinfo_no_challenge",
    ["DSO-8628-033"],
    "userinfo without a token answers 401 without WWW-Authenticate",
    "userinfo",
    _no_challenge,
)
_reshape(
    "userinfo_challenge_without_error",
    ["DSO-8628-034"],
    "userinfo with an invalid token answers 401 without error=invalid_token",
    "userinfo",
    _challenge_without_error,
)
_switch(
    "token_duplicate_params_accepted",
    ["DSO-8628-035"],
    "the token endpoint accepts repeated parameters",
    token_reject_duplicate_params=False,
)

# --- verification page -------------------------------------------------------------------------------

_switch(
    "page_without_code_field",
    ["DSO-PAGE-001"],
    "verification_uri has no field for the user code (only verification_uri_complete works)",
    page_show_code_field=False,
)
_switch(
    "page_code_not_normalised",
    ["DSO-PAGE-002"],
    "the page accepts only the exact XXXX-XXXX form",
    page_normalise_codes=False,
)
_switch(
    "page_no_rate_limit", ["DSO-PAGE-003"], "the page never throttles wrong user codes", page_rate_limit=False
)
_switch(
    "page_auto_approves_complete",
    ["DSO-PAGE-004"],
    "signing in from verification_uri_complete approves without the consent step",
    page_auto_approve_complete=True,
)
_switch(
    "page_binds_primary",
    ["DSO-PAGE-005"],
    "page approvals bind the device to the profile's first account",
    page_bind_to_signed_in=False,
)
_switch(
    "page_password_unchecked",
    ["DSO-PAGE-006"],
    "the page signs existing users in with any password",
    page_check_password=False,
)
_switch(
    "page_hides_user_code",
    ["DSO-PAGE-007"],
    "the consent step does not show the user code",
    page_show_user_code=False,
)
_switch(
    "page_code_reusable",
    ["DSO-PAGE-008"],
    "the page accepts an already used user code again",
    page_single_use=False,
)
_switch(
    "page_accepts_expired_code",
    ["DSO-PAGE-009"],
    "the page accepts an expired user code",
    page_check_expiry=False,
)


def _frameable(reply: Reply, state: Any) -> None:
    reply.headers.pop("X-Frame-Options", None)
    csp = reply.headers.get("Content-Security-Policy")
    if csp:
        reply.headers["Content-Security-Policy"] = "; ".join(
            part for part in csp.split("; ") if not part.startswith("frame-ancestors")
        )


_reshape(
    "page_frameable", ["DSO-PAGE-010"], "the verification page may be framed", "verification", _frameable
)
