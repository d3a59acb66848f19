"""The RFC 8628 verification page: sign-in, code entry, consent, binding, throttling, framing."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from conformance.bodies import body_of
from conformance.bodies import form as encode_form
from conformance.checks import Blocked
from conformance.suite.device_signon.codes import typed_variants, wrong_code
from conformance.suite.device_signon.page import Page

req = pytest.mark.requirement


def nothing_issued(dso, da) -> bool:
    """One interval on, the device's poll gets no tokens (pending, or expired on a slow run: either
    way nothing was approved behind the user's back)."""
    da.wait_interval()
    return "access_token" not in body_of(dso.token_poll(da.device_code))


@req("DSO-PAGE-001", "DSO-PAGE-010")
def test_page_has_the_form(dso, check, http):
    resp = http.get(dso.url("verification_url"), headers={"Accept": "text/html"})
    check.status("DSO-PAGE-001", resp, 200)
    page = Page(resp.text)
    _check_framing(check, resp)
    if dso.page_by_hook:
        # RFC 8628 prescribes no layout: the page must load with a form, and the hook (which
        # signs in and types the code on it) must get through.
        check.that(
            "DSO-PAGE-001",
            "html" in resp.headers.get("content-type", "") and bool(page.inputs),
            f"verification_uri served no HTML form ({resp.headers.get('content-type', '-')})",
            passed="verification_uri serves an HTML form",
        )
        da = dso.authorize()
        check.that(
            "DSO-PAGE-001",
            dso.hook(da.user_code, "primary", "approve"),
            "signing in and typing the code (through the profile's hook) was refused",
            passed="the page loads with a form; sign-in and the typed code went through the approval hook",
        )
        return
    missing = [n for n in ("username", "password", "user_code") if n not in page.inputs]
    check.that(
        "DSO-PAGE-001",
        not missing,
        f"the page lacks fields {missing}",
        passed="sign-in and code fields present",
    )
    da = dso.authorize()
    consent = Page(dso.page_sign_in(da.user_code, "primary").text)
    check.that(
        "DSO-PAGE-001",
        "consent" in consent.inputs,
        "typing the code did not lead to the consent step",
        passed="typing the code led to the consent step",
    )


def _check_framing(check, resp) -> None:
    xfo = resp.headers.get("x-frame-options", "").upper()
    csp = resp.headers.get("content-security-policy", "")
    check.that(
        "DSO-PAGE-010",
        xfo in ("DENY", "SAMEORIGIN") or "frame-ancestors" in csp,
        "neither X-Frame-Options nor CSP frame-ancestors forbids framing",
        passed=f"X-Frame-Options {xfo or '-'}; CSP {csp or '-'}",
    )


@req("DSO-PAGE-002")
def test_page_normalises_code(dso, check):
    # RFC 8628 §6.1: the server should match the code whatever its case, and strip the dashes it
    # added. Both cases are typed, so a vendor issuing lower-case codes is tested as well. (Spaces
    # and other characters it may strip are a MAY: not judged.)
    da = dso.authorize()
    count = len(typed_variants(da.user_code))
    if not count:
        check.that("DSO-PAGE-002", True, "", passed="the code has no case or dash to normalise")
    for n in range(count):
        if n:
            da = dso.authorize()  # each code is typed once: a refused form must not throttle the next
        forms = typed_variants(da.user_code) or [("as issued", da.user_code)]
        how, typed = forms[min(n, len(forms) - 1)]
        if dso.page_by_hook:
            ok, why = dso.hook(typed, "primary", "approve"), ""
        else:
            page = Page(dso.page_sign_in(typed, "primary").text)
            ok, why = "consent" in page.inputs, f" ({page.error})"
        check.that(
            "DSO-PAGE-002",
            ok,
            f"the user code typed {how} was refused{why}",
            passed=f"the user code typed {how} was accepted",
        )


@req("DSO-PAGE-003")
def test_page_throttles_wrong_codes(dso, check):
    cfg = dso.section.get("bruteforce", {})
    attempts = int(cfg.get("attempts", 9))
    da = dso.authorize()
    if dso.page_by_hook:
        # The hook cannot show a 429: the right code must be refused after the wrong ones.
        refused = [not dso.hook(wrong_code(da.user_code), "lockout") for _ in range(attempts)]
        check.that(
            "DSO-PAGE-003",
            all(refused),
            f"a random wrong code was accepted: {refused}",
            passed="wrong codes refused",
        )
        check.that(
            "DSO-PAGE-003",
            not dso.hook(da.user_code, "lockout"),
            f"the right code was accepted right after {attempts} wrong ones: no throttling",
            passed=f"the right code was refused after {attempts} wrong ones",
        )
        return
    statuses = [dso.page_sign_in(wrong_code(da.user_code), "lockout").status_code for _ in range(attempts)]
    check.that(
        "DSO-PAGE-003",
        429 in statuses,
        f"{attempts} wrong codes never throttled: {statuses}",
        passed=str(statuses),
    )
    right = Page(dso.page_sign_in(da.user_code, "lockout").text)
    check.that(
        "DSO-PAGE-003",
        "consent" not in right.inputs,
        "the right code was accepted while throttled",
        passed="the right code was refused while throttled",
    )


