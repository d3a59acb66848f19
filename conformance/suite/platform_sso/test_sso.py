"""Single sign-on through the platform identity: two applications share one MVPD login."""

from __future__ import annotations

import time

import jwt
import pytest

from conformance.bodies import body_of
from conformance.checks import Blocked
from conformance.suite.platform_sso.readers import decisions_of, item_error_code, profiles_of
from conformance.suite.platform_sso.tokens import unsigned_token

req = pytest.mark.requirement


def _bad_tokens(psso, user):
    """Subject tokens for ``user`` that must grant nothing: (name, token)."""
    past = int(time.time()) - 600
    forms = psso.features.get("subject_token", ["jws"])
    out = [
        ("expired JWS", psso.jws_subject(user, exp=past, iat=past - 300)),
        ("unsigned", unsigned_token(psso.subject_claims(user))),
        (
            "untrusted key",
            jwt.encode(psso.subject_claims(user), "an-untrusted-key-0123456789abcdef", "HS256"),
        ),
        ("other issuer", psso.jws_subject(user, iss="someone-else-entirely")),
    ]
    if "jwe" in forms:
        out.append(("expired JWE", psso.jwe_subject(user, exp=past, iat=past - 300)))
    for _, token in out:
        psso.redactor.remember(token)
    return out


@req(
    "PSSO-SSO-001",
    "PSSO-SSO-002",
    "PSSO-SSO-003",
    "PSSO-SSO-004",
    "PSSO-SSO-005",
    "PSSO-SSO-008",
    "PSSO-SSO-009",
    "PSSO-SSO-010",
    "PSSO-SSO-011",
)
def test_two_applications_single_sign_on(psso, check):
    m = psso.mvpd
    forms = psso.features.get("subject_token", ["jws"])
    user = psso.new_user()
    first = psso.app("first")
    second = psso.app("second")  # another registration on another device
    same_device = psso.app("second")
    same_device.device = first.device
    third = psso.app("second")
    first.subject = psso.jws_subject(user)
    if psso.login_mode == "hook":  # the vendor's automation signs in; otherwise a real browser does
        session = psso.authenticate(first)
    else:
        session, _ = psso.browser_authenticate(first)
        if psso.wait_for_profile(first, session["code"]) is None:
            raise Blocked("the MVPD login in the browser did not produce a profile")
    regular = profiles_of(first.profiles()).get(m) or {}

    second.subject = psso.jws_subject(user)
    shared = profiles_of(second.profiles()).get(m)
    shared = shared if isinstance(shared, dict) else {}
    check.that(
        "PSSO-SSO-001",
        shared.get("type") == "platformSSO" and shared.get("issuer") == m,
        f"application two with a JWS sees {m} as {shared.get('type')!r} issuer {shared.get('issuer')!r}",
        "platformSSO profile",
    )
    check.that(
        "PSSO-SSO-010",
        shared and shared.get("notAfter") == regular.get("notAfter"),
        f"notAfter {shared.get('notAfter')!r} differs from application one's {regular.get('notAfter')!r}",
        "same notAfter",
    )
    if "jwe" in forms:
        jwe_view = profiles_of(second.profiles(h={"Adobe-Subject-Token": psso.jwe_subject(user)})).get(m)
        jwe_view = jwe_view if isinstance(jwe_view, dict) else {}
        check.that(
            "PSSO-SSO-002",
            jwe_view.get("type") == "platformSSO" and jwe_view.get("issuer") == m,
            f"application two with a JWE sees {m} as {jwe_view.get('type')!r}",
            "platformSSO profile",
        )
    if psso.features.get("roku_connect_token"):
        roku_h = {"Adobe-Subject-Token": None, "X-Roku-Reserved-Roku-Connect-Token": second.subject}
        roku = profiles_of(second.profiles(h=roku_h)).get(m)
        roku = roku if isinstance(roku, dict) else {}
        check.that(
            "PSSO-SSO-011",
            roku.get("type") == "platformSSO",
            f"with X-Roku-Reserved-Roku-Connect-Token {m} is {roku.get('type')!r}",
            "platformSSO profile",
        )

    ses = body_of(second.session())
    seen = (ses.get("actionName"), ses.get("actionType"), ses.get("reasonType"))
    check.that(
        "PSSO-SSO-003",
        seen == ("authorize", "direct", "authenticatedSSO"),
        f"POST /sessions answers {seen}, expected authorize/direct/authenticatedSSO",
        "authorize/direct/authenticatedSSO",
    )
    items = decisions_of(second.authorize([psso.need("resource")]))
    token = items[0].get("token") if items and isinstance(items[0].get("token"), dict) else {}
    check.that(
        "PSSO-SSO-004",
        items and items[0].get("authorized") is True and token.get("serializedToken"),
        f"decisions {[(d.get('authorized'), item_error_code(d)) for d in items]}, expected a permit",
        "permit with a media token",
    )

    lacks = m not in profiles_of(same_device.profiles())
    decided = same_device.authorize([psso.need("resource")])
    missing = decisions_of(decided)
    check.that(
        "PSSO-SSO-005",
        lacks
        and (
            (missing and all(item_error_code(d) == "authenticated_profile_missing" for d in missing))
            or body_of(decided).get("code") == "authenticated_profile_missing"
        ),
        f"on application one's device without a token: profile {'absent' if lacks else 'present'}, decisions "
        f"{[(d.get('authorized'), item_error_code(d)) for d in missing]}",
        "no profile, authenticated_profile_missing",
    )

    out = second.logout()
    check.that("PSSO-SSO-008", out.status_code == 200, f"logout answered HTTP {out.status_code}", "HTTP 200")
    third.subject = psso.jws_subject(user)
    check.that(
        "PSSO-SSO-008",
        m not in profiles_of(third.profiles()),
        "a third registration with the same token still gets the profile after logout",
        "SSO profile gone",
    )
    check.that(
        "PSSO-SSO-009",
        m not in profiles_of(first.profiles()),
        "application one still has its profile after single logout",
        "application one's profile gone",
    )


@req("PSSO-SSO-007", "PSSO-ISO-004")
def test_subject_tokens_that_grant_nothing(psso, check):
    m = psso.mvpd
    user = psso.new_user()
    first = psso.app("first")
    first.subject = psso.jws_subject(user)
    psso.authenticate(first)
    other = psso.app("second")
    other.subject = psso.jws_subject(psso.new_user())
    check.that(
        "PSSO-ISO-004",
        m not in profiles_of(other.profiles()),
        "a subject token for another platform user reaches the SSO profile",
        "another user gets nothing",
    )
    for name, token in _bad_tokens(psso, user):
        check.that(
            "PSSO-SSO-007",
            m not in profiles_of(other.profiles(h={"Adobe-Subject-Token": token})),
            f"a subject token that is {name} grants the SSO profile",
            f"{name}: nothing granted",
        )


@req("PSSO-SSO-006")
def test_bad_subject_tokens_cause_no_error(psso, app, check):
    user = psso.new_user()
    tokens = [("missing", None), ("garbage", "garbage"), ("three dots", "a.b.c")] + _bad_tokens(psso, user)
    for name, token in tokens:
        h = {"Adobe-Subject-Token": token}
        for what, resp in (("GET /profiles", app.profiles(h=h)), ("POST /sessions", app.session(h=h))):
            check.that(
                "PSSO-SSO-006",
                resp.status_code == 200,
                f"{name} token: {what} answered HTTP {resp.status_code}",
                f"{name}: {what} 200",
            )
