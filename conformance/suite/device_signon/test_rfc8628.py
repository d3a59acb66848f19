"""RFC 8628: device authorization, token polling, token responses, refresh, userinfo, metadata."""

from __future__ import annotations

import base64
import secrets
import time

import jwt
import pytest

from conformance import openapi
from conformance.bodies import body_of, error_code, media_type_of
from conformance.checks import Blocked
from conformance.deadlines import Outrun
from conformance.jose import public_jwk
from conformance.oauth_checks import TOKEN_ERRORS, no_store, oauth_error, pragma_no_cache
from conformance.suite.device_signon.checks import challenges_with, codes_well_formed, enough_entropy
from conformance.suite.device_signon.client import DEVICE_GRANT

req = pytest.mark.requirement


@req("DSO-8628-001", "DSO-8628-002", "DSO-8628-005", "DSO-8628-006")
def test_device_authorization_response(dso, check):
    resp = dso.authorize_raw()
    check.status("DSO-8628-001", resp, 200, fatal=True)
    body = check.json_object("DSO-8628-001", resp)
    problems = openapi.errors("device_signon", "DeviceAuthorizationResponse", body)
    check.that(
        "DSO-8628-001",
        not problems,
        "; ".join(problems[:3]),
        passed="validates against DeviceAuthorizationResponse",
    )
    for k in ("device_code", "user_code"):
        if isinstance(body.get(k), str):
            dso.redactor.remember(body[k])
    no_store(check, "DSO-8628-002", resp)
    user_code = str(body.get("user_code", ""))
    bare = "".join(c for c in user_code if c.isalnum())
    uri, complete = str(body.get("verification_uri", "")), body.get("verification_uri_complete")
    if dso.features.get("verification_uri_complete"):
        text = str(complete or "")
        check.that(
            "DSO-8628-005",
            bool(user_code) and (user_code in text or (bare and bare in text.replace("-", ""))),
            "verification_uri_complete does not contain the user_code",
            passed="verification_uri_complete contains the user_code",
        )
    check.that(
        "DSO-8628-006",
        bool(bare) and user_code not in uri and bare not in uri.replace("-", ""),
        "verification_uri contains the user_code",
        passed="verification_uri does not contain the user_code",
    )


@req("DSO-8628-003")
def test_device_authorization_unknown_client(dso, check):
    oauth_error(
        check,
        "DSO-8628-003",
        dso.authorize_raw(client_id="nobody-" + secrets.token_hex(4)),
        "invalid_client",
        (400, 401),
    )
    # No client_id at all is both "no client authentication included" (invalid_client) and "a
    # required parameter is missing" (invalid_request): RFC 6749 §5.2 allows either reading.
    missing = dso.authorize_raw(client_id="")
    check.status("DSO-8628-003", missing, (400, 401))
    check.that(
        "DSO-8628-003",
        error_code(missing) in ("invalid_client", "invalid_request"),
        f"without client_id the error is {error_code(missing)!r}, expected invalid_client or invalid_request",
        passed=f"without client_id: {error_code(missing)}",
    )


@req("DSO-8628-004")
def test_device_authorization_repeated_parameter(dso, check):
    resp = dso.authorize_raw(extra=[("client_id", dso.public_client)])
    oauth_error(check, "DSO-8628-004", resp, "invalid_request")


@req("DSO-8628-028")
def test_device_authorization_unknown_scope(dso, check):
    oauth_error(check, "DSO-8628-028", dso.authorize_raw(scope="urn:example:unknown-scope"), "invalid_scope")


@req("DSO-8628-007")
def test_pending_before_approval(dso, check):
    da = dso.authorize()
    oauth_error(check, "DSO-8628-007", dso.token_poll(da.device_code), "authorization_pending")
    da.wait_interval()
    oauth_error(check, "DSO-8628-007", dso.token_poll(da.device_code), "authorization_pending")


