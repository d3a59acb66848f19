"""Faults of the `device_signon` reference server: each breaks one behaviour of one requirement.

Wrong statuses, members and headers are reply transforms of one endpoint; what a reply cannot fake
(state between requests, expiry, single use, throttling, bindings, lenient requests) switches one
of ``reference_server.device_signon.Deviations``; a few set a real setting wrongly (token entropy,
code alphabets, lifetimes). ``targets`` are the catalogue ids (conformance/catalogue/device_signon.toml)
the fault should flip; everything else must keep passing.
"""

from __future__ import annotations

import secrets
from typing import Any

import jwt

from reference_server.device_signon import ENDPOINTS as DSO
from reference_server.faults import ReplyTransform
from reference_server.faults.transforms import (
    Faults,
    both,
    drop_headers,
    drop_members,
    edit_body,
    on_success,
    set_members,
    set_status,
    when_status,
)
from reference_server.reply import Reply

F = Faults("device_signon")
CONFUSABLE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"  # vowels, 0/O, 1/I/L
NO_CACHE = ("Cache-Control", "Pragma")


# --- transforms of this contract's replies ----------------------------------------------------------


def when_member(name: str, value: Any, fn: ReplyTransform) -> ReplyTransform:
    """Apply ``fn`` to replies whose JSON object has ``name`` == ``value`` (one error among several)."""

    def transform(reply: Reply, state: Any) -> None:
        if isinstance(reply.body, dict) and reply.body.get(name) == value:
            fn(reply, state)

    return transform


def when_message(message: str, fn: ReplyTransform) -> ReplyTransform:
    """A DSRA/IAS error told apart by its message (they share numeric codes)."""
    return when_member("message", message, fn)


def when_error(error: str, fn: ReplyTransform) -> ReplyTransform:
    """An OAuth error reply with this ``error`` code."""
    return when_member("error", error, fn)


def empty_pending(reply: Reply, state: Any) -> None:
    """D2's "still pending": 204 with no body (the error's no-store headers stay)."""
    reply.status = 204
    reply.body = None


def _text_errors(reply: Reply, state: Any) -> None:
    if reply.status >= 400 and isinstance(reply.body, dict):
        reply.body = str(reply.body.get("message", "error")).encode()
        reply.media_type = "text/plain; charset=utf-8"


def _new_client_id(body: dict[str, Any]) -> None:
    body["client_id"] = f"PUB_{secrets.token_hex(8)}"


def _resign_access_token(edit) -> ReplyTransform:
    """Re-sign the IAS access token with our key after ``edit`` changed its claims."""

    def transform(reply: Reply, state: Any) -> None:
        token = reply.body.get("access_token") if isinstance(reply.body, dict) else None
        if token:
            claims = jwt.decode(token, options={"verify_signature": False})
            edit(claims)
            reply.body["access_token"] = state.key.sign(claims, {"typ": "JWT"})

    return on_success(transform)


def _exp_in_millis(claims: dict[str, Any]) -> None:
    claims["exp"] = claims["exp"] * 1000


def _wrong_audience(reply: Reply, state: Any) -> None:
    if isinstance(reply.body, dict) and "id_token" in reply.body:
        claims = jwt.decode(reply.body["id_token"], options={"verify_signature": False})
        claims["aud"] = "someone-else"
        reply.body["id_token"] = state.key.sign(claims, {"typ": "JWT"})


def _non_ascii_description(reply: Reply, state: Any) -> None:
    if reply.status >= 400 and isinstance(reply.body, dict) and "error_description" in reply.body:
        reply.body["error_description"] += " (réessayez)"


def _no_challenge(reply: Reply, state: Any) -> None:
    if reply.status == 401 and "error=" not in reply.headers.get("WWW-Authenticate", "error="):
        reply.headers.pop("WWW-Authenticate", None)


