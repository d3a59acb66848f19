"""The id_token: structure, signature, and each claim the OTT platform relies on."""

from __future__ import annotations

import ipaddress
import time
from urllib.parse import urlsplit

import jwt
import pytest

from conformance.jose import b64url_decode_strict, decode_strict

req = pytest.mark.requirement


@req("OTT-IDT-001")
def test_id_token_is_a_compact_jws(primary, check):
    parts = primary["id_token"].split(".")
    check.that("OTT-IDT-001", len(parts) == 3, f"{len(parts)} segments, expected 3", "3 segments")
    try:
        for part in parts:
            b64url_decode_strict(part)
        decoded = decode_strict(primary["id_token"])
    except ValueError as exc:
        check.that("OTT-IDT-001", False, f"not a compact JWS: {exc}")
        return
    alg = decoded.header.get("alg")
    check.that("OTT-IDT-001", isinstance(alg, str) and alg.lower() != "none", f"alg is {alg!r}", f"alg {alg}")
    check.that("OTT-IDT-001", bool(parts[2]), "empty signature segment", "signature present")


@req("OTT-IDT-002")
def test_kid_is_published(ott, primary_id_token, check):
    kid = primary_id_token.header.get("kid")
    kids = [k.get("kid") for k in ott.jwks()["keys"]]
    check.that("OTT-IDT-002", kid is not None, "the header has no kid")
    check.that("OTT-IDT-002", kid in kids, f"kid {kid!r} is not in the JWKS ({len(kids)} keys)", f"kid {kid}")


@req("OTT-IDT-003")
def test_signature_verifies(ott, primary, primary_id_token, check):
    alg = primary_id_token.header.get("alg")
    reasons = []
    for key, algs in ott.verification_keys(primary_id_token.header):
        if alg not in algs:
            reasons.append(f"alg {alg!r} not acceptable")
            continue
        try:
            jwt.api_jws.decode(primary["id_token"], key, algorithms=[alg])
        except jwt.PyJWTError as exc:
            reasons.append(type(exc).__name__)
            continue
        check.that("OTT-IDT-003", True, "", f"{alg} signature verifies")
        return
    how = ott.features.get("id_token_verification", "jwks")
    check.that(
        "OTT-IDT-003", False, f"no {how} key verifies the signature ({', '.join(reasons) or 'no keys'})"
    )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@req("OTT-IDT-004")
def test_iss(ott, primary_id_token, check):
    iss = primary_id_token.claims.get("iss")
    check.that("OTT-IDT-004", isinstance(iss, str) and iss, f"iss is {iss!r}", fatal=True)
    parts = urlsplit(iss)
    secure = parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname or ""))
    check.that(
        "OTT-IDT-004", secure and parts.netloc, f"iss {iss!r} is not an https URL", "iss is an https URL"
    )
    check.that("OTT-IDT-004", not parts.query and not parts.fragment, f"iss {iss!r} has a query or fragment")
    if ott.features.get("discovery"):
        issuer = ott.discovery().get("issuer")
        check.that(
            "OTT-IDT-004",
            iss == issuer,
            f"iss {iss!r} differs from discovery issuer {issuer!r}",
            "iss equals the discovery issuer",
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
        "sub is 1-255 ASCII characters",
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
        "OTT-IDT-006", ok, f"aud {aud!r} (azp {azp!r}) does not name the client", "aud is the client_id"
    )


@req("OTT-IDT-007", "OTT-IDT-008")
def test_exp_and_iat(primary_id_token, check):
    exp, iat = primary_id_token.claims.get("exp"), primary_id_token.claims.get("iat")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat))
    check.that("OTT-IDT-007", numbers, f"exp {exp!r} / iat {iat!r} are not numbers", fatal=True)
    now = time.time()
    check.that("OTT-IDT-007", exp > iat, f"exp {exp} is not after iat {iat}", "exp after iat")
    check.that("OTT-IDT-007", exp > now, f"already expired ({now - exp:.0f}s ago)", "not expired")
    check.that("OTT-IDT-007", abs(iat - now) <= 300, f"iat is {iat - now:+.0f}s from now", "iat is current")
    check.that(
        "OTT-IDT-008",
        exp - iat <= 86400,
        f"lifetime {exp - iat:.0f}s is over 24 hours",
        f"lifetime {exp - iat:.0f}s",
    )


@req("OTT-IDT-009", "OTT-IDT-010")
def test_email_claims(ott, primary_id_token, check):
    email = primary_id_token.claims.get("email")
    username = ott.account("primary")["username"]
    check.that(
        "OTT-IDT-009",
        isinstance(email, str) and email.strip().lower() == username.strip().lower(),
        "email claim missing or not the username signed in with",
        "email is the username",
    )
    if "email_verified" in primary_id_token.claims:
        value = primary_id_token.claims["email_verified"]
        check.that(
            "OTT-IDT-010",
            isinstance(value, bool),
            f"email_verified is {type(value).__name__} {value!r}",
            "email_verified is a boolean",
        )
    else:
        check.that("OTT-IDT-010", True, "", "email_verified absent (optional)")


@req("OTT-IDT-011")
def test_name_with_profile_scope(ott, primary_id_token, check):
    expected = ott.account("primary").get("name")
    name = primary_id_token.claims.get("name")
    check.that("OTT-IDT-011", name is not None, "no name claim although the profile scope was requested")
    if expected and name is not None:
        check.that("OTT-IDT-011", name == expected, "name differs from the account's name", "name matches")


@req("OTT-IDT-012", "OTT-IDT-014")
def test_sub_is_stable_and_not_the_email(ott, primary_id_token, check):
    again = decode_strict(ott.login("primary")["id_token"])
    first = primary_id_token.claims.get("sub")
    check.that(
        "OTT-IDT-012", again.claims.get("sub") == first, "a second sign-in gave another sub", "same sub"
    )
    email = str(primary_id_token.claims.get("email") or ott.account("primary")["username"])
    check.that(
        "OTT-IDT-014", str(first).lower() != email.lower(), "sub is the email address", "sub is not the email"
    )


@req("OTT-IDT-013")
def test_sub_differs_between_accounts(ott, primary_id_token, check):
    other = decode_strict(ott.login("secondary")["id_token"])
    check.that(
        "OTT-IDT-013",
        other.claims.get("sub") != primary_id_token.claims.get("sub"),
        "two different accounts share one sub",
        "distinct subs",
    )


@req("OTT-IDT-015")
def test_header_hygiene(primary_id_token, check):
    header = primary_id_token.header
    banned = sorted({"x5u", "x5c", "jku", "jwk"} & set(header))
    check.that("OTT-IDT-015", not banned, f"header carries {', '.join(banned)}", "no key-location members")
    typ = header.get("typ")
    check.that("OTT-IDT-015", typ is None or str(typ).upper() == "JWT", f"typ is {typ!r}", f"typ {typ}")
    crit = header.get("crit")
    check.that("OTT-IDT-015", crit is None, f"unexpected crit {crit!r}", "no crit")


@req("OTT-IDT-016")
def test_no_duplicate_claims(primary_id_token, check):
    dups = primary_id_token.duplicates
    check.that("OTT-IDT-016", not dups, f"claims set repeats {', '.join(sorted(set(dups)))}", "no duplicates")