@req("DSO-8628-008", "DSO-8628-009")
def test_slow_down(dso, check, outwait):
    if dso.features.get("slow_down") is False:
        # RFC 8628 §3.5 defines slow_down for an AS that enforces the interval; it does not
        # require one to.
        pytest.skip("the profile says the vendor never answers slow_down (features.slow_down = false)")
    da = dso.authorize()
    increment = float(dso.section.get("slow_down_increment_s", 5))
    wait = da.interval + increment
    _, fast = dso.fast_pair(
        lambda: dso.token_poll(da.device_code), da.interval, lambda r: error_code(r) == "slow_down", wait
    )
    oauth_error(check, "DSO-8628-008", fast, "slow_down")
    outwait(wait, "the widened interval")
    time.sleep(wait * 1.05 + 0.05)
    after = dso.token_poll(da.device_code)  # the status of pending answers is DSO-8628-007's business
    # Only a poll the vendor saw before a second widening tells one widening from several.
    gap = dso.stamps.of(after)[1] - dso.stamps.of(fast)[0]
    if error_code(after) != "slow_down" and gap >= wait + increment:
        raise Outrun(
            f"the poll at the widened interval came {gap:.2f}s after the slow_down, "
            f"too late to tell one widening ({wait:g}s) from two ({wait + increment:g}s)"
        )
    check.that(
        "DSO-8628-009",
        error_code(after) == "authorization_pending",
        f"at the widened interval the poll answered {error_code(after)!r}",
        passed="authorization_pending at the widened interval",
    )


@req("DSO-8628-010")
def test_denied(dso, check):
    da = dso.authorize()
    dso.page_approve(da.user_code, "primary", action="deny")
    resp = dso.token_poll(da.device_code)
    oauth_error(check, "DSO-8628-010", resp, "access_denied")
    check.that(
        "DSO-8628-010",
        "access_token" not in body_of(resp),
        "tokens after a denial",
        passed="no tokens after a denial",
    )
    # RFC 8628 §3.5: a client stops polling at access_denied, so the answer to one more poll is the
    # AS's choice (the code may be spent: invalid_grant), as long as it yields no tokens.
    da.wait_interval()
    again = dso.token_poll(da.device_code)
    check.status("DSO-8628-010", again, 400)
    check.that(
        "DSO-8628-010",
        error_code(again) in ("access_denied", "invalid_grant") and "access_token" not in body_of(again),
        f"a poll after the denial answered {error_code(again)!r}",
        passed=f"access_denied, then {error_code(again)} and never tokens",
    )


@req(
    "DSO-8628-012",
    "DSO-8628-013",
    "DSO-8628-014",
    "DSO-8628-015",
    "DSO-8628-016",
    "DSO-8628-032",
)
def test_token_after_approval(dso, check, http):
    da = dso.approved("primary")
    da.wait_interval()
    resp = dso.token_poll(da.device_code)
    check.status("DSO-8628-012", resp, 200, fatal=not 200 <= resp.status_code < 300)
    body = check.json_object("DSO-8628-012", resp)
    problems = openapi.errors("device_signon", "TokenResponse", body)
    check.that(
        "DSO-8628-012", not problems, "; ".join(problems[:3]), passed="validates against TokenResponse"
    )
    check.that(
        "DSO-8628-012",
        isinstance(body.get("access_token"), str) and str(body.get("token_type", "")).lower() == "bearer",
        f"access_token/token_type missing or wrong (token_type {body.get('token_type')!r})",
        passed=f"access_token with token_type {body.get('token_type')!r}",
    )
    no_store(check, "DSO-8628-013", resp)
    pragma_no_cache(check, "DSO-8628-014", resp)
    if dso.features.get("openid"):
        id_token = body.get("id_token")
        check.that(
            "DSO-8628-015",
            isinstance(id_token, str),
            "no id_token for scope openid",
            passed="id_token present",
        )
        if isinstance(id_token, str):
            ok, why = verify_id_token(dso, http, id_token)
            check.that("DSO-8628-016", ok, why, passed="id_token verifies (iss, aud, sub, exp)")
        else:
            check.unreached("DSO-8628-016", "no id_token to verify (DSO-8628-015)")
    info = dso.userinfo(body.get("access_token", "x"))
    ib = body_of(info)
    check.status("DSO-8628-032", info, 200)
    problems = openapi.errors("device_signon", "UserInfo", ib)
    check.that(
        "DSO-8628-032", not problems, "; ".join(problems[:3]), passed=f"userinfo names sub {ib.get('sub')!r}"
    )


