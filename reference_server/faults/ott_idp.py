"""Faults of the `ott_idp` reference server: each breaks one behaviour a requirement names.

Most reshape one endpoint's reply; id_token faults re-sign a modified token with the server's own
key, so only the one property under test is wrong. What a reply cannot fake (what the server
accepts, keeps or counts) is a ``Deviations`` switch; a wrong limit is a ``Settings`` value.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from conformance.jose import b64url_decode, b64url_encode
from reference_server.faults import ReplyTransform
from reference_server.faults.transforms import (
    Faults,
    both,
    drop_headers,
    drop_members,
    edit_body,
    on_error,
    on_success,
    set_media_type,
    set_members,
    set_status,
    when_status,
)
from reference_server.ott_idp import ENDPOINTS
from reference_server.reply import Reply

F = Faults("ott_idp")
TOKEN, SIGNUP, DISCOVERY, JWKS = ENDPOINTS.token, ENDPOINTS.signup, ENDPOINTS.discovery, ENDPOINTS.jwks
Claims = dict[str, Any]


# --- conditions -----------------------------------------------------------------------------------


def _when_error_says(text: str, fn: ReplyTransform) -> ReplyTransform:
    """400 errors whose error_description contains ``text``: one cause among the endpoint's errors."""

    def transform(reply: Reply, state: Any) -> None:
        body = reply.json_object()
        if reply.status == 400 and body is not None and text in str(body.get("error_description")):
            fn(reply, state)

    return transform


# --- body edits -----------------------------------------------------------------------------------


def _expires_in_as_string(body: dict[str, Any]) -> None:
    body["expires_in"] = str(body.get("expires_in", 3600))


def _non_ascii_description(body: dict[str, Any]) -> None:
    body["error_description"] = body.get("error_description", "") + " “é”"


def _leak_private_member(body: dict[str, Any]) -> None:
    body["keys"][0]["d"] = "AQAB"


# --- id_token: re-signed with a claim or header changed, or assembled by hand ---------------------


def _has_id_token(reply: Reply) -> bool:
    body = reply.json_object()
    return reply.status == 200 and body is not None and "id_token" in body


def _id_token(claims: Callable[[Claims], None] | None = None, header: dict | None = None) -> ReplyTransform:
    """Re-sign the id_token with the server's key after changing claims or header."""

    def transform(reply: Reply, state: Any) -> None:
        if not _has_id_token(reply):
            return
        payload = json.loads(b64url_decode(reply.body["id_token"].split(".")[1]))
        if claims is not None:
            claims(payload)
        reply.body["id_token"] = state.key.sign(payload, {"typ": "JWT", **(header or {})})

    return transform


def _set_claims(**values: Any) -> Callable[[Claims], None]:
    def edit(claims: Claims) -> None:
        claims.update(values)

    return edit


def _drop_claim(name: str) -> Callable[[Claims], None]:
    def edit(claims: Claims) -> None:
        claims.pop(name, None)

    return edit


def _exp_after_iat(seconds: int) -> Callable[[Claims], None]:
    def edit(claims: Claims) -> None:
        claims["exp"] = claims["iat"] + seconds

    return edit


def _long_sub(claims: Claims) -> None:
    claims["sub"] += "x" * 256


def _fresh_sub(claims: Claims) -> None:
    claims["sub"] = "u-" + secrets.token_hex(12)


def _sub_is_email(claims: Claims) -> None:
    claims["sub"] = claims.get("email", claims["sub"])


def _raw_id_token(build: Callable[[str, str, Any], str]) -> ReplyTransform:
    """Replace the id_token with one assembled by hand (for shapes a JWT library refuses)."""

    def transform(reply: Reply, state: Any) -> None:
        if _has_id_token(reply):
            head, payload, _sig = reply.body["id_token"].split(".")
            reply.body["id_token"] = build(head, payload, state)

    return transform


def _alg_none(head: str, payload: str, state: Any) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": state.key.kid}
    return b64url_encode(json.dumps(header)) + "." + payload + "."


