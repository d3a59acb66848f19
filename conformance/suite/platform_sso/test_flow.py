"""The regular flow: MVPD login, profiles, isolation, decisions, media tokens and logout."""

from __future__ import annotations

import base64
import copy
import time
from urllib.parse import quote, urljoin

import jwt
import pytest

from conformance.bodies import body_of
from conformance.checks import Blocked
from conformance.deadlines import now
from conformance.suite.platform_sso.checks import decisions_refused, eec_error, matches_schema
from conformance.suite.platform_sso.client import device_id
from conformance.suite.platform_sso.readers import (
    code_of,
    decisions_of,
    ms,
    path_of,
    profiles_of,
)

req = pytest.mark.requirement
PROFILE_TYPES = {"regular", "appleSSO", "platformSSO", "serviceTokenSSO", "degraded", "temporary"}
SOURCES = ("mvpd", "degradation", "temppass", "dummy")  # a tuple: a list-valued source is judged, not a crash


def _summary(item):
    return {k: item.get(k) for k in ("resource", "serviceProvider", "mvpd", "source", "authorized")}


@req("PSSO-AUTHN-003", "PSSO-AUTHN-004")
def test_mvpd_login_creates_regular_profile(psso, app, check):
    if psso.login_mode == "browser":
        session, landed = psso.browser_authenticate(app)
        check.that(
            "PSSO-AUTHN-003",
            landed.split("?")[0] == psso.redirect_url,
            f"the browser ended at {landed.split('?')[0]!r}, expected redirectUrl {psso.redirect_url}",
            passed="the browser landed on redirectUrl",
        )
    elif psso.login_mode == "hook":  # the hook's user agent is not ours: only the profile is seen
        session = psso.start_session(app)
        psso.login_hook(session, psso.mvpd, "primary")
    else:
        session = psso.start_session(app)
        page_url, form = psso.login_page(session)
        done = psso.submit_login(page_url, form)
        location = urljoin(page_url, done.headers.get("location", ""))
        check.that(
            "PSSO-AUTHN-003",
            done.status_code in (302, 303) and location == psso.redirect_url,
            f"the login ended with HTTP {done.status_code} Location {done.headers.get('location')!r}, "
            f"expected a redirect to {psso.redirect_url}",
            passed="redirected to redirectUrl",
        )
    profile = psso.wait_for_profile(app, session["code"])
    check.that(
        "PSSO-AUTHN-003",
        profile is not None,
        "no profile was saved",
        passed="a profile was saved",
        fatal=True,
    )
    check.that(
        "PSSO-AUTHN-004",
        profile.get("type") == "regular" and profile.get("issuer") == psso.mvpd,
        f"the profile behind the code has type {profile.get('type')!r} issuer {profile.get('issuer')!r}, "
        f"expected regular / {psso.mvpd}",
        passed="type regular, issuer = mvpd",
    )


@req("PSSO-AUTHN-006")
def test_wrong_mvpd_password(psso, app, check):
    psso.need_form_login()
    session = psso.start_session(app)
    page_url, form = psso.login_page(session)
    refused = psso.submit_login(page_url, form, password="wrong-" + psso.account("primary")["password"][:3])
    location = urljoin(page_url, refused.headers.get("location", ""))
    check.that(
        "PSSO-AUTHN-006",
        not (refused.status_code in (301, 302, 303, 307, 308) and location == psso.redirect_url),
        "a wrong password reached redirectUrl",
        passed=f"HTTP {refused.status_code}, not redirected",
    )
    after = profiles_of(app.by_code(session["code"]))
    check.that(
        "PSSO-AUTHN-006", psso.mvpd not in after, "a wrong password created a profile", passed="no profile"
    )


@req("PSSO-PRF-001")
def test_no_profile_is_an_empty_object(app, check):
    resp = app.profiles()
    check.status("PSSO-PRF-001", resp, 200)
    # The profiles map must be empty; other members are the vendor's to add (clients ignore them).
    check.that(
        "PSSO-PRF-001",
        body_of(resp).get("profiles") == {},
        f"answer {resp.text[:120]!r}",
        passed='"profiles": {}',
    )


