"""Expiry: registration codes, DSRA tokens, activation tokens, device codes and user codes.

Everything that must expire is created when the session starts and probed at its own deadline in
the background (timeline.py), so the waits overlap each other and every other test; these tests
run last and judge what the probes saw. Each probe went only once its code had certainly expired
(conformance/deadlines.py), so what it saw is the vendor's answer for an expired code. Waits beyond
~30 s need --include-slow: without it the requirement is "not awaited" and the run is PARTIAL.
"""

from __future__ import annotations

import pytest

from conformance.bodies import body_of
from conformance.oauth_checks import error_is
from conformance.suite.device_signon.page import Page

req = pytest.mark.requirement
UNITS = {"ms": "milliseconds", "s": "seconds"}


class Seen:
    """The timeline as one test sees it: a probe's result, with its exchanges as the test's evidence."""

    def __init__(self, timeline, http, outwait) -> None:
        self.timeline, self.http, self.outwait = timeline, http, outwait

    def get(self, name: str):
        return self.timeline.result(name, self.http, self.outwait)


@pytest.fixture
def tl(timeline, http, outwait) -> Seen:
    return Seen(timeline, http, outwait)


@req("DSO-DSRA-011")
def test_unapproved_registration_expires(check, tl):
    seen = tl.get("pending")
    mid, ttl = seen["mid"], seen["ttl"]
    check.that(
        "DSO-DSRA-011",
        200 <= mid.status_code < 300 and "signOnActivationToken" not in body_of(mid),
        f"at {ttl * 0.7:g}s of a {ttl:g}s lifetime D2 answered {mid.status_code}, expected pending (204)",
        passed=f"still pending ({mid.status_code}) at {ttl * 0.7:g}s of its {ttl:g}s lifetime",
    )
    if "not_awaited" in seen:
        wait_s, why = seen["not_awaited"]
        check.not_awaited("DSO-DSRA-011", wait_s, why)
        pytest.skip(why)
    late, reading, ttl = seen["late"], seen["reading"], seen["ttl"]
    check.that(
        "DSO-DSRA-011",
        late.status_code == 403 and "signOnActivationToken" not in body_of(late),
        f"after {ttl:g}s (expiresAfterMillis read as {reading}) D2 answered {late.status_code}, expected 403",
        passed=f"204 before and 403 after {ttl:g}s: expiresAfterMillis read as {UNITS[reading]}",
    )


@req("DSO-DSRA-012")
def test_approved_registration_expires(check, tl):
    resp = tl.get("approved")
    check.that(
        "DSO-DSRA-012",
        resp.status_code == 403 and "signOnActivationToken" not in body_of(resp),
        f"an approved registration past its expiry answered {resp.status_code}"
        f"{' with a token' if 'signOnActivationToken' in body_of(resp) else ''}",
        passed="403 and no token after the expiry",
    )


@req("DSO-APPR-007")
def test_expired_code_cannot_be_approved(check, tl):
    check.status("DSO-APPR-007", tl.get("late"), 403)


@req("DSO-IAS-003")
def test_activation_token_expires(check, tl):
    resp, ttl = tl.get("activation")
    check.that(
        "DSO-IAS-003",
        not 200 <= resp.status_code < 300 and "access_token" not in body_of(resp),
        f"an activation token {ttl:g}s old was accepted ({resp.status_code})",
        passed=f"refused after {ttl:g}s ({resp.status_code})",
    )


@req("DSO-8628-011")
def test_device_code_expires(check, tl):
    resp = tl.get("da_poll")
    check.status("DSO-8628-011", resp, 400)
    error_is(check, "DSO-8628-011", resp, "expired_token")


@req("DSO-PAGE-009")
def test_expired_user_code_on_page(check, tl):
    how, answer = tl.get("da_page")
    if how == "hook":
        check.that(
            "DSO-PAGE-009",
            not answer,
            "an expired user code was approved through the hook",
            passed="refused through the approval hook",
        )
        return
    page = Page(answer.text)
    check.that(
        "DSO-PAGE-009",
        "consent" not in page.inputs,
        "an expired user code reached the consent step",
        passed=f"refused ({page.error})",
    )
