"""Refresh tokens, when the profile claims them."""

from __future__ import annotations

import pytest

from conformance.oauth_checks import token_answer

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
        passed="refresh_token issued",
    )
    if not isinstance(refresh, str) or not refresh:
        check.unreached("OTT-TOKEN-021", "no refresh_token to exchange", by="OTT-TOKEN-020")
        return
    again = token_answer(
        ott.token(scope=None, grant_type="refresh_token", extra=[("refresh_token", refresh)])
    )
    check.that(
        "OTT-TOKEN-021",
        again.ok,
        f"the refresh_token grant answered {again.why}",
        passed="new access_token issued",
    )
