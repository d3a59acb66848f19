"""What the suite signs while it stands in for two parties of the contract.

The TVE Dashboard hands out software statements (a JWS over the application's claims) and the
platform identity service hands out ``Adobe-Subject-Token`` values (JWS or JWE over the platform
user's claims). Each function takes the contract's profile section as a dict (``[platform_sso]``,
or ``[partner_sso]``, whose applications register the same way) and claim overrides, so that the
suite and the project's own tests of the reference server mint the same tokens. Relative key
files resolve against ``profile_dir``: the reference profile's folder unless the caller names its
own profile's.

The suite also plays a forger: ``forged_subject_token`` signs with RS256 or ES256 keys made for this
run, which no vendor can trust, so a vendor that honours them is caught whatever algorithm it allows.
"""

from __future__ import annotations

import json
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from conformance.checks import Blocked
from conformance.jose import b64url_encode
from conformance.profile import REFERENCE_PROFILE

PROFILE_DIR = REFERENCE_PROFILE.parent
STATEMENT_CLAIMS = ("software_id", "software_version", "client_name", "service_providers", "domains")
FORGED_ALGS = ("RS256", "ES256")  # the algorithms a forged token is signed with, one check each


def read_key(ref: str, profile_dir: Path = PROFILE_DIR) -> bytes:
    """A key file named by the profile; Blocked when it cannot be read (the vendor's set-up is missing)."""
    path = Path(ref)
    if not path.is_absolute():
        path = profile_dir / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Blocked(f"cannot read key file {ref} ({exc.strerror})") from None


@cache
def private_key(pem: bytes) -> Any:
    """``pem`` loaded once per run: loading an RSA key checks it (~45 ms), and the suite signs a
    statement or an assertion per application. Keyed by the bytes, so an edited file is reloaded."""
    return serialization.load_pem_private_key(pem, None)


def software_statement(
    section: dict[str, Any], role: str, *, profile_dir: Path = PROFILE_DIR, **overrides: Any
) -> str:
    """What the TVE Dashboard would hand out for the application with ``role``.

    A profile may give the statement itself (a vendor's dashboard issued it); otherwise the suite
    signs one with the section's ``software_statement`` signing_key_file.
    """
    app = {a["role"]: a for a in section.get("applications", [])}.get(role)
    if app is None:
        raise Blocked(f"the profile has no application with role {role!r}")
    if app.get("software_statement"):
        return app["software_statement"]
    cfg = section.get("software_statement", {})
    if not cfg.get("signing_key_file"):
        raise Blocked("the profile gives neither software_statement nor a signing key")
    names = {**{k: k for k in (*STATEMENT_CLAIMS, "scopes")}, **cfg.get("claim_names", {})}
    claims = {
        "iss": cfg.get("issuer"),
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
        **{names[k]: app[k] for k in STATEMENT_CLAIMS if k in app},
        names["scopes"]: ["api:client:v2"],
        **overrides,
    }
    key = private_key(read_key(cfg["signing_key_file"], profile_dir))
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


def _jws_headers(idp: dict[str, Any]) -> dict[str, Any] | None:
    return {"kid": idp["jws_kid"]} if idp.get("jws_kid") else None


def jws_subject_token(
    section: dict[str, Any], sub: str, *, profile_dir: Path = PROFILE_DIR, **overrides: Any
) -> str:
    """An ``Adobe-Subject-Token`` signed with the platform identity's JWS key."""
    idp = section.get("platform_identity", {})
    if not idp.get("jws_signing_key_file"):
        raise Blocked("the profile has no platform_identity.jws_signing_key_file")
    key = private_key(read_key(idp["jws_signing_key_file"], profile_dir))
    claims = subject_claims(section, sub, **overrides)
    return jwt.encode(claims, key, algorithm=idp.get("jws_alg", "ES256"), headers=_jws_headers(idp))


@cache
def _forger_key(alg: str) -> Any:
    """A private key made for this run only: what signs it, no vendor can trust."""
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def forged_subject_token(section: dict[str, Any], sub: str, alg: str, **overrides: Any) -> str:
    """A well-formed subject token for ``sub`` signed by an untrusted ``alg`` key, with the trusted
    ``kid`` if the profile names one (a vendor that picks the key by kid must still verify)."""
    idp = section.get("platform_identity", {})
    claims = subject_claims(section, sub, **overrides)
    return jwt.encode(claims, _forger_key(alg), algorithm=alg, headers=_jws_headers(idp))


def jwe_key(idp: dict[str, Any], profile_dir: Path = PROFILE_DIR) -> RSAKey | ECKey:
    """The vendor's public encryption key: a PEM or JWKS file, or an inline JWKS; else Blocked."""
    if idp.get("jwe_encryption_jwks"):
        jwks = idp["jwe_encryption_jwks"]
        try:
            jwks = json.loads(jwks) if isinstance(jwks, str) else jwks
        except ValueError:
            raise Blocked("platform_identity.jwe_encryption_jwks is not JSON") from None
        return _from_jwks(jwks, idp)
    if not idp.get("jwe_encryption_key_file"):
        raise Blocked("the profile has no platform_identity.jwe_encryption_key_file or jwe_encryption_jwks")
    raw = read_key(idp["jwe_encryption_key_file"], profile_dir)
    if raw.lstrip().startswith(b"{"):
        try:
            return _from_jwks(json.loads(raw), idp)
        except ValueError:
            raise Blocked(f"{idp['jwe_encryption_key_file']} is not a JWKS") from None
    try:
        return RSAKey.import_key(raw)
    except (ValueError, JoseError):
        return ECKey.import_key(raw)


def _from_jwks(jwks: Any, idp: dict[str, Any]) -> RSAKey | ECKey:
    """The JWKS key named by ``jwe_kid``, else the first RSA or EC key meant for encryption."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    keys = [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []
    kid = idp.get("jwe_kid")
    for k in keys:
        if kid and k.get("kid") != kid:
            continue
        if k.get("kty") in ("RSA", "EC") and k.get("use", "enc") == "enc":
            try:
                return (RSAKey if k["kty"] == "RSA" else ECKey).import_key(k)
            except (ValueError, TypeError, KeyError, JoseError):
                raise Blocked(f"the JWKS key {k.get('kid') or k['kty']} cannot be read") from None
    raise Blocked(f"the JWKS has no {'key ' + kid if kid else 'RSA or EC encryption key'}")


def jwe_subject_token(
    section: dict[str, Any], sub: str, *, profile_dir: Path = PROFILE_DIR, **overrides: Any
) -> str:
    """An ``Adobe-Subject-Token`` encrypted to the vendor's JWE key; the plaintext is the claim set."""
    idp = section.get("platform_identity", {})
    key = jwe_key(idp, profile_dir)
    alg, enc = idp.get("jwe_alg", "RSA-OAEP-256"), idp.get("jwe_enc", "A256GCM")
    registry = jwe.JWERegistry(algorithms=[alg, enc])
    plaintext = json.dumps(subject_claims(section, sub, **overrides)).encode()
    header = {"alg": alg, "enc": enc, "typ": "JWT"}
    if key.kid:
        header["kid"] = key.kid
    return jwe.encrypt_compact(header, plaintext, key, registry=registry)


def unsigned_token(claims: dict[str, Any]) -> str:
    """A compact JWS with ``alg: none`` and an empty signature: what no verifier may accept."""
    return f"{b64url_encode(json.dumps({'alg': 'none', 'typ': 'JWT'}))}.{b64url_encode(json.dumps(claims))}."
