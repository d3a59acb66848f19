"""Reading and writing JOSE compact serialisations, for every contract's suite and the project's tests.

Reading never verifies and never raises on garbage in a way a check has to guess at: ``decode``
raises ``ValueError`` with a sentence a vendor can act on, ``claims_of`` answers None. ``verify``
checks a signature with the keys that fit the token's alg and answers why not, never raising.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

import jwt


def b64url_encode(data: bytes | str) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(segment: str) -> bytes:
    """Base64url, padding optional; ``ValueError`` on anything else."""
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not base64url: {exc}") from None


@dataclass
class Decoded:
    header: dict[str, Any]
    claims: dict[str, Any]
    duplicates: list[str] = field(default_factory=list)  # claim names that appear twice


def decode(token: str) -> Decoded:
    """Parse a compact JWS without verifying it; raises ValueError when it is not one."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise ValueError(f"{len(parts)} segments, expected 3")
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for k, v in items:
            if k in seen:
                duplicates.append(k)
            seen[k] = v
        return seen

    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]), object_pairs_hook=pairs)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"a segment is not JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("header or claims set is not a JSON object")
    return Decoded(header, claims, duplicates)


def claims_of(token: Any) -> dict[str, Any] | None:
    """The unverified claims of a compact JWS, or None when ``token`` is not one."""
    try:
        return decode(token).claims
    except ValueError:
        return None


# Members of a private JWK (RFC 7518 §6.2.2, §6.3.2, §6.4.1): never published, never used to verify.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})


def public_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    """The public members of a JWK, the only ones a signature is verified with."""
    return {k: v for k, v in jwk.items() if k not in PRIVATE_JWK_MEMBERS}


def b64url_decode_strict(segment: str) -> bytes:
    """Unpadded base64url only, as every segment of a compact JWS must be (RFC 7515 §2)."""
    if "=" in segment or not all(c.isalnum() or c in "-_" for c in segment):
        raise ValueError("segment is not unpadded base64url")
    return b64url_decode(segment)


def decode_strict(token: str) -> Decoded:
    """``decode``, refusing a header or claims segment that is padded or holds other characters.

    ``decode`` reads what it can; a checked id_token must also be encoded as RFC 7515 says.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) == 3:
        for part in parts[:2]:
            b64url_decode_strict(part)
    return decode(token)


# The key type each JWS algorithm family verifies with (RFC 7518 §3.1), and each ECDSA curve.
_KTY_OF = {"RS": "RSA", "PS": "RSA", "ES": "EC", "HS": "oct", "Ed": "OKP"}
_CURVE_OF = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "ES256K": "secp256k1"}


def key_fits(jwk: Any, alg: Any) -> bool:
    """Whether the JWK ``jwk`` can verify a signature made with ``alg`` (kty, curve, and the key's
    own alg and use when it states them). A JWKS may hold keys for other algorithms: they are skipped."""
    if not isinstance(jwk, dict) or not isinstance(alg, str):
        return False
    if jwk.get("kty") != _KTY_OF.get(alg[:2]):
        return False
    if alg in _CURVE_OF and jwk.get("crv") != _CURVE_OF[alg]:
        return False
    return jwk.get("alg", alg) == alg and jwk.get("use", "sig") == "sig"


def candidate_keys(keys: Any, header: dict[str, Any]) -> list[dict[str, Any]]:
    """The published keys that may verify a token with ``header``: the key its kid names, else every
    key that fits its alg. An unknown kid falls back to the fitting keys, so that the signature is
    judged apart from the kid (which has a check of its own)."""
    alg, kid = header.get("alg"), header.get("kid")
    fitting = [k for k in keys if key_fits(k, alg)] if isinstance(keys, list) else []
    named = [k for k in fitting if kid is not None and k.get("kid") == kid]
    return named or fitting


def verify(token: str, candidates: list[tuple[Any, list[str]]]) -> str | None:
    """None when one of ``candidates`` (a key, or a public JWK, with the algorithms it may verify)
    verifies the compact JWS ``token``; else why not, as a short sentence. Never raises: a vendor's
    token or key that cannot be used is a signature that does not verify."""
    try:
        alg = decode(token).header.get("alg")
    except ValueError as exc:
        return f"not a compact JWS ({exc})"
    reasons = []
    for key, algs in candidates:
        if alg not in algs:
            reasons.append(f"alg {alg!r} not acceptable")
            continue
        try:
            usable = jwt.PyJWK(public_jwk(key), algorithm=alg).key if isinstance(key, dict) else key
            jwt.api_jws.decode(token, usable, algorithms=[alg])
        # Whatever PyJWT or cryptography throw at a key or token the vendor made (TypeError for a
        # key of another type, ValueError for a bad curve point...) is a failed verification.
        except Exception as exc:  # noqa: BLE001
            reasons.append(type(exc).__name__)
            continue
        return None
    return f"no key verifies it ({', '.join(dict.fromkeys(reasons)) or 'no key fits the alg'})"
