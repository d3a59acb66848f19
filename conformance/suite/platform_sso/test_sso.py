"""Single sign-on through the platform identity: two applications share one MVPD login."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from conformance.bodies import body_of
from conformance.checks import Blocked
from conformance.suite.platform_sso.readers import code_of, decisions_of, item_error_code, profiles_of
from conformance.suite.platform_sso.tokens import FORGED_ALGS, unsigned_token

req = pytest.mark.requirement


# Subject tokens that must grant nothing, each valid in every other respect, so a vendor that
# honours one has skipped exactly that check: case -> (requirement, what is wrong). The forged
# ones are signed with asymmetric keys made for this run, which an algorithm allow-list alone
# cannot refuse.
BAD_TOKENS = {
    "expired-jws": ("PSSO-SSO-012", "expired (JWS)"),
    "expired-jwe": ("PSSO-SSO-012", "expired (JWE)"),
    "unsigned": ("PSSO-SSO-013", "unsigned (alg none)"),
    **{f"untrusted-{a.lower()}": ("PSSO-SSO-014", f"signed by an untrusted {a} key") for a in FORGED_ALGS},
    "other-issuer": ("PSSO-SSO-007", "issued by another issuer"),
    "other-audience": ("PSSO-SSO-015", "addressed to another audience"),
}


def _bad_token(psso, case, user):
    """The subject token of ``case`` for the platform user ``user``."""
    past = int(time.time()) - 600
    if case == "expired-jws":
        return psso.jws_subject(user, exp=past, iat=past - 300)
    if case == "expired-jwe":
        if "jwe" not in psso.features.get("subject_token", ["jws"]):
            pytest.skip("the profile's platform identity issues no JWE (features.subject_token)")
        return psso.jwe_subject(user, exp=past, iat=past - 300)
    if case == "unsigned":
        token = unsigned_token(psso.subject_claims(user))
        psso.redactor.remember(token)
        return token
    if case.startswith("untrusted-"):
        return psso.forged_subject(user, case.removeprefix("untrusted-").upper())
    if case == "other-issuer":
        return psso.jws_subject(user, iss="someone-else-entirely")
    if case == "other-audience":
        return psso.jws_subject(user, aud="someone-else")
    raise AssertionError(case)


def _signed_in_user(psso):
    """A platform user whose first application completed the MVPD login with its subject token."""
    user = psso.new_user()
    first = psso.app("first")
    first.subject = psso.jws_subject(user)
    psso.authenticate(first)
    return user


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
            raise Blocked("the MVPD login in the browser did not produce a profile", by="PSSO-AUTHN-003")
    regular = profiles_of(first.profiles()).get(m) or {}

    second.subject = psso.jws_subject(user)
    shared = profiles_of(second.profiles()).get(m)
    shared = shared if isinstance(shared, dict) else {}
    check.that(
        "PSSO-SSO-001",
        shared.get("type") == "platformSSO" and shared.get("issuer") == m,
        f"application two with a JWS sees {m} as {shared.get('type')!r} issuer {shared.get('issuer')!r}",
        passed="platformSSO profile",
    )
    check.that(
        "PSSO-SSO-010",
        shared and shared.get("notAfter") == regular.get("notAfter"),
        f"notAfter {shared.get('notAfter')!r} differs from application one's {regular.get('notAfter')!r}",
        passed="same notAfter",
    )
    if "jwe" in forms:
        jwe_view = profiles_of(second.profiles(h={"Adobe-Subject-Token": psso.jwe_subject(user)})).get(m)
        jwe_view = jwe_view if isinstance(jwe_view, dict) else {}
        check.that(
            "PSSO-SSO-002",
            jwe_view.get("type") == "platformSSO" and jwe_view.get("issuer") == m,
            f"application two with a JWE sees {m} as {jwe_view.get('type')!r}",
            passed="platformSSO profile",
        )
    if psso.features.get("roku_connect_token"):
        roku_h = {"Adobe-Subject-Token": None, "X-Roku-Reserved-Roku-Connect-Token": second.subject}
        roku = profiles_of(second.profiles(h=roku_h)).get(m)
        roku = roku if isinstance(roku, dict) else {}
        check.that(
            "PSSO-SSO-011",
            roku.get("type") == "platformSSO",
            f"with X-Roku-Reserved-Roku-Connect-Token {m} is {roku.get('type')!r}",
            passed="platformSSO profile",
        )

    ses = body_of(second.session())
    seen = (ses.get("actionName"), ses.get("actionType"), ses.get("reasonType"))
    check.that(
        "PSSO-SSO-003",
        seen == ("authorize", "direct", "authenticatedSSO"),
        f"POST /sessions answers {seen}, expected authorize/direct/authenticatedSSO",
        passed="authorize/direct/authenticatedSSO",
    )
    items = decisions_of(second.authorize([psso.need("resource")]))
    token = items[0].get("token") if items and isinstance(items[0].get("token"), dict) else {}
    check.that(
        "PSSO-SSO-004",
        items and items[0].get("authorized") is True and token.get("serializedToken"),
        f"decisions {[(d.get('authorized'), item_error_code(d)) for d in items]}, expected a permit",
        passed="permit with a media token",
    )

    lacks = _lacks(same_device.profiles(), m)
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
        passed="no profile, authenticated_profile_missing",
    )

    out = second.logout()
    logouts = body_of(out).get("logouts")
    check.that(
        "PSSO-SSO-008",
        out.status_code == 200 and isinstance(logouts, dict) and isinstance(logouts.get(m), dict),
        f"logout answered HTTP {out.status_code} without logouts.{m} ({out.text[:80]!r})",
        passed=f"HTTP 200 with logouts.{m}",
    )
    third.subject = psso.jws_subject(user)
    check.that(
        "PSSO-SSO-008",
        _lacks(third.profiles(), m),
        "after logout a third registration with the token still gets the profile (or no profiles object)",
        passed="SSO profile gone",
    )
    check.that(
        "PSSO-SSO-009",
        _lacks(first.profiles(), m),
        "application one still has its profile after single logout (or no profiles object)",
        passed="application one's profile gone",
    )


def _lacks(resp, mvpd):
    """A profiles answer that lists no ``mvpd``: positive evidence of absence, not just any answer."""
    return (
        resp.status_code == 200
        and isinstance(body_of(resp).get("profiles"), dict)
        and mvpd not in profiles_of(resp)
    )


@req("PSSO-SSO-016")
def test_decisions_after_dropping_the_subject_token(psso, check):
    """Rule 60: the registration and device that got a permit through the token, once it drops
    the token, have no profile: the SSO profile is the identity's, not the device's."""
    m = psso.mvpd
    user = _signed_in_user(psso)
    app = psso.app("second")
    app.subject = psso.jws_subject(user)
    resources = {"resources": [psso.need("resource")]}
    path = f"/decisions/authorize/{quote(m, safe='')}"
    items = decisions_of(app.post(path, json=resources))
    if not (items and items[0].get("authorized") is True):
        raise Blocked("application two got no permit with the subject token", by="PSSO-SSO-004")
    no_token = {"Adobe-Subject-Token": None, "X-Roku-Reserved-Roku-Connect-Token": None}
    decided = app.post(path, json=resources, h=no_token)
    items = decisions_of(decided)
    item_level = (
        decided.status_code == 200
        and bool(items)
        and all(
            d.get("authorized") is not True and item_error_code(d) == "authenticated_profile_missing"
            for d in items
        )
    )
    top_level = decided.status_code == 403 and code_of(decided) == "authenticated_profile_missing"
    seen = [(d.get("authorized"), item_error_code(d)) for d in items] or code_of(decided)
    check.that(
        "PSSO-SSO-016",
        item_level or top_level,
        f"the same registration and device without the subject token: decisions answered HTTP "
        f"{decided.status_code} {seen}, expected authenticated_profile_missing",
        passed=f"without the token: authenticated_profile_missing ({'item' if item_level else 'HTTP 403'})",
    )
    listed = app.profiles(h=no_token)
    check.that(
        "PSSO-SSO-016",
        _lacks(listed, m),
        f"the same registration and device without the subject token: GET /profiles answered HTTP "
        f"{listed.status_code} with {sorted(profiles_of(listed))}, expected a profiles object without {m}",
        passed=f"without the token: no {m} profile",
    )


@req("PSSO-ISO-004")
def test_another_platform_user_gets_nothing(psso, check):
    m = psso.mvpd
    _signed_in_user(psso)
    other = psso.app("second")
    other.subject = psso.jws_subject(psso.new_user())
    check.that(
        "PSSO-ISO-004",
        _lacks(other.profiles(), m),
        "a subject token for another platform user reaches the SSO profile (or no profiles object)",
        passed="another user gets nothing",
    )


@pytest.mark.parametrize(
    "case", [pytest.param(case, marks=req(rid), id=case) for case, (rid, _) in BAD_TOKENS.items()]
)
def test_subject_token_grants_nothing(psso, check, case):
    """Rule 40 and §2.5: a bad token is served as if absent, so it reaches no SSO profile."""
    rid, what = BAD_TOKENS[case]
    m = psso.mvpd
    user = _signed_in_user(psso)
    token = _bad_token(psso, case, user)
    # The control: a valid token for the same user does reach the profile, so "nothing granted"
    # below means the token was refused, not that SSO never works (another registration, so that
    # nothing it reached can linger on the one that sends the bad token).
    control = psso.app("second")
    if m not in profiles_of(control.profiles(h={"Adobe-Subject-Token": psso.jws_subject(user)})):
        raise Blocked(
            "a valid subject token for the same user gives no SSO profile either", by="PSSO-SSO-001"
        )
    resp = psso.app("second").profiles(h={"Adobe-Subject-Token": token})
    if resp.status_code != 200 or not isinstance(body_of(resp).get("profiles"), dict):
        # No profiles list to look in: that error is PSSO-SSO-006's to judge.
        raise Blocked(f"a token {what}: GET /profiles answered HTTP {resp.status_code}", by="PSSO-SSO-006")
    check.that(
        rid,
        m not in profiles_of(resp),
        f"a subject token {what} grants the SSO profile of {m}",
        passed=f"a token {what}: no SSO profile",
    )


SESSION_ACTIONS = ("authenticate", "resume", "authorize")


@req("PSSO-SSO-006")
def test_bad_subject_tokens_cause_no_error(psso, app, check):
    """Rule 40: each bad token is served as if absent, judged on the body as well as the status."""
    user = psso.new_user()
    cases = [("missing", None), ("garbage", "garbage"), ("three dots", "a.b.c")]
    forms = psso.features.get("subject_token", ["jws"])
    for case, (_, what) in BAD_TOKENS.items():
        if case != "expired-jwe" or "jwe" in forms:
            cases.append((what, _bad_token(psso, case, user)))
    for name, token in cases:
        h = {"Adobe-Subject-Token": token}
        listed = app.profiles(h=h)
        check.that(
            "PSSO-SSO-006",
            listed.status_code == 200 and isinstance(body_of(listed).get("profiles"), dict),
            f"a token {name}: GET /profiles answered HTTP {listed.status_code} without a profiles object "
            f"({listed.text[:80]!r})",
            passed=f"a token {name}: GET /profiles 200 with profiles",
        )
        started = app.session(h=h)
        action = body_of(started).get("actionName")
        check.that(
            "PSSO-SSO-006",
            started.status_code == 200 and action in SESSION_ACTIONS,
            f"a token {name}: POST /sessions answered HTTP {started.status_code} actionName {action!r} "
            f"({started.text[:80]!r})",
            passed=f"a token {name}: POST /sessions 200 {action}",
        )
