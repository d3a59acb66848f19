"""Clients and throttles: reserved characters in Basic credentials, a client not enabled for the
password grant, a client without a secret, client-secret guessing, mass sign-ups, token lifetime.

The extra clients and both throttles are profile slots ([[ott_idp.clients]] by role,
[ott_idp.client_throttle], [ott_idp.signup_throttle]); a profile without one makes its requirement
SKIP as not applicable rather than guess at the vendor's registrations or limits.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conformance.bodies import error_code
from conformance.deadlines import Outrun
from conformance.oauth_checks import oauth_error, token_answer

req = pytest.mark.requirement
LONG_WAIT_S = 30.0  # a longer cooldown is only waited for with --include-slow


def _client(ott, role: str, what: str) -> dict[str, Any]:
    for client in ott.section.get("clients", []):
        if client.get("role") == role:
            return client
    pytest.skip(f"not applicable: profile declares no {what} ([[ott_idp.clients]] role {role!r})")


def _throttle(ott, key: str, what: str) -> tuple[int, float]:
    cfg = ott.section.get(key)
    if not cfg:
        pytest.skip(f"not applicable: profile declares no {what} ([ott_idp.{key}])")
    return int(cfg.get("attempts", 50)), float(cfg.get("cooldown_s", 60))


def _too_long(cooldown: float, request) -> bool:
    return cooldown > LONG_WAIT_S and not request.config.getoption("include_slow")


def _wait_out(cooldown: float) -> None:
    time.sleep(cooldown * 1.1 + 0.1)  # a margin: the vendor's clock started after our request left


@req("OTT-CLIENT-001")
def test_reserved_characters_in_client_credentials(ott, check):
    client = _client(ott, "reserved", "client whose id and secret hold reserved characters")
    acct = ott.account("primary")
    # Ott.basic form-encodes id and secret (RFC 6749 Appendix B) before joining and base64.
    resp = ott.token(
        acct["username"], acct["password"], auth=ott.basic(client["client_id"], client["client_secret"])
    )
    answer = token_answer(resp)
    check.that(
        "OTT-CLIENT-001",
        answer.ok,
        f"the form-encoded Basic credentials were not accepted: {answer.why}",
        passed="form-encoded Basic credentials accepted: HTTP 200 with an access_token",
    )
    # Which audience the id_token names is OTT-IDT-006's fact, judged there, not here.


@req("OTT-CLIENT-002")
def test_client_not_enabled_for_the_password_grant(ott, check):
    client = _client(ott, "restricted", "client not enabled for the password grant")
    acct = ott.account("primary")
    resp = ott.token(
        acct["username"], acct["password"], auth=ott.basic(client["client_id"], client["client_secret"])
    )
    oauth_error(check, "OTT-CLIENT-002", resp, "unauthorized_client", 400)
    check.that(
        "OTT-CLIENT-002",
        not token_answer(resp).ok,
        "the restricted client was issued an access_token",
        passed="no access_token issued",
    )


@req("OTT-CLIENT-003")
@pytest.mark.parametrize("how", ["client_id in the body", "Basic with an empty secret"])
def test_client_without_a_secret_is_refused(ott, check, how):
    acct = ott.account("primary")
    if how == "client_id in the body":
        resp = ott.token(acct["username"], acct["password"], auth={}, extra=[("client_id", ott.client_id)])
    else:
        resp = ott.token(acct["username"], acct["password"], auth=ott.basic(secret=""))
    oauth_error(check, "OTT-CLIENT-003", resp, "invalid_client", (400, 401))


@req("OTT-THROTTLE-001")
def test_client_secret_guessing_is_throttled(ott, check, request):
    attempts, cooldown = _throttle(ott, "client_throttle", "client throttle")
    client = _client(ott, "lockout", "client the throttle test may lock")
    acct = ott.account("secondary")
    cid, secret = client["client_id"], client["client_secret"]
    last_sent = time.monotonic()
    for _ in range(attempts):
        last_sent = time.monotonic()
        ott.token(acct["username"], acct["password"], auth=ott.basic(cid, secret + "-wrong"))
    right = ott.token(acct["username"], acct["password"], auth=ott.basic(cid, secret))
    refused = right.status_code == 429 or (right.status_code == 401 and error_code(right) == "invalid_client")
    if not refused and time.monotonic() - last_sent >= cooldown:
        # The throttle may rightly have lapsed before the right secret arrived: not the vendor's fault.
        raise Outrun(f"the right secret came more than the {cooldown:g}s cooldown after the last wrong one")
    check.that(
        "OTT-THROTTLE-001",
        refused,
        f"after {attempts} wrong client secrets the right one was accepted (HTTP {right.status_code})",
        passed=f"after {attempts} wrong client secrets the right one is refused (HTTP {right.status_code})",
    )
    if not refused:
        return
    if _too_long(cooldown, request):
        check.not_awaited("OTT-THROTTLE-001", cooldown, f"the client-throttle cooldown of {cooldown:g}s")
        return
    _wait_out(cooldown)
    after = token_answer(ott.token(acct["username"], acct["password"], auth=ott.basic(cid, secret)))
    check.that(
        "OTT-THROTTLE-001",
        after.ok,
        f"{cooldown:g}s after the throttle the right client secret is still refused ({after.why})",
        passed=f"the client authenticates again after {cooldown:g}s",
    )


@req("OTT-THROTTLE-002")
def test_mass_signups_are_throttled(ott, check, request):
    attempts, cooldown = _throttle(ott, "signup_throttle", "sign-up throttle")
    if _too_long(cooldown, request):  # a throttle left standing would fail the sign-up tests after this one
        check.not_awaited("OTT-THROTTLE-002", cooldown, f"the sign-up throttle's cooldown of {cooldown:g}s")
        return
    seen: list[int] = []
    for _ in range(attempts):
        seen.append(ott.signup(ott.new_email(), ott.new_password(), wait_out_throttle=False).status_code)
        if seen[-1] == 429:
            break
    check.that(
        "OTT-THROTTLE-002",
        seen[-1] == 429,
        f"{attempts} sign-ups from one address, none answered 429 (statuses {sorted(set(seen))})",
        passed=f"sign-up number {len(seen)} answered 429",
    )
    if seen[-1] == 429:
        _wait_out(cooldown)  # so the tests after this one are not throttled


@req("OTT-TTL-001")
def test_access_token_lifetime(ott, check, primary):
    expires_in = primary.get("expires_in")
    if expires_in is None:  # RFC 6749 §5.1 only RECOMMENDS it; OTT-TOKEN-005 says so
        pytest.skip("not applicable: the token response states no expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        check.unreached("OTT-TTL-001", f"expires_in is not a number: {expires_in!r}", by="OTT-SCHEMA-001")
        return
    check.that(
        "OTT-TTL-001",
        expires_in <= 3600,
        f"access tokens live {expires_in:g}s, more than an hour",
        passed=f"expires_in {expires_in:g}s",
    )
