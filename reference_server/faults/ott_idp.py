"""Faults of the `ott_idp` reference server: each breaks one behaviour a requirement names.

Settings faults turn one of ott_idp.Settings' behaviour switches off; reply faults reshape one
endpoint's answer (id_token faults re-sign a modified token with the server's own key, so only
the one property under test is wrong).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from reference_server.faults import register
from reference_server.reply import Reply

C = "ott_idp"
TOKEN, SIGNUP, DISCOVERY, JWKS = "ott_idp.token", "ott_idp.signup", "ott_idp.discovery", "ott_idp.jwks"


def _setting(name: str, targets: list[str], description: str, **settings: Any) -> None:
    register(f"ott_idp.{name}", C, targets, description, settings=settings)


def _reply(name: str, targets: list[str], description: str, endpoint: str, fn: Callable) -> None:
    register(f"ott_idp.{name}", C, targets, description, endpoint=endpoint, reply=fn)


def _on_success(fn: Callable[[Reply], None]) -> Callable[[Reply, Any], None]:
    def transform(reply: Reply, state: Any) -> None:
        if reply.status == 200 and isinstance(reply.body, dict):
            fn(reply)

    return transform


def _on_error(fn: Callable[[Reply], None]) -> Callable[[Reply, Any], None]:
    def transform(reply: Reply, state: Any) -> None:
        if reply.status >= 400 and isinstance(reply.body, dict):
            fn(reply)

    return transform


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _id_token(
    claims: Callable[[dict], None] | None = None, header: dict | None = None
) -> Callable[[Reply, Any], None]:
    """Re-sign the id_token with the server's key after changing claims or header."""

    def transform(reply: Reply, state: Any) -> None:
        if reply.status != 200 or not isinstance(reply.body, dict) or "id_token" not in reply.body:
            return
        payload = json.loads(_unb64(reply.body["id_token"].split(".")[1]))
        if claims:
            claims(payload)
        reply.body["id_token"] = state.key.sign(payload, {"typ": "JWT", **(header or {})})

    return transform


def _raw_id_token(build: Callable[[str, str, Any], str]) -> Callable[[Reply, Any], None]:
    """Replace the id_token with one assembled by hand (for shapes a JWT library refuses)."""

    def transform(reply: Reply, state: Any) -> None:
        if reply.status == 200 and isinstance(reply.body, dict) and "id_token" in reply.body:
            head, payload, _sig = reply.body["id_token"].split(".")
            reply.body["id_token"] = build(head, payload, state)

    return transform


def _alg_none(head: str, payload: str, state: Any) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": state.key.kid}
    return _b64(json.dumps(header).encode()) + "." + payload + "."