def _challenge_without_error(reply: Reply, state: Any) -> None:
    if reply.status == 401 and "error=" in reply.headers.get("WWW-Authenticate", ""):
        reply.headers["WWW-Authenticate"] = reply.headers["WWW-Authenticate"].split(",")[0]


def _frameable(reply: Reply, state: Any) -> None:
    reply.headers.pop("X-Frame-Options", None)
    csp = reply.headers.get("Content-Security-Policy")
    if csp:
        reply.headers["Content-Security-Policy"] = "; ".join(
            part for part in csp.split("; ") if not part.startswith("frame-ancestors")
        )


def _without_device_grant(body: dict[str, Any]) -> None:
    body["grant_types_supported"] = [g for g in body["grant_types_supported"] if not g.startswith("urn:")]


# --- DSRA registration and polling ----------------------------------------------------------------

F.reply(
    "dsra_expires_as_string",
    ["DSO-DSRA-001"],
    "D1 sends expiresAfterMillis as a JSON string",
    DSO.dsra_code,
    on_success(edit_body(lambda body: body.update(expiresAfterMillis=str(body["expiresAfterMillis"])))),
)
F.deviate(
    "dsra_code_reused",
    ["DSO-DSRA-002"],
    "D1 hands out the previous live registration code again",
    reuse_registration_code=True,
)
F.reply(
    "dsra_code_cacheable",
    ["DSO-DSRA-004"],
    "D1 omits Cache-Control/Pragma",
    DSO.dsra_code,
    on_success(drop_headers(*NO_CACHE)),
)
F.reply(
    "dsra_missing_token_400",
    ["DSO-DSRA-005"],
    "D2 without Authorization answers 400 instead of 401",
    DSO.dsra_poll,
    when_message("missing DSRA token", set_status(400)),
)
F.reply(
    "dsra_unknown_token_pending",
    ["DSO-DSRA-006"],
    "D2 answers 204 (pending) to unknown dsraTokens",
    DSO.dsra_poll,
    when_message("invalid DSRA token", empty_pending),
)
F.deviate(
    "dsra_bearer_scheme_optional",
    ["DSO-DSRA-007"],
    "D2 accepts the bare dsraToken without 'Bearer '",
    accept_bare_dsra_token=True,
)
F.deviate(
    "dsra_device_identity_optional",
    ["DSO-DSRA-008"],
    "D2 accepts a body with no clientId/deviceInformation/managedDeviceInformation",
    device_identity_optional=True,
)
F.reply(
    "dsra_pending_202",
    ["DSO-DSRA-009"],
    "D2 answers 202 (empty) instead of 204 while pending",
    DSO.dsra_poll,
    when_status(204, set_status(202)),
)
F.reply(
    "dsra_success_201",
    ["DSO-DSRA-010"],
    "D2 delivers the activation token with 201 (neither 200 nor 202)",
    DSO.dsra_poll,
    when_status(200, set_status(201)),
)
F.deviate(
    "dsra_pending_never_expires",
    ["DSO-DSRA-011"],
    "an unapproved registration keeps answering 204 after expiresAfterMillis",
    keep_pending_after_expiry=True,
)
F.deviate(
    "dsra_expires_early",
    ["DSO-DSRA-011"],
    "registrations expire at half the advertised expiresAfterMillis",
    expire_registrations_at_half_life=True,
)
F.deviate(
    "dsra_approved_outlives_expiry",
    ["DSO-DSRA-012"],
    "an approved registration still delivers its token after the expiry",
    deliver_after_expiry=True,
)
F.deviate(
    "dsra_token_redelivered",
    ["DSO-DSRA-013"],
    "D2 delivers a new activation token on every poll after approval",
    redeliver_activation_token=True,
)
F.deviate(
    "dsra_no_polling_limit",
    ["DSO-DSRA-014"],
    "D2 never answers 429 to polls faster than pollingPeriodSeconds",
    ignore_polling_period=True,
)
F.deviate(
    "dsra_client_id_replaced",
    ["DSO-DSRA-015"],
    "D2 assigns a new clientId even to a known device",
    replace_known_client_id=True,
)
F.deviate(
    "dsra_device_info_deduplicated",
    ["DSO-DSRA-016"],
    "D2 reuses the clientId of identical deviceInformation",
    reuse_client_id_for_same_device_info=True,
)
F.deviate(
    "dsra_unknown_client_id_accepted",
    ["DSO-DSRA-017"],
    "D2 accepts a clientId OPF never issued",
    accept_unknown_client_id=True,
)
F.deviate(
    "dsra_casn_optional",
    ["DSO-DSRA-018"],
    "D2 accepts managedDeviceInformation without caSN",
    casn_optional=True,
)
F.deviate(
    "dsra_lax_methods",
    ["DSO-DSRA-020"],
    "DSRA endpoints serve any method (POST on D1 creates a registration)",
    serve_any_method=True,
)
F.deviate(
    "dsra_correlation_id_rejected",
    ["DSO-DSRA-021"],
    "DSRA rejects requests that carry x-correlation-id",
    reject_correlation_id=True,
)
F.deviate(
    "dsra_reject_ignored",
    ["DSO-DSRA-023"],
    "the reject action answers 202 but leaves the request pending",
    ignore_reject=True,
)
F.reply(
    "dsra_text_errors",
    ["DSO-DSRA-024"],
    "D2 errors are plain text without a numeric code",
    DSO.dsra_poll,
    _text_errors,
)