def verify_id_token(dso, http, token: str) -> tuple[bool, str]:
    meta: dict = {}
    if dso.has("metadata_url"):
        meta = body_of(http.get(dso.url("metadata_url")))
    jwks_url = dso.url("jwks_url") if dso.has("jwks_url") else meta.get("jwks_uri")
    if not jwks_url:
        raise Blocked("no jwks_url in the profile and no jwks_uri in metadata")
    keys = body_of(http.get(jwks_url)).get("keys") or []
    client = dso.public_client
    last = "no usable key in the JWKS"
    for jwk in keys if isinstance(keys, list) else []:
        try:
            key = jwt.PyJWK(public_jwk(jwk)).key
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"],
                audience=client,
                issuer=meta.get("issuer") or None,
                options={"require": ["exp", "iat", "sub"]},
            )
        except (jwt.PyJWTError, jwt.PyJWKError, ValueError, KeyError, TypeError) as exc:
            last = f"id_token does not verify: {type(exc).__name__}: {exc}"
            continue
        if not (claims["exp"] > claims["iat"] and claims["exp"] > time.time() and claims["sub"]):
            return False, "exp is not after iat and now, or sub is empty"
        return True, ""
    return False, last


@req("DSO-8628-017", "DSO-8628-018")
def test_device_code_replay(dso, check):
    da, first = dso.tokens("primary")
    da.wait_interval()
    again = dso.token_poll(da.device_code)
    oauth_error(check, "DSO-8628-017", again, "invalid_grant")
    if dso.has("userinfo_url"):
        info = dso.userinfo(first["access_token"])
        check.that(
            "DSO-8628-018",
            info.status_code == 401,
            f"the tokens of a replayed device_code still work (userinfo {info.status_code})",
            passed="the replay revoked the tokens already issued",
        )


@req("DSO-8628-019")
def test_device_code_other_client(dso, check):
    other = dso.section.get("other_public_client_id")
    if not other:
        pytest.skip("the profile has no other_public_client_id")
    da = dso.authorize()
    oauth_error(check, "DSO-8628-019", dso.token_poll(da.device_code, client_id=other), "invalid_grant")


@req("DSO-8628-020", "DSO-8628-021", "DSO-8628-024", "DSO-8628-026")
def test_token_endpoint_errors(dso, check):
    unknown = dso.token_poll("unknown-" + secrets.token_urlsafe(24))
    oauth_error(check, "DSO-8628-020", unknown, "invalid_grant")
    missing = dso.token_poll(None)
    oauth_error(check, "DSO-8628-021", missing, "invalid_request")
    odd = dso.form_post(
        "token_url", [("grant_type", "urn:example:not-a-grant"), ("client_id", dso.public_client)]
    )
    oauth_error(check, "DSO-8628-024", odd, "unsupported_grant_type")
    for resp in (unknown, missing, odd):
        body = body_of(resp)
        problems = openapi.errors("device_signon", "OAuthError", body) if body else ["not a JSON object"]
        check.that(
            "DSO-8628-026",
            not problems,
            f"HTTP {resp.status_code} error body: {'; '.join(problems[:2])}",
            passed="errors are JSON with a registered error and ASCII-only descriptions",
        )


@req("DSO-8628-022")
def test_confidential_wrong_secret(dso, check):
    cid = dso.section.get("confidential_client_id")
    if not cid:
        pytest.skip("no confidential_client_id")
    basic = base64.b64encode(f"{cid}:wrong-{secrets.token_hex(4)}".encode()).decode()
    resp = dso.authorize_raw(client_id="", headers={"Authorization": f"Basic {basic}"})
    oauth_error(check, "DSO-8628-022", resp, "invalid_client", 401)
    challenges_with(check, "DSO-8628-022", resp, "basic")


@req("DSO-8628-023")
def test_confidential_without_authentication(dso, check):
    cid = dso.section.get("confidential_client_id")
    if not cid:
        pytest.skip("no confidential_client_id")
    oauth_error(check, "DSO-8628-023", dso.authorize_raw(client_id=cid), "invalid_client", (400, 401))


@req("DSO-8628-025")
def test_token_endpoint_refuses_get(dso, check, http):
    params = {
        "grant_type": DEVICE_GRANT,
        "device_code": "x-" + secrets.token_hex(8),
        "client_id": dso.public_client,
    }
    # A refusal is only evidence next to a token endpoint that speaks OAuth: the same request POSTed
    # must answer an RFC 6749 §5.2 JSON error (a web page or a redirect for everything proves nothing).
    post = dso.token_poll(params["device_code"])
    if not (
        400 <= post.status_code < 500
        and media_type_of(post) == "application/json"
        and error_code(post) in TOKEN_ERRORS
    ):
        raise Blocked(
            f"the token endpoint answers an unknown device_code with HTTP {post.status_code}"
            f" {media_type_of(post) or 'without Content-Type'}, not an OAuth error",
            by="DSO-8628-020",
        )
    resp = http.get(dso.url("token_url"), params=params)
    code = error_code(resp)
    refusal = f"{resp.status_code} {code}" if code else str(resp.status_code)
    # Refused: a client error (never a token, never a redirect, never a server error) that is not the
    # endpoint's answer to the device_code (invalid_grant means the GET was processed as a grant).
    check.that(
        "DSO-8628-025",
        400 <= resp.status_code < 500 and code != "invalid_grant" and "access_token" not in body_of(resp),
        f"GET answered {resp.status_code} {code!r}, expected a 4xx refusal",
        passed=f"GET refused with {refusal} (POST answers {error_code(post)})",
    )