def _bad_signature(head: str, payload: str, state: Any) -> str:
    signed = state.key.sign(json.loads(_unb64(payload)), {"typ": "JWT"})
    h, p, sig = signed.split(".")
    raw = bytearray(_unb64(sig))
    raw[len(raw) // 2] ^= 0xFF
    return f"{h}.{p}.{_b64(bytes(raw))}"


def _duplicate_claim(head: str, payload: str, state: Any) -> str:
    import jwt  # PyJWT signs bytes as given, so the duplicate member survives

    claims = json.loads(_unb64(payload))
    text = json.dumps(claims)[:-1] + f', "iss": {json.dumps(claims["iss"])}}}'
    return jwt.api_jws.encode(
        text.encode(), state.key.private, algorithm="RS256", headers={"kid": state.key.kid, "typ": "JWT"}
    )


def _pop(*names: str) -> Callable[[dict], None]:
    return lambda d: [d.pop(n, None) for n in names] and None


def _drop_header(name: str) -> Callable[[Reply], None]:
    return lambda r: r.headers.pop(name, None) and None


# Token endpoint: success answers.
_reply(
    "token_type_mac",
    ["OTT-TOKEN-001", "OTT-SCHEMA-001"],
    "token_type is MAC, not Bearer",
    TOKEN,
    _on_success(lambda r: r.body.update(token_type="MAC")),
)
_reply(
    "token_text_plain",
    ["OTT-TOKEN-002"],
    "token response served as text/plain",
    TOKEN,
    _on_success(lambda r: setattr(r, "media_type", "text/plain")),
)
_reply(
    "token_cacheable",
    ["OTT-TOKEN-003"],
    "token response without Cache-Control: no-store",
    TOKEN,
    _on_success(_drop_header("Cache-Control")),
)
_reply(
    "token_no_pragma",
    ["OTT-TOKEN-004"],
    "token response without Pragma: no-cache",
    TOKEN,
    _on_success(_drop_header("Pragma")),
)
_reply(
    "token_no_expires_in",
    ["OTT-TOKEN-005"],
    "token response omits expires_in",
    TOKEN,
    _on_success(lambda r: r.body.pop("expires_in", None) and None),
)
_reply(
    "token_expires_in_string",
    ["OTT-SCHEMA-001"],
    "expires_in sent as a string",
    TOKEN,
    _on_success(lambda r: r.body.update(expires_in=str(r.body.get("expires_in", 3600)))),
)

# Token endpoint: client authentication.
_reply(
    "no_www_authenticate",
    ["OTT-TOKEN-006"],
    "401 invalid_client without WWW-Authenticate",
    TOKEN,
    lambda r, s: r.headers.pop("WWW-Authenticate", None) and None,
)
_setting(
    "anonymous_client_accepted",
    ["OTT-TOKEN-007"],
    "requests without client auth are served",
    require_client_auth=False,
)
_setting(
    "malformed_basic_crash",
    ["OTT-TOKEN-008"],
    "a malformed Basic header causes a 500",
    handle_malformed_basic=False,
)
_setting(
    "two_auth_methods_accepted",
    ["OTT-TOKEN-009"],
    "Basic plus body credentials accepted",
    reject_two_auth_methods=False,
)

# Token endpoint: grant and request validation.
_setting(
    "password_not_checked",
    ["OTT-TOKEN-010", "OTT-SEC-001", "OTT-SEC-003", "OTT-SIGNUP-008"],
    "any password signs in to an existing account",
    check_password=False,
)
_setting(
    "missing_credentials_as_invalid_grant",
    ["OTT-TOKEN-011"],
    "missing username/password answered invalid_grant",
    require_username_password=False,
)
_setting(
    "grant_type_optional",
    ["OTT-TOKEN-012"],
    "a missing grant_type defaults to password",
    require_grant_type=False,
)
_setting(
    "any_grant_type",
    ["OTT-TOKEN-013"],
    "any grant_type is treated as password",
    reject_unsupported_grant=False,
)
_setting(
    "openid_scope_optional",
    ["OTT-TOKEN-014"],
    "tokens issued without the openid scope",
    require_openid_scope=False,
)
_setting(
    "unknown_scope_silently_granted",
    ["OTT-TOKEN-015"],
    "unknown scopes accepted, none listed",
    reject_unknown_scope=False,
)
_setting(
    "duplicate_params_accepted",
    ["OTT-TOKEN-016"],
    "a repeated parameter is accepted",
    reject_duplicate_params=False,
)
_setting(
    "unknown_params_rejected",
    ["OTT-TOKEN-017"],
    "an unknown parameter is refused",
    ignore_unknown_params=False,
)
_setting("get_accepted", ["OTT-TOKEN-018"], "the grant is served over GET", reject_get=False)
_setting(
    "case_sensitive_usernames",
    ["OTT-TOKEN-019", "OTT-SIGNUP-009"],
    "usernames compared case-sensitively",
    case_insensitive_usernames=False,
)
_setting(
    "no_refresh_token",
    ["OTT-TOKEN-020", "OTT-TOKEN-021"],
    "no refresh_token issued",
    issue_refresh_token=False,
)
_setting(
    "refresh_grant_disabled",
    ["OTT-TOKEN-021"],
    "the refresh_token grant is refused",
    support_refresh_grant=False,
)

# Error answers.
_reply(
    "errors_text_plain",
    ["OTT-ERR-001"],
    "token errors served as text/plain",
    TOKEN,
    _on_error(lambda r: setattr(r, "media_type", "text/plain")),
)
_reply(
    "error_description_non_ascii",
    ["OTT-ERR-002"],
    "error_description has characters §5.2 forbids",
    TOKEN,
    _on_error(lambda r: r.body.update(error_description=r.body.get("error_description", "") + " “é”")),
)
_reply(
    "errors_cacheable",
    ["OTT-ERR-003"],
    "errors without Cache-Control: no-store",
    TOKEN,
    _on_error(_drop_header("Cache-Control")),
)
_reply(
    "error_description_number",
    ["OTT-SCHEMA-002"],
    "error_description sent as a number",
    TOKEN,
    _on_error(lambda r: r.body.update(error_description=400)),
)

# id_token.
_reply(
    "id_token_alg_none",
    ["OTT-IDT-001", "OTT-IDT-003"],
    "unsigned id_token (alg none)",
    TOKEN,
    _raw_id_token(_alg_none),
)
_reply(
    "id_token_unknown_kid",
    ["OTT-IDT-002"],
    "id_token kid not in the JWKS",
    TOKEN,
    _id_token(header={"kid": "not-published"}),
)
_reply(
    "id_token_bad_signature",
    ["OTT-IDT-003"],
    "id_token signature does not verify",
    TOKEN,
    _raw_id_token(_bad_signature),
)
_reply(
    "id_token_wrong_iss",
    ["OTT-IDT-004"],
    "id_token iss is another issuer",
    TOKEN,
    _id_token(lambda c: c.update(iss="https://elsewhere.example")),
)
_reply(
    "id_token_long_sub",
    ["OTT-IDT-005"],
    "sub longer than 255 characters",
    TOKEN,
    _id_token(lambda c: c.update(sub=c["sub"] + "x" * 256)),
)
_reply(
    "id_token_wrong_aud",
    ["OTT-IDT-006"],
    "aud is another client",
    TOKEN,
    _id_token(lambda c: c.update(aud="another-client")),
)
_reply(
    "id_token_expired",
    ["OTT-IDT-007"],
    "exp is in the past",
    TOKEN,
    _id_token(lambda c: c.update(exp=c["iat"] - 60)),
)
_reply(
    "id_token_two_days",
    ["OTT-IDT-008"],
    "id_token lives two days",
    TOKEN,
    _id_token(lambda c: c.update(exp=c["iat"] + 2 * 86400)),
)
_reply(
    "id_token_no_email",
    ["OTT-IDT-009", "OTT-SIGNUP-002"],
    "email claim missing",
    TOKEN,
    _id_token(_pop("email")),
)
_reply(
    "id_token_email_verified_string",
    ["OTT-IDT-010"],
    "email_verified is the string 'true'",
    TOKEN,
    _id_token(lambda c: c.update(email_verified="true")),
)
_reply(
    "id_token_no_name",
    ["OTT-IDT-011", "OTT-SIGNUP-003"],
    "name claim missing",
    TOKEN,
    _id_token(_pop("name")),
)
_setting("unstable_sub", ["OTT-IDT-012", "OTT-TOKEN-019"], "a new sub on every sign-in", stable_sub=False)
_setting("shared_sub", ["OTT-IDT-013"], "every account gets the same sub", unique_sub=False)
_reply(
    "sub_is_email",
    ["OTT-IDT-014"],
    "sub is the email address",
    TOKEN,
    _id_token(lambda c: c.update(sub=c.get("email", c["sub"]))),
)
_reply(
    "id_token_jku_header",
    ["OTT-IDT-015"],
    "id_token header carries jku",
    TOKEN,
    _id_token(header={"jku": "https://elsewhere.example/jwks"}),
)
_reply(
    "id_token_duplicate_claim",
    ["OTT-IDT-016"],
    "claims set repeats sub",
    TOKEN,
    _raw_id_token(_duplicate_claim),
)

# Discovery and JWKS.
_reply(
    "discovery_incomplete",
    ["OTT-DISC-001"],
    "discovery lacks subject_types_supported",
    DISCOVERY,
    _on_success(lambda r: r.body.pop("subject_types_supported", None) and None),
)
_reply(
    "discovery_no_password_grant",
    ["OTT-DISC-002"],
    "password missing from grant_types_supported",
    DISCOVERY,
    _on_success(lambda r: r.body.update(grant_types_supported=["refresh_token"])),
)
_reply(
    "jwks_private_member",
    ["OTT-DISC-003"],
    "JWKS leaks a private member",
    JWKS,
    _on_success(lambda r: r.body["keys"][0].update(d="AQAB")),
)

# Sign-up.
_reply(
    "signup_error_after_create",
    ["OTT-SIGNUP-001"],
    "account created, but 500 answered",
    SIGNUP,
    lambda r, s: r.status == 201 and (setattr(r, "status", 500) or r.body.update(error="server_error")),
)
_setting(
    "signup_not_persisted",
    [
        "OTT-SIGNUP-002",
        "OTT-SIGNUP-003",
        "OTT-SIGNUP-007",
        "OTT-SIGNUP-008",
        "OTT-SIGNUP-009",
        "OTT-SIGNUP-014",
    ],
    "sign-up answers 201 but keeps nothing",
    signup_persists=False,
)
_setting("signup_drops_name", ["OTT-SIGNUP-003"], "sign-up ignores the name", signup_keeps_name=False)
_setting(
    "signup_without_client_auth",
    ["OTT-SIGNUP-004"],
    "sign-up does not authenticate the client",
    signup_requires_client_auth=False,
)
_reply(
    "signup_missing_field_422",
    ["OTT-SIGNUP-005"],
    "missing fields answered 422",
    SIGNUP,
    lambda r, s: (
        r.status == 400
        and "required" in str((r.body or {}).get("error_description"))
        and setattr(r, "status", 422)
    ),
)
_setting(
    "signup_any_username",
    ["OTT-SIGNUP-006"],
    "usernames that are not emails accepted",
    validate_signup_email=False,
)
_setting(
    "signup_overwrites",
    ["OTT-SIGNUP-007", "OTT-SIGNUP-008", "OTT-SIGNUP-009", "OTT-SIGNUP-014"],
    "a duplicate sign-up replaces the account",
    reject_duplicate_signup=False,
)
_setting("no_password_policy", ["OTT-SIGNUP-010"], "any password accepted", password_min_length=0)
_reply(
    "signup_errors_text_plain",
    ["OTT-SIGNUP-011"],
    "sign-up errors served as text/plain",
    SIGNUP,
    _on_error(lambda r: setattr(r, "media_type", "text/plain")),
)
_setting(
    "signup_echoes_password",
    ["OTT-SIGNUP-012"],
    "sign-up reply echoes the password",
    hide_password_in_signup_reply=False,
)
_setting("signup_accepts_get", ["OTT-SIGNUP-013"], "sign-up served over GET", reject_signup_get=False)
_setting(
    "signup_race",
    ["OTT-SIGNUP-014"],
    "check-then-write sign-up: parallel duplicates both succeed",
    atomic_signup=False,
)

# Security.
_setting("no_bruteforce_limit", ["OTT-SEC-001"], "unlimited wrong passwords", bruteforce_max_failures=0)
_reply(
    "throttle_without_retry_after",
    ["OTT-SEC-002"],
    "429 without Retry-After",
    TOKEN,
    lambda r, s: r.status == 429 and r.headers.pop("Retry-After", None) and None,
)
_setting(
    "user_enumeration", ["OTT-SEC-003"], "unknown users get a different error", uniform_login_errors=False
)
