"""The id_token: structure, signature, and each claim the OTT platform relies on."""

from __future__ import annotations

import ipaddress
import time
from urllib.parse import urlsplit

import pytest

from conformance.checks import Blocked
from conformance.jose import b64url_decode_strict, claims_of, decode_strict, verify

req = pytest.mark.requirement


@req("OTT-IDT-001")
def test_id_token_is_a_compact_jws(primary, check):
    parts = primary["id_token"].split(".")
    check.that("OTT-IDT-001", len(parts) == 3, f"{len(parts)} segments, expected 3", passed="3 segments")
    try:
        for part in parts:
            b64url_decode_strict(part)
        decoded = decode_strict(primary["id_token"])
    except ValueError as exc:
        check.that("OTT-IDT-001", False, f"not a compact JWS: {exc}", passed="a compact JWS")
        return
    alg = decoded.header.get("alg")
    check.that(
        "OTT-IDT-001", isinstance(alg, str) and alg.lower() != "none", f"alg is {alg!r}", passed=f"alg {alg}"
    )
    check.that("OTT-IDT-001", bool(parts[2]), "empty signature segment", passed="signature present")


@req("OTT-IDT-002")
def test_kid_is_published(ott, primary_id_token, check):
    kid = primary_id_token.header.get("kid")
    keys = [k for k in ott.jwks()["keys"] if isinstance(k, dict)]
    kids = [k.get("kid") for k in keys]
    if kid is None:  # OIDC Core §10.1: a kid is needed only when the JWKS holds several keys
        check.that(
            "OTT-IDT-002",
            len(keys) == 1,
            f"the header has no kid and the JWKS holds {len(keys)} keys",
            passed="no kid, and the JWKS holds a single key",
        )
        return
    check.that(
        "OTT-IDT-002", kid in kids, f"kid {kid!r} is not in the JWKS ({len(kids)} keys)", passed=f"kid {kid}"
    )


@req("OTT-IDT-003")
def test_signature_verifies(ott, primary, primary_id_token, check):
    alg = primary_id_token.header.get("alg")
    why = verify(primary["id_token"], ott.verification_keys(primary_id_token.header))
    how = ott.features.get("id_token_verification", "jwks")
    check.that("OTT-IDT-003", why is None, f"{how}: {why}", passed=f"{alg} signature verifies ({how})")


def _claims_of_login(ott, role: str) -> dict:
    """The claims of a fresh sign-in's id_token; one that does not decode is OTT-IDT-001's FAIL."""
    claims = claims_of(ott.login(role)["id_token"])
    if claims is None:
        raise Blocked(f"the {role} account's id_token is not a compact JWS", by="OTT-IDT-001")
    return claims


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@req("OTT-IDT-004")
def test_iss(ott, primary_id_token, check):
    iss = primary_id_token.claims.get("iss")
    check.that(
        "OTT-IDT-004", isinstance(iss, str) and iss, f"iss is {iss!r}", passed="iss is a string", fatal=True
    )
    try:
        parts = urlsplit(iss)
        host = parts.hostname or ""
    except ValueError:
        check.that("OTT-IDT-004", False, f"iss {iss!r} is not a URL", passed="iss is a URL", fatal=True)
    secure = parts.scheme == "https" or (parts.scheme == "http" and _loopback(host))
    check.that(
        "OTT-IDT-004",
        secure and parts.netloc,
        f"iss {iss!r} is not an https URL",
        passed="iss is an https URL",
    )
    check.that(
        "OTT-IDT-004",
        not parts.query and not parts.fragment,
        f"iss {iss!r} has a query or fragment",
        passed="no query or fragment",
    )
    if ott.features.get("discovery"):
        issuer = ott.discovery().get("issuer")
        check.that(
            "OTT-IDT-004",
            iss == issuer,
            f"iss {iss!r} differs from discovery issuer {issuer!r}",
            passed="iss equals the discovery issuer",
        )


@req("OTT-IDT-005")
def test_sub_shape(primary_id_token, check):
    sub = primary_id_token.claims.get("sub")
    ok = isinstance(sub, str) and 0 < len(sub) <= 255 and sub.isascii()
    check.that(
        "OTT-IDT-005",
        ok,
        f"sub is not 1-255 ASCII characters (type {type(sub).__name__}, "
        f"length {len(sub) if isinstance(sub, str) else '-'})",
        passed="sub is 1-255 ASCII characters",
    )


@req("OTT-IDT-006")
def test_aud(ott, primary_id_token, check):
    aud = primary_id_token.claims.get("aud")
    azp = primary_id_token.claims.get("azp")
    if isinstance(aud, list):
        ok = ott.client_id in aud and (len(aud) == 1 or azp == ott.client_id)
    else:
        ok = aud == ott.client_id
    check.that(
        "OTT-IDT-006",
        ok,
        f"aud {aud!r} (azp {azp!r}) does not name the client",
        passed="aud is the client_id",
    )