# --- companion approval (D3) ------------------------------------------------------------------------

F.reply(
    "approve_answers_200",
    ["DSO-APPR-001"],
    "D3 answers 200 instead of 202",
    DSO.dsra_approve,
    when_status(202, set_status(200)),
)
F.reply(
    "approve_missing_token_401",
    ["DSO-APPR-002"],
    "D3 without Authorization answers 401 instead of the documented 400",
    DSO.dsra_approve,
    when_message("missing access token", set_status(401)),
)
F.reply(
    "approve_invalid_token_401",
    ["DSO-APPR-003"],
    "D3 with an invalid token answers 401 instead of 403",
    DSO.dsra_approve,
    when_message("invalid or expired access token", set_status(401)),
)
F.reply(
    "approve_missing_code_404",
    ["DSO-APPR-004"],
    "D3 without deviceRegistrationCode answers 404 instead of 400",
    DSO.dsra_approve,
    when_message("deviceRegistrationCode is required", set_status(404)),
)
F.reply(
    "approve_unknown_code_403",
    ["DSO-APPR-005"],
    "D3 with a never-issued code answers 403 instead of 404",
    DSO.dsra_approve,
    when_status(404, set_status(403)),
)
F.deviate(
    "approve_twice_accepted",
    ["DSO-APPR-006"],
    "D3 approves an approved code again (202)",
    approve_approved_codes=True,
)
F.deviate(
    "approve_expired_accepted",
    ["DSO-APPR-007"],
    "D3 answers 202 for an expired code",
    approve_expired_codes=True,
)
F.deviate(
    "approve_after_delivery_accepted",
    ["DSO-APPR-008"],
    "D3 answers 202 for a code whose token was collected",
    approve_delivered_codes=True,
)
F.deviate(
    "approve_code_not_normalised",
    ["DSO-APPR-009"],
    "D3/D4 accept only the exact upper-case code",
    exact_registration_codes_only=True,
)
F.deviate(
    "approve_no_rate_limit",
    ["DSO-APPR-010"],
    "D3/D4 never throttle wrong codes",
    no_approval_rate_limit=True,
)
F.deviate(
    "approve_binds_primary",
    ["DSO-APPR-011"],
    "D3 binds the device to the profile's first account, not the approver",
    bind_approval_to_primary_account=True,
)
F.deviate(
    "approve_accepts_operator_token",
    ["DSO-APPR-012"],
    "D3 accepts an operator-portal token",
    companion_accepts_operator_token=True,
)

# --- operator portal approval (D4) ------------------------------------------------------------------

