"""Error answers of the token endpoint: shape, characters, caching, schema."""

from __future__ import annotations

import re

import pytest

from conformance import openapi
from conformance.bodies import json_of, media_type_of
from conformance.checks import Blocked
from conformance.oauth_checks import TOKEN_ERRORS

req = pytest.mark.requirement
ALLOWED = re.compile(r"^[\x20-\x21\x23-\x5B\x5D-\x7E]*$")  # RFC 6749 §5.2 error / error_description


def _error_answers(ott):
    """A handful of distinct errors: wrong password, no grant_type, bad grant, bad scope, bad secret."""
    acct = ott.account("secondary")
    return [
        ("wrong password", ott.token(acct["username"], acct["password"] + "-x")),
        ("no grant_type", ott.token(acct["username"], acct["password"], grant_type=None)),
        ("unsupported grant", ott.token(acct["username"], acct["password"], grant_type="urn:example:nope")),
        ("no openid scope", ott.token(acct["username"], acct["password"], scope="email")),
        (
            "wrong client secret",
            ott.token(acct["username"], acct["password"], auth=ott.basic(secret="nope-x")),
        ),
    ]


@req("OTT-ERR-001", "OTT-ERR-002", "OTT-SCHEMA-002")
def test_error_responses_are_well_formed(ott, check):
    # Only answers that are errors are examined: a request wrongly accepted fails its own
    # requirement (in test_token.py), not these.
    answers = [(label, resp) for label, resp in _error_answers(ott) if resp.status_code >= 400]
    check.that(
        "OTT-ERR-001",
        answers,
        "none of the invalid requests was answered with an error",
        passed=f"{len(answers)} invalid requests answered with an error",
        fatal=True,
    )
    for label, resp in answers:
        ctype = media_type_of(resp)
        body = json_of(resp)
        code = body.get("error") if isinstance(body, dict) else None
        check.that(
            "OTT-ERR-001",
            ctype == "application/json" and code in TOKEN_ERRORS,
            f"{label}: Content-Type {ctype or 'missing'!r}, error {code!r}",
            passed=f"{label}: application/json with error {code}",
        )
        if not isinstance(body, dict):
            continue
        for member in ("error", "error_description"):
            value = body.get(member)
            if isinstance(value, str):
                check.that(
                    "OTT-ERR-002",
                    bool(ALLOWED.match(value)),
                    f"{label}: {member} has characters outside RFC 6749 §5.2: {value!r}",
                    passed=f"{label}: {member} characters allowed",
                )
        # The error code is OTT-ERR-001's fact; the schema judges the other members' types.
        problems = openapi.errors("ott_idp", "OAuthError", body, judged_elsewhere=("error",))
        check.that(
            "OTT-SCHEMA-002", not problems, f"{label}: " + "; ".join(problems[:3]), passed=f"{label}: valid"
        )


@req("OTT-ERR-003")
def test_error_responses_are_not_stored(ott, check):
    # A SHOULD on its own test: a missing no-store must not hold back the MUSTs above.
    answers = [(label, resp) for label, resp in _error_answers(ott) if resp.status_code >= 400]
    if not answers:
        raise Blocked("none of the invalid requests was answered with an error", by="OTT-ERR-001")
    for label, resp in answers:
        cache = resp.headers.get("cache-control", "")
        check.that(
            "OTT-ERR-003",
            "no-store" in cache.lower(),
            f"{label}: Cache-Control is {cache or 'missing'!r}",
            passed=f"{label}: Cache-Control: {cache}",
        )
