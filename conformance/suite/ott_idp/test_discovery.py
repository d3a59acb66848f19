"""Discovery document and JWKS (when the vendor publishes them)."""

from __future__ import annotations

import pytest

from conformance import openapi
from conformance.jose import PRIVATE_JWK_MEMBERS

req = pytest.mark.requirement
REQUIRED = (
    "issuer",
    "jwks_uri",
    "token_endpoint",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)


@req("OTT-DISC-001", "OTT-DISC-002")
def test_discovery_document(ott, check):
    doc = ott.discovery()
    missing = [m for m in REQUIRED if m not in doc]
    check.that("OTT-DISC-001", not missing, f"missing {', '.join(missing)}", "required members present")
    algs = doc.get("id_token_signing_alg_values_supported") or []
    check.that(
        "OTT-DISC-001", "RS256" in algs, f"id_token_signing_alg_values_supported is {algs!r}", "RS256 listed"
    )
    problems = openapi.errors("ott_idp", "DiscoveryDocument", doc)
    check.that("OTT-DISC-001", not problems, "; ".join(problems[:3]), "validates against DiscoveryDocument")
    grants = doc.get("grant_types_supported") or []
    check.that(
        "OTT-DISC-002", "password" in grants, f"grant_types_supported is {grants!r}", "password listed"
    )


@req("OTT-DISC-003")
def test_jwks(ott, check):
    keys = ott.jwks()["keys"]
    kids = [k.get("kid") for k in keys]
    check.that("OTT-DISC-003", keys, "the JWKS has no keys", f"{len(keys)} key(s)")
    check.that("OTT-DISC-003", all(isinstance(k.get("kty"), str) for k in keys), "a key lacks kty")
    check.that("OTT-DISC-003", None not in kids and len(set(kids)) == len(kids), f"kids not unique: {kids!r}")
    leaked = sorted({m for k in keys for m in PRIVATE_JWK_MEMBERS & set(k)})
    check.that(
        "OTT-DISC-003", not leaked, f"private key members published: {', '.join(leaked)}", "public only"
    )