F.reply(
    "portal_answers_200",
    ["DSO-PORT-001"],
    "D4 answers 200 instead of 202",
    DSO.dsra_operator_approve,
    when_status(202, set_status(200)),
)
F.deviate(
    "portal_tenant_optional",
    ["DSO-PORT-002"],
    "D4 accepts a request without nv-tenant-id",
    tenant_header_optional=True,
)
F.deviate(
    "portal_account_optional",
    ["DSO-PORT-003"],
    "D4 accepts a request without accountId (binds to the first account)",
    account_id_optional=True,
)
F.deviate(
    "portal_accepts_device_token",
    ["DSO-PORT-004"],
    "D4 accepts a companion device's IAS token",
    portal_accepts_device_token=True,
)
F.deviate(
    "portal_binds_primary",
    ["DSO-PORT-005", "DSO-IAS-009"],
    "D4 binds the device to the profile's first account, not accountId (so a suspended account signs in too)",
    bind_portal_approval_to_primary_account=True,
)
F.reply(
    "portal_unknown_code_403",
    ["DSO-PORT-006"],
    "D4 with a never-issued code answers 403 instead of 404",
    DSO.dsra_operator_approve,
    when_status(404, set_status(403)),
)
F.reply(
    "portal_invalid_token_401",
    ["DSO-PORT-007"],
    "D4 with an invalid operator token answers 401 instead of 403",
    DSO.dsra_operator_approve,
    when_message("invalid operator token", set_status(401)),
)
F.deviate(
    "portal_tenant_unchecked",
    ["DSO-PORT-008"],
    "D4 accepts an nv-tenant-id of another tenant",
    ignore_tenant_mismatch=True,
)

# --- IAS ----------------------------------------------------------------------------------------------

F.reply(
    "ias_answers_200",
    ["DSO-IAS-001"],
    "I1 answers 200 instead of 201",
    DSO.ias_activation,
    when_status(201, set_status(200)),
)
F.deviate(
    "ias_activation_reusable",
    ["DSO-IAS-002"],
    "activation tokens can be used at I1 again",
    reusable_activation_tokens=True,
)
F.deviate(
    "ias_activation_never_expires",
    ["DSO-IAS-003"],
    "I1 accepts expired activation tokens",
    accept_expired_activation_tokens=True,
)
F.deviate(
    "ias_accepts_dsra_token",
    ["DSO-IAS-004"],
    "I1 signs on with an approved registration's dsraToken",
    accept_dsra_token_at_sign_on=True,
)
F.reply(
    "ias_missing_token_403",
    ["DSO-IAS-005"],
    "I1 without Authorization answers 403",
    DSO.ias_activation,
    when_message("missing sign-on/activation token", set_status(403)),
)
F.reply(
    "ias_no_expires_in",
    ["DSO-IAS-006"],
    "I1 token responses lack expires_in",
    DSO.ias_activation,
    on_success(drop_members("expires_in")),
)
F.reply(
    "ias_client_id_mismatch",
    ["DSO-IAS-007"],
    "I1 answers a client_id other than D2's clientId",
    DSO.ias_activation,
    on_success(edit_body(_new_client_id)),
)
F.reply(
    "ias_exp_in_millis",
    ["DSO-IAS-008"],
    "IAS access tokens carry exp in milliseconds (the doc sample's conflict)",
    DSO.ias_activation,
    _resign_access_token(_exp_in_millis),
)
F.deviate(
    "ias_ignores_suspension",
    ["DSO-IAS-009"],
    "I1 signs a suspended account on",
    ignore_account_suspension=True,
)
F.deviate(
    "ias_refresh_not_rotated",
    ["DSO-IAS-010", "DSO-IAS-011"],
    "IAS refresh returns the same refresh token, which stays valid",
    keep_ias_refresh_token=True,
)
F.deviate(
    "ias_refresh_reusable",
    ["DSO-IAS-011"],
    "IAS refresh issues a new refresh token but the old one keeps working",
    reusable_ias_refresh_tokens=True,
)
F.reply(
    "ias_password_answers_200",
    ["DSO-IAS-012"],
    "IAS password sign-on answers 200 instead of 201",
    DSO.ias_password,
    when_status(201, set_status(200)),
)
F.deviate(
    "ias_password_unchecked",
    ["DSO-IAS-013"],
    "IAS password sign-on accepts any password of an existing user",
    skip_ias_password_check=True,
)
F.reply(
    "ias_tokens_cacheable",
    ["DSO-IAS-014"],
    "I1 token responses omit Cache-Control/Pragma",
    DSO.ias_activation,
    on_success(drop_headers(*NO_CACHE)),
)
F.configure("ias_long_lived_tokens", ["DSO-IAS-015"], "access tokens live a day", access_token_ttl_s=86400)

