"""Reading and writing JOSE compact serialisations, for every contract's suite and the project's tests.

Reading never verifies and never raises on garbage in a way a check has to guess at: ``decode``
raises ``ValueError`` with a sentence a vendor can act on, ``claims_of`` answers None.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any


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