def _bad_signature(head: str, payload: str, state: Any) -> str:
    signed = state.key.sign(json.loads(b64url_decode(payload)), {"typ": "JWT"})
    h, p, sig = signed.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[len(raw) // 2] ^= 0xFF
    return f"{h}.{p}.{b64url_encode(bytes(raw))}"


def _duplicate_claim(head: str, payload: str, state: Any) -> str:
    """PyJWT signs bytes as given, so the repeated member survives."""
    claims = json.loads(b64url_decode(payload))
    text = json.dumps(claims)[:-1] + f', "iss": {json.dumps(claims["iss"])}}}'
    return jwt.api_jws.encode(
        text.encode(), state.key.private, algorithm="RS256", headers={"kid": state.key.kid, "typ": "JWT"}
    )


def _padded_b64(data: bytes) -> str:
    """Base64url with its '=' padding; a JSON text one byte short of a whole group gets a space so
    that there is padding to see."""
    if len(data) % 3 == 0:
        data += b" "
    return base64.urlsafe_b64encode(data).decode()


def _padded(head: str, payload: str, state: Any) -> str:
    """Header and claims segments padded (RFC 7515 §2 forbids it) and signed over exactly what is
    sent, so only the encoding is wrong: the signature verifies and every claim reads."""
    header = json.dumps({"alg": "RS256", "typ": "JWT", "kid": state.key.kid}).encode()
    h, p = _padded_b64(header), _padded_b64(b64url_decode(payload))
    signature = RSAAlgorithm(RSAAlgorithm.SHA256).sign(f"{h}.{p}".encode(), state.key.private)
    return f"{h}.{p}.{b64url_encode(signature)}"


# --- replies of a refused GET ----------------------------------------------------------------------


def _plain_405(reply: Reply, state: Any) -> None:
    reply.status, reply.body, reply.media_type = 405, b"Method Not Allowed", "text/plain"
    reply.headers["Allow"] = "POST"


def _redirect_to(path: str) -> ReplyTransform:
    """A 302 back to the endpoint's own ``path`` setting: a redirect loop, not a refusal."""

    def transform(reply: Reply, state: Any) -> None:
        reply.status, reply.body = 302, None
        reply.headers["Location"] = state.public_url + getattr(state.base_settings["ott_idp"], path)

    return transform


def _no_body(reply: Reply, state: Any) -> None:
    reply.body, reply.media_type = None, None


def _web_page(reply: Reply, state: Any) -> None:
    reply.body, reply.media_type = "<!doctype html><html><body><h1>Welcome!</h1></body></html>", None


# Token endpoint: success answers.
F.reply(
    "token_type_mac",
    ["OTT-TOKEN-001"],  # token_type is OTT-TOKEN-001's fact: the schema check does not judge it again
    "token_type is MAC, not Bearer",
    TOKEN,
    on_success(set_members(token_type="MAC")),
)
F.reply(
    "token_text_plain",
    ["OTT-TOKEN-002"],
    "token response served as text/plain",
    TOKEN,
    on_success(set_media_type("text/plain")),
)
F.reply(
    "token_cacheable",
    ["OTT-TOKEN-003"],
    "token response without Cache-Control: no-store",
    TOKEN,
    on_success(drop_headers("Cache-Control")),
)
F.reply(
    "token_no_pragma",
    ["OTT-TOKEN-004"],
    "token response without Pragma: no-cache",
    TOKEN,
    on_success(drop_headers("Pragma")),
)
F.reply(
    "token_no_expires_in",
    ["OTT-TOKEN-005"],
    "token response omits expires_in",
    TOKEN,
    on_success(drop_members("expires_in")),
)
F.reply(
    "token_expires_in_string",
    ["OTT-SCHEMA-001"],
    "expires_in sent as a string",
    TOKEN,
    on_success(edit_body(_expires_in_as_string)),
)

# Token endpoint: client authentication.
F.reply(
    "no_www_authenticate",
    ["OTT-TOKEN-006"],
    "401 invalid_client without WWW-Authenticate",
    TOKEN,
    drop_headers("WWW-Authenticate"),
)
F.deviate(
    "anonymous_client_accepted",
    # A client_id alone is no client authentication either; sign-up shares the client check.
    ["OTT-TOKEN-007", "OTT-CLIENT-003", "OTT-SIGNUP-004"],
    "requests without client auth are served",
    accept_anonymous_client=True,
)
F.reply(
    "malformed_basic_crash",
    ["OTT-TOKEN-008"],
    "a malformed Basic header causes a 500",
    TOKEN,
    _when_error_says(
        "malformed Basic credentials",
        both(set_status(500), set_members(error="server_error", error_description="internal error")),
    ),
)
F.deviate(
    "two_auth_methods_accepted",
    ["OTT-TOKEN-009"],
    "Basic plus body credentials accepted",
    accept_two_auth_methods=True,
)

# Token endpoint: grant and request validation.
F.deviate(
    "password_not_checked",
    # Wrong passwords accepted leave no refusal to compare for enumeration: OTT-SEC-003 is blocked.
    ["OTT-TOKEN-010", "OTT-SEC-001", "OTT-SIGNUP-008"],
    "any password signs in to an existing account",
    skip_password_check=True,
)
F.reply(
    "missing_credentials_as_invalid_grant",
    ["OTT-TOKEN-011"],
    "missing username/password answered invalid_grant",
    TOKEN,
    _when_error_says(
        "username and password are required",
        set_members(error="invalid_grant", error_description="invalid username or password"),
    ),
)
F.deviate(
    "grant_type_optional",
    ["OTT-TOKEN-012"],
    "a missing grant_type defaults to password",
    grant_type_defaults_to_password=True,
)
F.deviate(
    "any_grant_type",
    ["OTT-TOKEN-013"],
    "any grant_type is treated as password",
    any_grant_as_password=True,
)
F.deviate(
    "openid_scope_optional",
    ["OTT-TOKEN-014"],
    "tokens issued without the openid scope",
    openid_scope_optional=True,
)
F.deviate(
    "unknown_scope_silently_granted",
    ["OTT-TOKEN-015"],
    "unknown scopes accepted, none listed",
    grant_unknown_scopes=True,
)
F.deviate(
    "duplicate_params_accepted",
    ["OTT-TOKEN-016"],
    "a repeated parameter is accepted",
    accept_duplicate_params=True,
)
F.deviate(
    "unknown_params_rejected",
    ["OTT-TOKEN-017"],
    "an unknown parameter is refused",
    reject_unknown_params=True,
)
F.deviate(
    "unknown_params_answered_empty",
    ["OTT-TOKEN-017"],
    "a grant with an unknown parameter gets 200 and no tokens",
    answer_unknown_params_empty=True,
)
F.deviate("get_accepted", ["OTT-TOKEN-018"], "the grant is served over GET", accept_get=True)
F.reply(
    "get_refused_without_error_body",
    ["OTT-TOKEN-018"],
    "a GET is refused with 405 and a text body, not an RFC 6749 error",
    TOKEN,
    _when_error_says("accepts POST only", _plain_405),
)
F.reply(
    "get_redirected",
    ["OTT-TOKEN-018"],
    "a GET is answered with a redirect to the token endpoint itself",
    TOKEN,
    _when_error_says("accepts POST only", _redirect_to("token_path")),
)
F.deviate(
    "case_sensitive_usernames",
    ["OTT-TOKEN-019", "OTT-SIGNUP-009"],
    "usernames compared case-sensitively",
    case_sensitive_usernames=True,
)
F.configure(
    "no_refresh_token",
    ["OTT-TOKEN-020"],  # nothing to exchange: OTT-TOKEN-021 is blocked by OTT-TOKEN-020
    "no refresh_token issued",
    issue_refresh_token=False,
)
F.deviate(
    "refresh_grant_disabled",
    ["OTT-TOKEN-021"],
    "the refresh_token grant is refused",
    refuse_refresh_grant=True,
)

# Error answers.
F.reply(
    "errors_text_plain",
    ["OTT-ERR-001", "OTT-TOKEN-018"],  # the refusal of a GET is a token error too (VTK-18)
    "token errors served as text/plain",
    TOKEN,
    on_error(set_media_type("text/plain")),
)
F.reply(
    "error_description_non_ascii",
    ["OTT-ERR-002"],
    "error_description has characters §5.2 forbids",
    TOKEN,
    on_error(edit_body(_non_ascii_description)),
)
F.reply(
    "errors_cacheable",
    ["OTT-ERR-003"],
    "errors without Cache-Control: no-store",
    TOKEN,
    on_error(drop_headers("Cache-Control")),
)
F.reply(
    "error_description_number",
    ["OTT-SCHEMA-002"],
    "error_description sent as a number",
    TOKEN,
    on_error(set_members(error_description=400)),
)

# id_token.
F.reply(
    "id_token_alg_none",
    ["OTT-IDT-001", "OTT-IDT-003"],
    "unsigned id_token (alg none)",
    TOKEN,
    _raw_id_token(_alg_none),
)
F.reply(
    "id_token_unknown_kid",
    ["OTT-IDT-002"],
    "id_token kid not in the JWKS",
    TOKEN,
    _id_token(header={"kid": "not-published"}),
)
F.reply(
    "id_token_bad_signature",
    ["OTT-IDT-003"],
    "id_token signature does not verify",
    TOKEN,
    _raw_id_token(_bad_signature),
)
F.reply(
    "id_token_wrong_iss",
    ["OTT-IDT-004"],
    "id_token iss is another issuer",
    TOKEN,
    _id_token(_set_claims(iss="https://elsewhere.example")),
)
F.reply(
    "id_token_long_sub",
    ["OTT-IDT-005"],
    "sub longer than 255 characters",
    TOKEN,
    _id_token(_long_sub),
)
F.reply(
    "id_token_wrong_aud",
    ["OTT-IDT-006"],
    "aud is another client",
    TOKEN,
    _id_token(_set_claims(aud="another-client")),
)
F.reply(
    "id_token_expired",
    ["OTT-IDT-007"],
    "exp is in the past",
    TOKEN,
    _id_token(_exp_after_iat(-60)),
)
F.reply(
    "id_token_two_days",
    ["OTT-IDT-008"],
    "id_token lives two days",
    TOKEN,
    _id_token(_exp_after_iat(2 * 86400)),
)
F.reply(
    "id_token_no_email",
    ["OTT-IDT-009", "OTT-SIGNUP-002"],
    "email claim missing",
    TOKEN,
    _id_token(_drop_claim("email")),
)
F.reply(
    "id_token_email_verified_string",
    ["OTT-IDT-010"],
    "email_verified is the string 'true'",
    TOKEN,
    _id_token(_set_claims(email_verified="true")),
)
F.reply(
    "id_token_no_name",
    ["OTT-IDT-011", "OTT-SIGNUP-003"],
    "name claim missing",
    TOKEN,
    _id_token(_drop_claim("name")),
)
F.reply(
    "unstable_sub",
    ["OTT-IDT-012", "OTT-TOKEN-019", "OTT-REFRESH-001"],
    "a new sub on every sign-in",
    TOKEN,
    _id_token(_fresh_sub),
)
F.reply(
    "shared_sub",
    ["OTT-IDT-013"],
    "every account gets the same sub",
    TOKEN,
    _id_token(_set_claims(sub="u-000000000000000000000000")),
)
F.reply(
    "sub_is_email",
    ["OTT-IDT-014"],
    "sub is the email address",
    TOKEN,
    _id_token(_sub_is_email),
)
F.reply(
    "id_token_jku_header",
    ["OTT-IDT-015"],
    "id_token header carries jku",
    TOKEN,
    _id_token(header={"jku": "https://elsewhere.example/jwks"}),
)
F.reply(
    "id_token_padded_segments",
    ["OTT-IDT-001"],
    "id_token header and claims segments carry base64 padding (signed as sent)",
    TOKEN,
    _raw_id_token(_padded),
)
F.reply(
    "id_token_duplicate_claim",
    ["OTT-IDT-016"],
    "claims set repeats sub",
    TOKEN,
    _raw_id_token(_duplicate_claim),
)

# Discovery and JWKS.
F.reply(
    "discovery_incomplete",
    ["OTT-DISC-001"],
    "discovery lacks subject_types_supported",
    DISCOVERY,
    on_success(drop_members("subject_types_supported")),
)
F.reply(
    "discovery_served_as_html",
    ["OTT-DISC-001"],
    "the discovery URL answers 200 with a web page",
    DISCOVERY,
    on_success(_web_page),
)
F.reply(
    "discovery_no_password_grant",
    ["OTT-DISC-002"],
    "password missing from grant_types_supported",
    DISCOVERY,
    on_success(set_members(grant_types_supported=["refresh_token"])),
)
F.reply(
    "jwks_private_member",
    ["OTT-DISC-003"],
    "JWKS leaks a private member",
    JWKS,
    on_success(edit_body(_leak_private_member)),
)

# Sign-up.
F.reply(
    "signup_error_after_create",
    ["OTT-SIGNUP-001"],
    "account created, but 500 answered",
    SIGNUP,
    when_status(201, both(set_status(500), set_members(error="server_error"))),
)
F.reply(
    "signup_answers_a_page",
    ["OTT-SIGNUP-001"],
    "a successful sign-up answers 201 with a web page, not the API's answer",
    SIGNUP,
    when_status(201, _web_page),
)
F.deviate(
    "signup_not_persisted",
    # A new account that cannot sign in leaves nothing to duplicate or name: the name and
    # duplicate-sign-up requirements are blocked by OTT-SIGNUP-002, not failed.
    ["OTT-SIGNUP-002", "OTT-SIGNUP-014"],
    "sign-up answers 201 but keeps nothing",
    signup_forgets=True,
)
F.deviate("signup_drops_name", ["OTT-SIGNUP-003"], "sign-up ignores the name", signup_drops_name=True)
F.deviate(
    "signup_without_client_auth",
    ["OTT-SIGNUP-004"],
    "sign-up does not authenticate the client",
    signup_skips_client_auth=True,
)
F.deviate(
    "signup_anonymous_accepted",
    ["OTT-SIGNUP-004"],
    "a sign-up with no Authorization header is served (a wrong secret is still refused)",
    signup_accepts_anonymous_client=True,
)
F.reply(
    "signup_no_www_authenticate",
    ["OTT-SIGNUP-004"],
    "sign-up's 401 invalid_client without WWW-Authenticate",
    SIGNUP,
    when_status(401, drop_headers("WWW-Authenticate")),
)
F.reply(
    "signup_missing_field_422",
    ["OTT-SIGNUP-005"],
    "missing fields answered 422",
    SIGNUP,
    _when_error_says("required", set_status(422)),
)
F.deviate(
    "signup_any_username",
    ["OTT-SIGNUP-006"],
    "usernames that are not emails accepted",
    signup_accepts_any_username=True,
)
F.deviate(
    "signup_overwrites",
    ["OTT-SIGNUP-007", "OTT-SIGNUP-008", "OTT-SIGNUP-009", "OTT-SIGNUP-014"],
    "a duplicate sign-up replaces the account",
    signup_overwrites=True,
)
F.configure("no_password_policy", ["OTT-SIGNUP-010"], "any password accepted", password_min_length=0)
F.reply(
    "signup_errors_text_plain",
    ["OTT-SIGNUP-011"],
    "sign-up errors served as text/plain",
    SIGNUP,
    on_error(set_media_type("text/plain")),
)
F.deviate(
    "signup_echoes_password",
    ["OTT-SIGNUP-012"],
    "sign-up reply echoes the password",
    signup_echoes_password=True,
)
F.reply(
    "signup_get_redirected",
    ["OTT-SIGNUP-013"],
    "a GET on the sign-up URL is answered with a redirect to itself",
    SIGNUP,
    _when_error_says("accepts POST only", _redirect_to("signup_path")),
)
F.reply(
    "signup_duplicate_without_error",
    ["OTT-SIGNUP-007", "OTT-SIGNUP-009"],
    "a duplicate sign-up is refused with a bare 409, no OAuth error body",
    SIGNUP,
    when_status(409, _no_body),
)
F.deviate("signup_accepts_get", ["OTT-SIGNUP-013"], "sign-up served over GET", signup_accepts_get=True)
F.deviate(
    "signup_race",
    ["OTT-SIGNUP-014"],
    "check-then-write sign-up: parallel duplicates both succeed",
    signup_check_then_write=True,
)

# Security.
F.configure("no_bruteforce_limit", ["OTT-SEC-001"], "unlimited wrong passwords", bruteforce_max_failures=0)
F.reply(
    "throttle_without_retry_after",
    ["OTT-SEC-002"],
    "429 without Retry-After",
    TOKEN,
    when_status(429, drop_headers("Retry-After")),
)
F.deviate(
    "user_enumeration",
    ["OTT-SEC-003"],
    "unknown users get a different error",
    reveal_unknown_users=True,
)

# Clients and throttles (issue 9).
F.deviate(
    "basic_not_form_decoded",
    ["OTT-CLIENT-001"],
    "HTTP Basic id and secret taken as sent, not form-decoded (RFC 6749 §2.3.1)",
    basic_not_form_decoded=True,
)
F.deviate(
    "password_grant_for_any_client",
    ["OTT-CLIENT-002"],
    "a client not enabled for the password grant still gets tokens",
    password_grant_for_any_client=True,
)
F.deviate(
    "client_without_secret_accepted",
    ["OTT-CLIENT-003"],
    "a known client id with no secret is served the password grant",
    accept_client_without_secret=True,
)
F.configure(
    "no_client_throttle", ["OTT-THROTTLE-001"], "unlimited wrong client secrets", client_max_failures=0
)
F.configure(
    "no_signup_throttle", ["OTT-THROTTLE-002"], "unlimited sign-ups from one address", signup_max_per_window=0
)
F.configure(
    "access_token_lives_a_day", ["OTT-TTL-001"], "access tokens live 24 hours", access_token_ttl_s=86400
)
F.deviate(
    "refresh_id_token_new_sub",
    ["OTT-REFRESH-001"],
    "the id_token of a refresh names another subject",
    refresh_id_token_new_sub=True,
)