# --- security of codes and tokens ---------------------------------------------------------------------

F.configure("dsra_token_short", ["DSO-SEC-001"], "dsraTokens carry 64 bits", dsra_token_bytes=8)
F.deviate(
    "dsra_token_time_based",
    ["DSO-SEC-001"],
    "dsraTokens are version-1 UUIDs: 36 characters, but time and MAC address, few bits of chance",
    time_based_dsra_tokens=True,
)
F.deviate(
    "dsra_token_embeds_code",
    ["DSO-SEC-001"],
    "dsraTokens are base64url of 'code:' and 256 random bits: long and random, but they carry the code",
    dsra_token_embeds_code=True,
)
F.configure(
    "dsra_code_confusable",
    ["DSO-SEC-002"],
    "registration codes use vowels and confusable characters",
    dsra_code_alphabet=CONFUSABLE_ALPHABET,
)
F.configure(
    "activation_token_short", ["DSO-SEC-003"], "activation tokens carry 64 bits", activation_token_bytes=8
)
F.configure("device_code_short", ["DSO-SEC-004"], "device_codes carry 64 bits", device_code_bytes=8)
F.configure(
    "user_code_confusable",
    ["DSO-SEC-005"],
    "user codes use vowels and confusable characters",
    user_code_alphabet=CONFUSABLE_ALPHABET,
)
F.deviate(
    "refresh_reusable",
    ["DSO-SEC-006"],
    "a rotated-out rfc8628 refresh token keeps working",
    reusable_refresh_tokens=True,
)

# --- RFC 8628 -------------------------------------------------------------------------------------------

