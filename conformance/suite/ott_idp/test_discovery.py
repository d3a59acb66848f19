"""Discovery document and JWKS (when the vendor publishes them)."""

from __future__ import annotations

import pytest

from conformance import openapi
from conformance.bodies import json_of
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


@req("OTT-DISC-001")
def test_discovery_document(ott, check):
    resp = ott.discovery_response()
    check.status("OTT-DISC-001", resp, 200)
    doc = check.json_object("OTT-DISC-001", resp)
    missing = [m for m in REQUIRED if m not in doc]
    check.that(
        "OTT-DISC-001", not missing, f"missing {', '.join(missing)}", passed="required members present"
    )
    algs = doc.get("id_token_signing_alg_values_supported") or []
    check.that(
        "OTT-DISC-001",
        isinstance(algs, list) and "RS256" in algs,
        f"id_token_signing_alg_values_supported is {algs!r}",
        passed="RS256 listed",
    )
    problems = openapi.errors("ott_idp", "DiscoveryDocument", doc)
    check.that(
        "OTT-DISC-001", not problems, "; ".join(problems[:3]), passed="validates against DiscoveryDocument"
    )


@req("OTT-DISC-002")
def test_discovery_lists_the_password_grant(ott, check):
    doc = ott.discovery()  # no document: OTT-DISC-001 carries the FAIL
    grants = doc.get("grant_types_supported") or []
    check.that(
        "OTT-DISC-002",
        isinstance(grants, list) and "password" in grants,
        f"grant_types_supported is {grants!r}",
        passed="password listed",
    )


@req("OTT-DISC-003")
def test_jwks(ott, check):
    resp = ott.jwks_response()
    check.status("OTT-DISC-003", resp, 200)
    body = json_of(resp)
    keys = body.get("keys") if isinstance(body, dict) else None
    check.that(
        "OTT-DISC-003",
        isinstance(keys, list) and keys and all(isinstance(k, dict) for k in keys),
        'the JWKS is not {"keys": [objects...]} with at least one key',
        passed="a JWK Set of objects",
        fatal=True,
    )
    kids = [k.get("kid") for k in keys]
    check.that(
        "OTT-DISC-003",
        all(isinstance(k.get("kty"), str) for k in keys),
        "a key lacks kty",
        passed="every key has kty",
    )
    # OIDC Core §10.1: with several keys each needs a kid; a kid present is a string, and unique.
    named = [k for k in kids if k is not None]
    ok = all(isinstance(k, str) for k in named) and len(set(named)) == len(named)
    ok = ok and (len(keys) == 1 or len(named) == len(keys))
    check.that(
        "OTT-DISC-003",
        ok,
        f"kids missing or not unique: {kids!r}",
        passed="kids unique, present where needed",
    )
    leaked = sorted({m for k in keys for m in PRIVATE_JWK_MEMBERS & set(k)})
    check.that(
        "OTT-DISC-003",
        not leaked,
        f"private key members published: {', '.join(leaked)}",
        passed="public only",
    )