@req("PSSO-PRF-002", "PSSO-SES-004", "PSSO-ISO-001", "PSSO-ISO-002", "PSSO-ISO-003")
def test_profile_shape_and_isolation(psso, signed_in, check):
    app, session = signed_in
    m = psso.mvpd
    resp = app.profiles()
    body = check.json_object("PSSO-PRF-002", resp)
    profile = profiles_of(resp).get(m)
    check.that(
        "PSSO-PRF-002",
        isinstance(profile, dict),
        f"GET /profiles lacks {m}",
        passed=f"{m} listed",
        fatal=True,
    )
    nb, na = profile.get("notBefore"), profile.get("notAfter")
    attrs = profile.get("attributes")
    check.that(
        "PSSO-PRF-002",
        isinstance(nb, int) and isinstance(na, int) and nb <= na,
        f"notBefore {nb!r} notAfter {na!r}: expected integers with notBefore <= notAfter",
        passed="notBefore <= notAfter",
    )
    check.that(
        "PSSO-PRF-002",
        isinstance(profile.get("issuer"), str) and profile.get("type") in PROFILE_TYPES,
        f"issuer {profile.get('issuer')!r} type {profile.get('type')!r}",
        passed=f"type {profile.get('type')}",
    )
    check.that(
        "PSSO-PRF-002",
        isinstance(attrs, dict)
        and "userID" in attrs
        and all(
            isinstance(v, dict) and "value" in v and v.get("state") in ("plain", "enc")
            for v in attrs.values()
        ),
        "attributes are not {name: {value, state plain|enc}} with userID",
        passed="attributes with userID",
    )
    matches_schema(check, "PSSO-PRF-002", "Profiles", body)

    again = body_of(app.session())
    seen = (again.get("actionName"), again.get("actionType"), again.get("reasonType"))
    want = f"{psso.api_path}/{psso.sp}/decisions/authorize/{m}"
    check.that(
        "PSSO-SES-004",
        seen == ("authorize", "direct", "authenticated") and "code" not in again,
        f"a second session answers {seen} (code {'present' if 'code' in again else 'absent'}), expected "
        "authorize/direct/authenticated without code",
        passed="authorize/direct/authenticated",
    )
    check.that(
        "PSSO-SES-004",
        path_of(again.get("url")) == want,
        f"url {again.get('url')!r}, expected {want}",
        passed="url names the authorize decision",
    )

    other_device = copy.copy(app)
    other_device.device = device_id()
    check.that(
        "PSSO-ISO-001",
        m not in profiles_of(other_device.profiles()),
        "another device of the same registration sees the profile",
        passed="another device sees no profile",
    )
    same_device = psso.app("first")
    same_device.device = app.device
    check.that(
        "PSSO-ISO-002",
        m not in profiles_of(same_device.profiles()),
        "another registration on the same device sees the profile",
        passed="another registration sees no profile",
    )
    stranger = psso.app("second")
    by_code = stranger.by_code(session["code"])
    check.that(
        "PSSO-ISO-003",
        m not in profiles_of(by_code),
        "another registration reads the profile behind the code",
        passed=f"HTTP {by_code.status_code} without the profile",
    )


@req("PSSO-PRF-004")
def test_profiles_for_one_mvpd(psso, app, check):
    second = psso.need("second_mvpd")
    psso.authenticate(app)
    psso.authenticate(app, second)
    resp = app.profiles(psso.mvpd)
    check.status("PSSO-PRF-004", resp, 200)
    keys = set(profiles_of(resp))
    check.that(
        "PSSO-PRF-004",
        keys <= {psso.mvpd} and psso.mvpd in keys,
        f"GET /profiles/{psso.mvpd} lists {sorted(keys)}",
        passed=f"only {psso.mvpd}",
    )


