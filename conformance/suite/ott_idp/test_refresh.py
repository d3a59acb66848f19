"""Refresh tokens, when the profile claims them."""

from __future__ import annotations

import pytest

from conformance.bodies import body_of

req = pytest.mark.requirement


@req("OTT-TOKEN-020", "OTT-TOKEN-021")
def test_refresh_token_grant(ott, check):
    acct = ott.account("primary")
    resp = ott.token(acct["username"], acct["password"])
    check.status("OTT-TOKEN-020", resp, 200, fatal=True)
    refresh = check.json_object("OTT-TOKEN-020", resp).get("refresh_token")
    check.that(
        "OTT-TOKEN-020",
        isinstance(refresh, str) and refresh,
        "no refresh_token in the response",
        "refresh_token issued",
    )
    if not refresh:
        check.that("OTT-TOKEN-021", False, "no refresh_token to exchange")
        return
    again = ott.token(scope=None, grant_type="refresh_token", extra=[("refresh_token", refresh)])
    check.status("OTT-TOKEN-021", again, 200)
    body = body_of(again) if again.status_code == 200 else {}
    check.that(
        "OTT-TOKEN-021",
        isinstance(body.get("access_token"), str),
        "no new access_token",
        "new access_token issued",
    )
