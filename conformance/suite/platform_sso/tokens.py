"""What the suite signs while it stands in for two parties of the contract.

The TVE Dashboard hands out software statements (a JWS over the application's claims) and the
platform identity service hands out ``Adobe-Subject-Token`` values (JWS or JWE over the platform
user's claims). Each function takes the profile's ``[platform_sso]`` section as a dict and claim
overrides, so that the suite and the project's own tests of the reference server mint the same
tokens. Relative key files resolve against ``profile_dir``: the reference profile's folder unless
the caller names its own profile's.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from joserfc import jwe
from joserfc.jwk import RSAKey

from conformance.checks import Blocked
from conformance.jose import b64url_encode
from conformance.profile import REFERENCE_PROFILE

PROFILE_DIR = REFERENCE_PROFILE.parent
STATEMENT_CLAIMS = ("software_id", "software_version", "client_name", "service_providers", "domains")


def read_key(ref: str, profile_dir: Path = PROFILE_DIR) -> bytes:
    """A key file named by the profile; Blocked when it cannot be read (the vendor's set-up is missing)."""
    path = Path(ref)
    if not path.is_absolute():
        path = profile_dir / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Blocked(f"cannot read key file {ref} ({exc.strerror})") from None


def software_statement(
    section: dict[str, Any], role: str, *, profile_dir: Path = PROFILE_DIR, **overrides: Any
) -> str:
    """What the TVE Dashboard would hand out for the application with ``role``.

    A profile may give the statement itself (a vendor's dashboard issued it); otherwise the suite
    signs one with ``[platform_sso.software_statement]`` signing_key_file.
    """
    app = {a["role"]: a for a in section.get("applications", [])}.get(role)
    if app is None:
        raise Blocked(f"the profile has no application with role {role!r}")
    if app.get("software_statement"):
        return app["software_statement"]
    cfg = section.get("software_statement", {})
    if not cfg.get("signing_key_file"):
        raise Blocked("the profile gives neither software_statement nor a signing key")
    claims = {
        "iss": cfg.get("issuer"),
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
        **{k: app[k] for k in STATEMENT_CLAIMS if k in app},
        "scopes": ["api:client:v2"],
        **overrides,
    }
    key = serialization.load_pem_private_key(read_key(cfg["signing_key_file"], profile_dir), None)
    return jwt.encode(claims, key, algorithm=cfg.get("alg", "RS256"), headers={"kid": cfg.get("kid")})


def subject_claims(section: dict[str, Any], sub: str, **overrides: Any) -> dict[str, Any]:
    """The claims of a subject token for the platform user ``sub``, valid from now for ttl_s."""
    idp = section.get("platform_identity", {})
    now = int(time.time())
    return {
        "iss": idp.get("issuer"),
        "aud": idp.get("audience"),
        "sub": sub,
        "did": str(uuid.uuid4()),
        "iat": now,
        "exp": now + int(idp.get("ttl_s", 300)),
        **overrides,
    }


def jws_subject_token(
    section: dict[str, Any], sub: str, *, profile_dir: Path = PROFILE_DIR, **overrides: Any
) -> str:
    """An ``Adobe-Subject-Token`` signed with the platform identity's JWS key."""
    idp = section.get("platform_identity", {})
    if not idp.get("jws_signing_key_file"):
        raise Blocked("the profile has no platform_identity.jws_signing_key_file")
    key = serialization.load_pem_private_key(read_key(idp["jws_signing_key_file"], profile_dir), None)
    return jwt.encode(subject_claims(section, sub, **overrides), key, algorithm=idp.get("jws_alg", "ES256"))


def jwe_subject_token(
    section: dict[str, Any], sub: str, *, profile_dir: Path = PROFILE_DIR, **overrides: Any
) -> str:
    """An ``Adobe-Subject-Token`` encrypted to the vendor's JWE key; the plaintext is the claim set."""
    idp = section.get("platform_identity", {})
    if not idp.get("jwe_encryption_key_file"):
        raise Blocked("the profile has no platform_identity.jwe_encryption_key_file")
    key = RSAKey.import_key(read_key(idp["jwe_encryption_key_file"], profile_dir))
    alg, enc = idp.get("jwe_alg", "RSA-OAEP-256"), idp.get("jwe_enc", "A256GCM")
    registry = jwe.JWERegistry(algorithms=[alg, enc])
    plaintext = json.dumps(subject_claims(section, sub, **overrides)).encode()
    return jwe.encrypt_compact({"alg": alg, "enc": enc, "typ": "JWT"}, plaintext, key, registry=registry)


def unsigned_token(claims: dict[str, Any]) -> str:
    """A compact JWS with ``alg: none`` and an empty signature: what no verifier may accept."""
    return f"{b64url_encode(json.dumps({'alg': 'none', 'typ': 'JWT'}))}.{b64url_encode(json.dumps(claims))}."