@req("DSO-PAGE-004")
def test_complete_uri_does_not_approve_by_itself(dso, check, http):
    # RFC 8628 §3.3.1, §5.4: the user must confirm. The page is driven as a browser would: the link
    # is followed through redirects and the sign-in form it shows is posted to its own action.
    da = dso.authorize()
    uri = da.body.get("verification_uri_complete")
    if not isinstance(uri, str) or not uri:
        raise Blocked("the device authorization response has no verification_uri_complete", by="DSO-8628-005")
    opened = http.get(uri, headers={"Accept": "text/html"}, follow_redirects=True)
    check.that(
        "DSO-PAGE-004",
        Page(opened.text).result != "approved" and nothing_issued(dso, da),
        "opening verification_uri_complete approved the device",
        passed="opening verification_uri_complete approved nothing",
    )
    if dso.page_by_hook:
        return
    fields, action = Page(opened.text).fields_of("password")
    if not fields:
        raise Blocked(
            f"verification_uri_complete showed no sign-in form (HTTP {opened.status_code})", by="DSO-PAGE-001"
        )
    acct = dso.account("primary")
    fields.update(username=acct["username"], password=acct["password"], action="continue")
    resp = http.post(
        urljoin(str(opened.url), action or ""),
        content=encode_form(list(fields.items())),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    after = Page(resp.text)
    not_approved = after.result != "approved" and nothing_issued(dso, da)
    if not_approved and "consent" not in after.inputs:
        raise Blocked(
            f"signing in from verification_uri_complete led to no consent step (HTTP {resp.status_code})",
            by="DSO-PAGE-001",
        )
    check.that(
        "DSO-PAGE-004",
        not_approved,
        "signing in from verification_uri_complete approved without the consent step",
        passed="after signing in from the link, the user still has to approve on the consent step",
    )


@req("DSO-PAGE-005")
def test_page_binds_signed_in_account(dso, check):
    acct = dso.account("secondary")
    da, tokens = dso.tokens("secondary")
    info = body_of(dso.userinfo(tokens.get("access_token")))
    seen = str(info.get("email") or info.get("preferred_username") or "")
    check.that(
        "DSO-PAGE-005",
        seen.lower() == acct["username"].lower(),
        "the tokens belong to another account than the one signed in on the page",
        passed="the tokens belong to the account signed in on the page",
    )


@req("DSO-PAGE-006")
def test_page_wrong_password(dso, check):
    acct = dso.account("primary")
    wrong = acct["password"] + "-wrong"
    if dso.page_by_hook:
        if not dso.section.get("approval_hook_signs_in"):
            pytest.skip("the approval hook does not sign in with a password (approval_hook_signs_in)")
        da = dso.authorize()
        approved = dso.hook(da.user_code, "primary", "approve", password=wrong)
        check.that(
            "DSO-PAGE-006",
            not approved,
            "the hook got through with a wrong password",
            passed="wrong password refused",
        )
    else:
        da = dso.authorize()
        page = Page(dso.page_sign_in(da.user_code, "primary", password=wrong).text)
        check.that(
            "DSO-PAGE-006",
            "consent" not in page.inputs,
            "a wrong password reached the consent step",
            passed="a wrong password did not reach the consent step",
        )
    check.that(
        "DSO-PAGE-006",
        nothing_issued(dso, da),
        "the device was approved",
        passed="nobody signed in, nothing approved",
    )


@req("DSO-PAGE-007")
def test_consent_shows_code_and_client(dso, check):
    if dso.page_by_hook:
        pytest.skip("the page is driven through the approval hook: the suite does not see its consent step")
    da = dso.authorize()
    resp = dso.page_sign_in(da.user_code, "primary")
    page = Page(resp.text)
    bare = "".join(c for c in da.user_code if c.isalnum()).upper()
    shown = "".join(c for c in resp.text.upper() if c.isalnum())
    check.that(
        "DSO-PAGE-007",
        bare in shown,
        "the consent step does not show the user code",
        passed="user code shown",
    )
    check.that(
        "DSO-PAGE-007",
        page.texts.get("client-name", "").strip() or dso.public_client in resp.text,
        "the consent step does not say which client asks",
        passed="the client is named",
    )


@req("DSO-PAGE-008")
def test_used_code_is_refused(dso, check):
    for action in ("approve", "deny"):
        da = dso.authorize()
        dso.page_approve(da.user_code, "primary", action=action)
        if dso.page_by_hook:
            again = dso.hook(da.user_code, "primary", "approve")
        else:
            again = "consent" in Page(dso.page_sign_in(da.user_code, "primary").text).inputs
        check.that(
            "DSO-PAGE-008",
            not again,
            f"an {action}d user code was accepted again",
            passed="used codes refused",
        )