@req("PSSO-PRF-003")
def test_profile_expires(psso, expiring, check, request):
    app, session = expiring["signed_in"]
    m = psso.mvpd
    deadline = psso.profile_deadline(session)
    if deadline is None:
        raise Blocked("no profile with notBefore < notAfter to outwait")
    # Asked only once the profile has certainly expired (conformance/deadlines.py).
    wait = deadline.expired_from + 0.1 - now()
    if not psso.wait_allowed(request, wait):
        why = f"the profile lives {deadline.lifetime:g}s: its expiry is not awaited (use --include-slow)"
        check.not_awaited("PSSO-PRF-003", wait, why)
        pytest.skip(why)
    time.sleep(max(wait, 0))
    for name, resp in (
        ("GET /profiles", app.profiles()),
        (f"GET /profiles/{m}", app.profiles(m)),
        ("GET /profiles/code/{code}", app.by_code(session["code"])),
    ):
        check.that(
            "PSSO-PRF-003", m not in profiles_of(resp), f"{name} still lists the expired profile", passed=name
        )


@req("PSSO-DEC-001", "PSSO-DEC-007")
def test_authorize_permit_and_media_token(psso, signed_in, check):
    app, _ = signed_in
    resource = psso.need("resource")
    resp = app.authorize([resource])
    check.status("PSSO-DEC-001", resp, 200, fatal=True)
    body = check.json_object("PSSO-DEC-001", resp)
    items = decisions_of(resp)
    check.that(
        "PSSO-DEC-001",
        len(items) == 1,
        f"{len(items)} decisions for one resource",
        passed="one decision",
        fatal=True,
    )
    item = items[0]
    check.that(
        "PSSO-DEC-001",
        item.get("resource") == resource
        and item.get("serviceProvider") == psso.sp
        and item.get("mvpd") == psso.mvpd
        and item.get("source") in SOURCES
        and item.get("authorized") is True,
        f"decision {_summary(item)}",
        passed="a permit naming resource, serviceProvider, mvpd and source",
    )
    token = item.get("token") if isinstance(item.get("token"), dict) else {}
    serialized = token.get("serializedToken")
    nb, na = ms(token.get("notBefore")), ms(token.get("notAfter"))
    check.that(
        "PSSO-DEC-001",
        isinstance(serialized, str) and serialized and nb is not None and na is not None and nb <= na,
        f"token {sorted(token)}: expected serializedToken and notBefore <= notAfter",
        passed="a media token",
    )
    matches_schema(check, "PSSO-DEC-001", "Decisions", body)
    if psso.features.get("media_token") != "jwks":
        return
    if not isinstance(serialized, str) or not serialized:
        check.unreached("PSSO-DEC-007", "the permit carries no serializedToken", by="PSSO-DEC-001")
        return
    psso.redactor.remember(serialized)
    try:
        compact = base64.b64decode(serialized, validate=True).decode()
        psso.redactor.remember(compact)
        header = jwt.get_unverified_header(compact)
    except (ValueError, UnicodeDecodeError, TypeError, jwt.PyJWTError) as exc:
        check.that("PSSO-DEC-007", False, f"serializedToken is not Base64 of a JWS ({exc})", passed="a JWS")
        return
    keys = body_of(psso.http.get(psso.profile.url("platform_sso", "media_token_jwks_url"))).get("keys")
    keys = [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []
    claims = None
    # Keys of other types or algorithms, or malformed ones, are simply not the one that signed.
    for jwk in sorted(keys, key=lambda k: k.get("kid") != header.get("kid")):
        try:
            claims = jwt.decode(
                compact,
                jwt.PyJWK(jwk).key,
                algorithms=[header.get("alg", "RS256")],
                options={"verify_aud": False},
                leeway=5,
            )
            break
        except (jwt.PyJWTError, KeyError, ValueError, TypeError):
            continue
    check.that(
        "PSSO-DEC-007",
        claims is not None,
        "the media token does not verify with the JWKS",
        passed="signature verifies",
    )
    claims = claims or {}
    seen = (claims.get("resource"), claims.get("mvpd"), claims.get("serviceProvider"))
    check.that(
        "PSSO-DEC-007",
        seen == (resource, psso.mvpd, psso.sp),
        f"the token names resource/mvpd/serviceProvider {seen}",
        passed="names the resource, mvpd and serviceProvider",
    )
    now = time.time()
    check.that(
        "PSSO-DEC-007",
        isinstance(claims.get("exp"), int | float) and claims["exp"] > now,
        f"validity window: exp {claims.get('exp')!r}",
        passed="within its validity window",
    )


@req("PSSO-DEC-002", "PSSO-EEC-002")
def test_authorize_denied_resource(psso, signed_in, check):
    app, _ = signed_in
    denied = psso.need("denied_resource")
    resp = app.authorize([denied])
    check.status("PSSO-DEC-002", resp, 200)
    items = decisions_of(resp)
    item = items[0] if items else {}
    err = item.get("error") if isinstance(item.get("error"), dict) else {}
    check.that(
        "PSSO-DEC-002",
        item.get("authorized") is False
        and err.get("code") == "authorization_denied_by_mvpd"
        and str(err.get("status")) == "403"
        and "token" not in item,
        f"decision authorized {item.get('authorized')!r} error {err.get('code')!r}/{err.get('status')!r} "
        f"token {'present' if 'token' in item else 'absent'}",
        passed="denied with authorization_denied_by_mvpd",
    )
    check.that(
        "PSSO-EEC-002",
        resp.status_code == 200
        and isinstance(err.get("status"), int)
        and isinstance(err.get("code"), str)
        and isinstance(err.get("message"), str | dict)
        and isinstance(err.get("action"), str),
        f"HTTP {resp.status_code}, item error {err!r}: expected a complete EEC object",
        passed="a complete item-level EEC object",
    )
    matches_schema(check, "PSSO-EEC-002", "ErrorInformation", err)


@req("PSSO-DEC-003")
@pytest.mark.parametrize(
    "payload", [{}, {"resources": []}, {"resources": "ref-live"}], ids=["missing", "empty", "not-array"]
)
def test_decisions_malformed_resources(psso, app, check, payload):
    for kind in ("authorize", "preauthorize"):
        resp = app.post(f"/decisions/{kind}/{quote(psso.mvpd, safe='')}", json=payload)
        check.that(
            "PSSO-DEC-003",
            resp.status_code == 400 and code_of(resp) == "invalid_parameter_resources",
            f"{kind}: HTTP {resp.status_code} code {code_of(resp)!r}, expected invalid_parameter_resources",
            passed=f"{kind}: 400 invalid_parameter_resources",
        )


@req("PSSO-DEC-004", "PSSO-DEC-008")
def test_preauthorize(psso, signed_in, check):
    app, _ = signed_in
    # The denied resource stays out: how a denial is answered is PSSO-DEC-002's business.
    denied = psso.section.get("denied_resource")
    resources = [r for r in psso.section.get("preauthorize_resources", []) if r != denied]
    resources = resources or [psso.need("resource")]
    resp = app.authorize(list(resources), kind="preauthorize")
    check.status("PSSO-DEC-008", resp, 200)
    items = decisions_of(resp)
    check.that(
        "PSSO-DEC-008",
        sorted(d.get("resource") for d in items) == sorted(resources)
        and all(
            d.get("serviceProvider") == psso.sp
            and d.get("mvpd") == psso.mvpd
            and d.get("source") in SOURCES
            and isinstance(d.get("authorized"), bool)
            for d in items
        ),
        f"decisions {[_summary(d) for d in items]} for {resources}",
        passed=f"{len(items)} decisions with resource, serviceProvider, mvpd, source, authorized",
    )
    # Whether items carry a token is PSSO-DEC-004's business: the schema sees them without one.
    stripped = {"decisions": [{k: v for k, v in d.items() if k != "token"} for d in items]}
    matches_schema(check, "PSSO-DEC-008", "PreauthorizeDecisions", stripped)
    check.that(
        "PSSO-DEC-004",
        items and not any("token" in d for d in items),
        "a preauthorize decision carries a token",
        passed="no tokens",
    )


@req("PSSO-DEC-005")
def test_preauthorize_too_many_resources(psso, app, check):
    limit = int(psso.section.get("max_preauthorize_resources", 5))
    resp = app.authorize([f"conformance-r{i}" for i in range(limit + 1)], kind="preauthorize")
    decisions_refused(
        check,
        "PSSO-DEC-005",
        resp,
        "too_many_resources",
        lambda d: str(d["error"].get("status")) == "403" and d["error"].get("action") == "configuration",
    )


@req("PSSO-DEC-006")
def test_decisions_without_profile(psso, app, check):
    resp = app.authorize([psso.need("resource")])
    decisions_refused(check, "PSSO-DEC-006", resp, "authenticated_profile_missing")


@req("PSSO-OUT-001", "PSSO-OUT-004", "PSSO-OUT-006")
def test_logout_regular_profile(psso, signed_in, check):
    app, _ = signed_in
    m = psso.mvpd
    resp = app.logout()
    check.status("PSSO-OUT-001", resp, 200)
    body = body_of(resp)
    logouts = body.get("logouts") if isinstance(body.get("logouts"), dict) else {}
    action = logouts.get(m) if isinstance(logouts.get(m), dict) else {}
    check.that(
        "PSSO-OUT-001",
        (action.get("actionName"), action.get("actionType")) == ("logout", "interactive")
        and action.get("mvpd") == m
        and isinstance(action.get("url"), str)
        and action["url"],
        f"logouts.{m} is {action!r}, expected logout/interactive with mvpd and url",
        passed="logout/interactive with url",
    )
    matches_schema(check, "PSSO-OUT-001", "Logouts", body)
    check.that(
        "PSSO-OUT-004",
        m not in profiles_of(app.profiles()),
        "the profile survived logout",
        passed="profile gone",
    )
    url = action.get("url")
    if not isinstance(url, str) or not url:
        check.that("PSSO-OUT-006", False, "no logout url to follow", passed="a logout url")
        return
    target = urljoin(psso.api + "/", url)
    ended = None
    for _ in range(6):
        hop = psso.http.get(target, headers={"Accept": "text/html"})
        if hop.status_code in (301, 302, 303, 307, 308) and hop.headers.get("location"):
            target = urljoin(target, hop.headers["location"])
            if target == psso.logout_redirect_url:
                ended = target
                break
            continue
        break
    check.that(
        "PSSO-OUT-006",
        ended == psso.logout_redirect_url,
        f"the logout url did not lead to {psso.logout_redirect_url} (stopped at {target})",
        passed="ended on redirectUrl",
    )


@req("PSSO-OUT-002")
def test_logout_mvpd_without_logout_endpoint(psso, app, check):
    second = psso.need("second_mvpd")
    psso.authenticate(app, second)
    resp = app.logout(second)
    check.status("PSSO-OUT-002", resp, 200)
    logouts = body_of(resp).get("logouts")
    action = (
        logouts.get(second) if isinstance(logouts, dict) and isinstance(logouts.get(second), dict) else {}
    )
    check.that(
        "PSSO-OUT-002",
        (action.get("actionName"), action.get("actionType")) == ("complete", "none") and "url" not in action,
        f"logouts.{second} is {action!r}, expected complete/none without url",
        passed="complete/none",
    )


@req("PSSO-OUT-003")
def test_logout_without_profile(psso, app, check):
    resp = app.logout()
    check.status("PSSO-OUT-003", resp, 200)
    logouts = body_of(resp).get("logouts")
    m = psso.mvpd
    action = logouts.get(m) if isinstance(logouts, dict) and isinstance(logouts.get(m), dict) else {}
    check.that(
        "PSSO-OUT-003",
        (action.get("actionName"), action.get("actionType")) == ("invalid", "none") and "url" not in action,
        f"logouts.{m} is {action!r}, expected invalid/none without url",
        passed="invalid/none",
    )


@req("PSSO-OUT-005")
def test_logout_requires_redirect_url(psso, app, check):
    resp = app.logout(redirect=False)
    eec_error(check, "PSSO-OUT-005", resp, "invalid_parameter_redirect_url")