F.reply(
    "device_expires_in_string",
    ["DSO-8628-001"],
    "the device authorization response sends expires_in as a string",
    DSO.device_authorization,
    on_success(edit_body(lambda body: body.update(expires_in=str(body["expires_in"])))),
)
F.reply(
    "device_response_cacheable",
    ["DSO-8628-002"],
    "the device authorization response omits Cache-Control/Pragma",
    DSO.device_authorization,
    on_success(drop_headers(*NO_CACHE)),
)
F.deviate(
    "device_unknown_client_accepted",
    ["DSO-8628-003"],
    "the device authorization endpoint treats unknown client_ids as public clients",
    accept_unknown_clients=True,
)
F.deviate(
    "device_duplicate_params_accepted",
    ["DSO-8628-004"],
    "the device authorization endpoint accepts repeated parameters",
    device_accepts_duplicate_params=True,
)
F.reply(
    "verification_uri_complete_without_code",
    ["DSO-8628-005"],
    "verification_uri_complete is just verification_uri",
    DSO.device_authorization,
    on_success(edit_body(lambda body: body.update(verification_uri_complete=body["verification_uri"]))),
)
F.reply(
    "verification_uri_has_code",
    ["DSO-8628-006"],
    "verification_uri carries the user code",
    DSO.device_authorization,
    on_success(edit_body(lambda body: body.update(verification_uri=body["verification_uri_complete"]))),
)
F.reply(
    "pending_answers_200",
    ["DSO-8628-007"],
    "authorization_pending is sent with HTTP 200",
    DSO.token,
    when_error("authorization_pending", set_status(200)),
)
F.deviate(
    "no_slow_down",
    ["DSO-8628-008"],
    "polls faster than the interval are not answered slow_down",
    no_slow_down=True,
)
F.deviate(
    "slow_down_sticky",
    ["DSO-8628-009"],
    "slow_down widens the server's interval by three increments: the client's +increment is too fast",
    sticky_slow_down=True,
)
F.deviate(
    "deny_ignored",
    ["DSO-8628-010", "DSO-PAGE-008"],
    "Deny on the page leaves the request pending",
    ignore_deny=True,
)
F.reply(
    "expired_as_invalid_grant",
    ["DSO-8628-011"],
    "an expired device_code answers invalid_grant instead of expired_token",
    DSO.token,
    when_error("expired_token", set_members(error="invalid_grant", error_description="unknown device_code")),
)
F.reply(
    "token_type_missing",
    ["DSO-8628-012"],
    "token responses lack token_type",
    DSO.token,
    on_success(drop_members("token_type")),
)
F.reply(
    "token_cacheable",
    ["DSO-8628-013"],
    "token responses omit Cache-Control",
    DSO.token,
    on_success(drop_headers("Cache-Control")),
)
F.reply(
    "token_no_pragma",
    ["DSO-8628-014"],
    "token responses omit Pragma",
    DSO.token,
    on_success(drop_headers("Pragma")),
)
F.reply(
    "id_token_missing",
    ["DSO-8628-015"],
    "token responses for scope openid lack the id_token",
    DSO.token,
    on_success(drop_members("id_token")),
)
F.reply(
    "id_token_wrong_audience",
    ["DSO-8628-016"],
    "id_tokens are (validly) signed for another audience",
    DSO.token,
    on_success(_wrong_audience),
)
F.deviate(
    "device_code_reusable",
    ["DSO-8628-017", "DSO-8628-018"],
    "a used device_code yields tokens again",
    reusable_device_codes=True,
)
F.deviate(
    "replay_keeps_tokens",
    ["DSO-8628-018"],
    "a device_code replay is refused but the tokens already issued stay valid",
    keep_tokens_on_replay=True,
)
F.deviate(
    "device_code_not_bound_to_client",
    ["DSO-8628-019"],
    "any client may redeem any device_code",
    device_code_for_any_client=True,
)
F.reply(
    "unknown_device_code_invalid_request",
    ["DSO-8628-020"],
    "an unknown device_code answers invalid_request (authlib's deviation)",
    DSO.token,
    when_member("error_description", "unknown device_code", set_members(error="invalid_request")),
)
F.reply(
    "missing_device_code_invalid_grant",
    ["DSO-8628-021"],
    "a missing device_code answers invalid_grant",
    DSO.token,
    when_member("error_description", "device_code is required", set_members(error="invalid_grant")),
)
F.reply(
    "invalid_client_400",
    ["DSO-8628-022"],
    "invalid_client is answered 400 without WWW-Authenticate even after Basic auth",
    DSO.device_authorization,
    when_error("invalid_client", both(set_status(400), drop_headers("WWW-Authenticate"))),
)
F.deviate(
    "confidential_client_unauthenticated",
    ["DSO-8628-023"],
    "a confidential client may identify with client_id alone",
    confidential_without_secret=True,
)
F.reply(
    "unknown_grant_invalid_grant",
    ["DSO-8628-024"],
    "an unsupported grant_type answers invalid_grant",
    DSO.token,
    when_error("unsupported_grant_type", set_members(error="invalid_grant")),
)
F.deviate(
    "token_accepts_get",
    ["DSO-8628-025"],
    "the token endpoint serves GET with query parameters",
    token_serves_get=True,
)
F.reply(
    "error_description_non_ascii",
    ["DSO-8628-026"],
    "token error descriptions contain non-ASCII characters",
    DSO.token,
    _non_ascii_description,
)
F.reply(
    "metadata_without_device_grant",
    ["DSO-8628-027"],
    "metadata omits the device_code grant type",
    DSO.metadata,
    on_success(edit_body(_without_device_grant)),
)
F.deviate(
    "unknown_scope_accepted",
    ["DSO-8628-028"],
    "the device authorization endpoint accepts unknown scopes",
    accept_unknown_scopes=True,
)
F.deviate(
    "refreshed_token_unusable",
    ["DSO-8628-029"],
    "the refresh_token grant returns an access token the resource does not know",
    refreshed_token_unusable=True,
)
F.deviate(
    "refresh_not_bound_to_client",
    ["DSO-8628-030"],
    "any client may use any refresh token",
    refresh_for_any_client=True,
)
F.deviate(
    "refresh_scope_unchecked",
    ["DSO-8628-031"],
    "a refresh may widen the scope",
    refresh_widens_scope=True,
)
F.reply(
    "userinfo_without_sub",
    ["DSO-8628-032"],
    "userinfo omits sub",
    DSO.userinfo,
    on_success(drop_members("sub")),
)
F.reply(
    "userinfo_no_challenge",
    ["DSO-8628-033"],
    "userinfo without a token answers 401 without WWW-Authenticate",
    DSO.userinfo,
    _no_challenge,
)
F.reply(
    "userinfo_challenge_without_error",
    ["DSO-8628-034"],
    "userinfo with an invalid token answers 401 without error=invalid_token",
    DSO.userinfo,
    _challenge_without_error,
)
F.deviate(
    "token_duplicate_params_accepted",
    ["DSO-8628-035"],
    "the token endpoint accepts repeated parameters",
    token_accepts_duplicate_params=True,
)

