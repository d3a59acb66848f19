"""The id_token a refresh returns (OpenID Connect Core 1.0 §12.2), when the profile claims refresh tokens."""

from __future__ import annotations

import pytest

from conformance.jose import decode_strict
from conformance.oauth_checks import token_answer

req = pytest.mark.requirement


def _claims(id_token: object) -> dict | None:
    try:
        return decode_strict(str(id_token)).claims
    except ValueError:
        return None


@req("OTT-REFRESH-001")
def test_refreshed_id_token_names_the_same_subject(ott, check):
    acct = ott.account("primary")
    first = token_answer(ott.token(acct["username"], acct["password"]))
    before = _claims(first.body.get("id_token"))
    refresh = first.body.get("refresh_token")
    # Each missing prerequisite is blocked by the requirement that judges it.
    if not first.ok:
        check.unreached("OTT-REFRESH-001", f"no sign-in ({first.why})", by="OTT-TOKEN-001")
        return
    if before is None:
        check.unreached("OTT-REFRESH-001", "the id_token is not a compact JWS", by="OTT-IDT-001")
        return
    if not isinstance(refresh, str) or not refresh:
        check.unreached("OTT-REFRESH-001", "the sign-in gave no refresh_token", by="OTT-TOKEN-020")
        return
    again = token_answer(
        ott.token(scope=None, grant_type="refresh_token", extra=[("refresh_token", refresh)])
    )
    if not again.ok:
        check.unreached(
            "OTT-REFRESH-001", f"the refresh_token grant answered {again.why}", by="OTT-TOKEN-021"
        )
        return
    if "id_token" not in again.body:
        pytest.skip(
            "not applicable: the refresh returned no id_token (OpenID Connect Core §12.2 allows that)"
        )
    after = _claims(again.body["id_token"])
    if after is None:
        check.unreached("OTT-REFRESH-001", "the refreshed id_token is not a compact JWS", by="OTT-IDT-001")
        return
    changed = [c for c in ("iss", "sub", "aud") if after.get(c) != before.get(c)]
    check.that(
        "OTT-REFRESH-001",
        not changed,
        f"the refreshed id_token changes {', '.join(changed)}",
        passed="iss, sub and aud unchanged",
    )
    iat_before, iat_after = before.get("iat"), after.get("iat")
    if isinstance(iat_before, int | float) and isinstance(iat_after, int | float):
        check.that(
            "OTT-REFRESH-001",
            iat_after >= iat_before,
            f"the refreshed id_token's iat {iat_after} is earlier than the sign-in's {iat_before}",
            passed="iat no earlier than the sign-in's",
        )