@req("OTT-IDT-007")
def test_exp_and_iat(primary_id_token, check):
    exp, iat = primary_id_token.claims.get("exp"), primary_id_token.claims.get("iat")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat))
    check.that(
        "OTT-IDT-007",
        numbers,
        f"exp {exp!r} / iat {iat!r} are not numbers",
        passed="exp and iat are numbers",
        fatal=True,
    )
    now = time.time()
    check.that("OTT-IDT-007", exp > iat, f"exp {exp} is not after iat {iat}", passed="exp after iat")
    check.that("OTT-IDT-007", exp > now, f"already expired ({now - exp:.0f}s ago)", passed="not expired")
    check.that(
        "OTT-IDT-007", abs(iat - now) <= 300, f"iat is {iat - now:+.0f}s from now", passed="iat is current"
    )


@req("OTT-IDT-008")
def test_id_token_lifetime(primary_id_token, check):
    exp, iat = primary_id_token.claims.get("exp"), primary_id_token.claims.get("iat")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat)):
        raise Blocked(f"exp {exp!r} / iat {iat!r} are not numbers", by="OTT-IDT-007")
    check.that(
        "OTT-IDT-008",
        exp - iat <= 86400,
        f"lifetime {exp - iat:.0f}s is over 24 hours",
        passed=f"lifetime {exp - iat:.0f}s",
    )


@req("OTT-IDT-009", "OTT-IDT-010")
def test_email_claims(ott, primary_id_token, check):
    email = primary_id_token.claims.get("email")
    username = ott.account("primary")["username"]
    check.that(
        "OTT-IDT-009",
        isinstance(email, str) and email.strip().lower() == username.strip().lower(),
        "email claim missing or not the username signed in with",
        passed="email is the username",
    )
    if "email_verified" in primary_id_token.claims:
        value = primary_id_token.claims["email_verified"]
        check.that(
            "OTT-IDT-010",
            isinstance(value, bool),
            f"email_verified is {type(value).__name__} {value!r}",
            passed="email_verified is a boolean",
        )
    else:
        check.that("OTT-IDT-010", True, "", passed="email_verified absent (optional)")


@req("OTT-IDT-011")
def test_name_with_profile_scope(ott, primary_id_token, check):
    expected = ott.account("primary").get("name")
    name = primary_id_token.claims.get("name")
    check.that(
        "OTT-IDT-011",
        name is not None,
        "no name claim although the profile scope was requested",
        passed="name present",
    )
    if expected and name is not None:
        check.that(
            "OTT-IDT-011", name == expected, "name differs from the account's name", passed="name matches"
        )


@req("OTT-IDT-012")
def test_sub_is_stable(ott, primary_id_token, check):
    again = _claims_of_login(ott, "primary")
    first = primary_id_token.claims.get("sub")
    check.that(
        "OTT-IDT-012", again.get("sub") == first, "a second sign-in gave another sub", passed="same sub"
    )


# A SHOULD on its own test: a sub that is the email must not hold back OTT-IDT-012.
@req("OTT-IDT-014")
def test_sub_is_not_the_email(ott, primary_id_token, check):
    first = primary_id_token.claims.get("sub")
    email = str(primary_id_token.claims.get("email") or ott.account("primary")["username"])
    check.that(
        "OTT-IDT-014",
        str(first).lower() != email.lower(),
        "sub is the email address",
        passed="sub is not the email",
    )


@req("OTT-IDT-013")
def test_sub_differs_between_accounts(ott, primary_id_token, check):
    other = _claims_of_login(ott, "secondary")
    check.that(
        "OTT-IDT-013",
        other.get("sub") != primary_id_token.claims.get("sub"),
        "two different accounts share one sub",
        passed="distinct subs",
    )


@req("OTT-IDT-015")
def test_header_hygiene(primary_id_token, check):
    header = primary_id_token.header
    banned = sorted({"x5u", "x5c", "jku", "jwk"} & set(header))
    check.that(
        "OTT-IDT-015", not banned, f"header carries {', '.join(banned)}", passed="no key-location members"
    )
    typ = header.get("typ")
    check.that(
        "OTT-IDT-015", typ is None or str(typ).upper() == "JWT", f"typ is {typ!r}", passed=f"typ {typ}"
    )
    crit = header.get("crit")
    check.that("OTT-IDT-015", crit is None, f"unexpected crit {crit!r}", passed="no crit")


@req("OTT-IDT-016")
def test_no_duplicate_claims(primary_id_token, check):
    dups = primary_id_token.duplicates
    check.that(
        "OTT-IDT-016", not dups, f"claims set repeats {', '.join(sorted(set(dups)))}", passed="no duplicates"
    )