# --- verification page -------------------------------------------------------------------------------

F.deviate(
    "page_without_code_field",
    ["DSO-PAGE-001"],
    "verification_uri has no field for the user code (only verification_uri_complete works)",
    hide_code_field=True,
)
F.deviate(
    "page_code_not_normalised",
    ["DSO-PAGE-002"],
    "the page accepts only the exact XXXX-XXXX form",
    exact_user_codes_only=True,
)
F.deviate(
    "page_code_case_sensitive",
    ["DSO-PAGE-002"],
    "user codes are issued in lower case and the page matches them case-sensitively (dashes ignored)",
    case_sensitive_user_codes=True,
)
F.deviate(
    "page_no_rate_limit",
    ["DSO-PAGE-003"],
    "the page never throttles wrong user codes",
    no_page_rate_limit=True,
)
F.deviate(
    "page_auto_approves_complete",
    ["DSO-PAGE-004"],
    "signing in from verification_uri_complete approves without the consent step",
    auto_approve_complete=True,
)
F.deviate(
    "page_complete_link_approves",
    ["DSO-PAGE-004"],
    "the sign-in form reached from verification_uri_complete posts to its own URL, which approves at sign-in",
    complete_link_approves=True,
)
F.deviate(
    "page_binds_primary",
    ["DSO-PAGE-005"],
    "page approvals bind the device to the profile's first account",
    bind_page_approval_to_primary_account=True,
)
F.deviate(
    "page_password_unchecked",
    ["DSO-PAGE-006"],
    "the page signs existing users in with any password",
    skip_page_password_check=True,
)
F.deviate(
    "page_hides_user_code",
    ["DSO-PAGE-007"],
    "the consent step does not show the user code",
    hide_user_code=True,
)
F.deviate(
    "page_code_reusable",
    ["DSO-PAGE-008"],
    "the page accepts an already used user code again",
    reusable_user_codes=True,
)
F.deviate(
    "page_accepts_expired_code",
    ["DSO-PAGE-009"],
    "the page accepts an expired user code",
    accept_expired_user_codes=True,
)
F.reply(
    "page_frameable", ["DSO-PAGE-010"], "the verification page may be framed", DSO.verification, _frameable
)