@req("DSO-8628-035")
def test_token_repeated_parameter(dso, check):
    resp = dso.token_poll("x-" + secrets.token_hex(8), extra=[("grant_type", DEVICE_GRANT)])
    oauth_error(check, "DSO-8628-035", resp, "invalid_request")


@req("DSO-8628-027")
def test_metadata(dso, check, http):
    resp = http.get(dso.url("metadata_url"))
    check.status("DSO-8628-027", resp, 200)
    body = body_of(resp)
    problems = openapi.errors("device_signon", "AuthorizationServerMetadata", body)
    check.that(
        "DSO-8628-027", not problems, "; ".join(problems[:3]), passed="device endpoint and grant type listed"
    )


@req("DSO-8628-029", "DSO-SEC-006")
def test_refresh(dso, check):
    _, tokens = dso.tokens("primary")
    old = tokens.get("refresh_token")
    if not isinstance(old, str):
        pytest.skip("no refresh_token issued")
    resp = dso.refresh(old)
    new = body_of(resp)
    info = dso.userinfo(new.get("access_token", "x"))
    check.that(
        "DSO-8628-029",
        200 <= resp.status_code < 300 and info.status_code == 200,
        f"refresh answered {resp.status_code}, the new token at userinfo {info.status_code}",
        passed="the refreshed access token works at userinfo",
    )
    reuse = dso.refresh(old)
    oauth_error(check, "DSO-SEC-006", reuse, "invalid_grant", (400, 401))


@req("DSO-8628-030")
def test_refresh_other_client(dso, check):
    other = dso.section.get("other_public_client_id")
    if not other:
        pytest.skip("no other_public_client_id")
    _, tokens = dso.tokens("primary")
    if not isinstance(tokens.get("refresh_token"), str):
        pytest.skip("no refresh_token issued")
    oauth_error(check, "DSO-8628-030", dso.refresh(tokens["refresh_token"], client_id=other), "invalid_grant")


@req("DSO-8628-031")
def test_refresh_wider_scope(dso, check):
    # Narrower than the profile's scope, but keeping what the vendor needs to issue a refresh
    # token at all (e.g. offline_access).
    profile_scope = str(dso.section.get("scope", "openid email")).split()
    narrow = " ".join(dict.fromkeys(["openid", *(s for s in profile_scope if s not in ("email", "profile"))]))
    da = dso.authorize(scope=narrow)
    dso.page_approve(da.user_code, "primary")
    da.wait_interval()
    tokens = body_of(dso.token_poll(da.device_code))
    if not isinstance(tokens.get("refresh_token"), str):
        pytest.skip(f"no refresh_token issued for scope {narrow!r}")
    wider = " ".join(dict.fromkeys([*narrow.split(), *profile_scope, "email"]))
    oauth_error(check, "DSO-8628-031", dso.refresh(tokens["refresh_token"], scope=wider), "invalid_scope")


@req("DSO-8628-033", "DSO-8628-034")
def test_userinfo_challenges(dso, check):
    bare = dso.userinfo(None)
    check.status("DSO-8628-033", bare, 401)
    challenges_with(check, "DSO-8628-033", bare, "bearer")
    bad = dso.userinfo("invalid-" + secrets.token_urlsafe(16))
    www = bad.headers.get("www-authenticate", "")
    check.that(
        "DSO-8628-034",
        bad.status_code == 401 and 'error="invalid_token"' in www,
        f"HTTP {bad.status_code}, WWW-Authenticate {www or 'missing'!r}",
        passed=www,
    )


@req("DSO-SEC-004", "DSO-SEC-005")
def test_device_and_user_code_entropy(dso, check):
    das = [dso.authorize() for _ in range(8)]
    enough_entropy(check, "DSO-SEC-004", "device_codes", [d.device_code for d in das])
    codes_well_formed(check, "DSO-SEC-005", "user codes", [d.user_code for d in das])
