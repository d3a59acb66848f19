"""Brute-force protection and user enumeration."""

from __future__ import annotations

import time

import pytest

from conformance.bodies import error_code, json_of, without_identifiers
from conformance.oauth_checks import token_answer

req = pytest.mark.requirement
LONG_WAIT_S = 30.0  # a longer cooldown is only waited for with --include-slow


@req("OTT-SEC-001", "OTT-SEC-002")
def test_bruteforce_limit(ott, check, request):
    acct = ott.account("lockout")
    cfg = ott.section.get("bruteforce", {})
    attempts, cooldown = int(cfg.get("attempts", 20)), float(cfg.get("cooldown_s", 60))
    throttled = []
    for _ in range(attempts):
        resp = ott.token(acct["username"], acct["password"] + "-wrong")
        if resp.status_code == 429:
            throttled.append(resp)
    right = ott.token(acct["username"], acct["password"])
    if right.status_code == 429:
        throttled.append(right)
    refused = right.status_code == 429 or (right.status_code == 400 and error_code(right) == "invalid_grant")
    check.that(
        "OTT-SEC-001",
        refused,
        f"after {attempts} wrong passwords the right one was accepted (HTTP {right.status_code})",
        passed=f"after {attempts} wrong passwords the right one is refused (HTTP {right.status_code})",
    )
    if not refused:  # no lockout, so no throttling answers to judge: OTT-SEC-001 carries the FAIL
        check.unreached("OTT-SEC-002", "the account was never locked", by="OTT-SEC-001")
        return
    if throttled:
        missing = [r for r in throttled if not r.headers.get("retry-after")]
        check.that(
            "OTT-SEC-002",
            not missing,
            f"{len(missing)} of {len(throttled)} 429 answers lack Retry-After",
            passed=f"{len(throttled)} 429 answers, all with Retry-After",
        )
    else:
        check.that(
            "OTT-SEC-002",
            True,
            "",
            passed="no 429 answers (throttling by 400 invalid_grant): nothing to check",
        )
    if cooldown > LONG_WAIT_S and not request.config.getoption("include_slow"):
        check.not_awaited("OTT-SEC-001", cooldown, f"the lockout cooldown of {cooldown:g}s")
        return
    time.sleep(cooldown)
    after = ott.sign_in(acct["username"], acct["password"])
    check.that(
        "OTT-SEC-001",
        after.ok,
        f"{cooldown:g}s after the lockout the right password still does not sign in ({after.why})",
        passed=f"accepted again after {cooldown:g}s",
    )


@req("OTT-SEC-003")
def test_no_user_enumeration(ott, check):
    acct = ott.account("secondary")
    wrong = ott.token(acct["username"], acct["password"] + "-wrong")
    unknown = ott.token(ott.new_email(), acct["password"] + "-wrong")
    if not token_answer(wrong).refused:  # nothing to compare with: OTT-TOKEN-010 carries the FAIL
        check.unreached(
            "OTT-SEC-003", "a wrong password is not refused with an OAuth error", by="OTT-TOKEN-010"
        )
        return

    def shape(resp):
        # Bodies compared modulo identifiers: a random trace id or timestamp reveals nothing.
        body = json_of(resp)
        return resp.status_code, without_identifiers(body if body is not None else resp.text)

    same_status = wrong.status_code == unknown.status_code
    check.that(
        "OTT-SEC-003",
        shape(wrong) == shape(unknown),
        f"wrong password gives {wrong.status_code}, unknown user {unknown.status_code}"
        + (", with different bodies" if same_status else ""),
        passed=f"identical answers ({wrong.status_code} {error_code(wrong)}, equal modulo identifiers)",
    )
