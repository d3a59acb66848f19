"""Platform identity: the ``Adobe-Subject-Token`` (or ``X-Roku-Reserved-Roku-Connect-Token``).

The header carries a JWS (signed) or a JWE (encrypted; its plaintext is the claim set or a nested
JWS) issued by the platform's identity service. The claim set and trust model are undocumented
(spec §2.5, §9); this server's choice:

- JWS: ``alg`` in ``identity_jws_algorithms``, signature by one of ``identity_jws_keys``;
- JWE: ``alg``/``enc`` in ``identity_jwe_algorithms``/``identity_jwe_encryptions``, decrypted with
  one of ``identity_jwe_keys``; a nested JWS (``cty: JWT``) is then verified as above;
- claims: ``iss`` = ``identity_issuer``, ``aud`` contains ``identity_audience``, ``exp`` in the
  future, ``nbf`` (if any) in the past, ``sub`` (``identity_claim``) a non-empty string.

A token failing any check is ignored: the request is served as if no SSO header were present.
"""

from __future__ import annotations

import hashlib
import json
import time
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from joserfc import jwe
from joserfc.jwk import ECKey, RSAKey
from starlette.requests import Request

from reference_server.platform_sso.errors import PassError
from reference_server.platform_sso.settings import Deviations, Settings

HEADER = "adobe-subject-token"
ROKU_HEADER = "x-roku-reserved-roku-connect-token"


@lru_cache(maxsize=32)
def _public_key(pem: str) -> Any:
    return serialization.load_pem_public_key(pem.encode())


@lru_cache(maxsize=32)
def _jwe_key(pem: str) -> RSAKey | ECKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return ECKey.import_key(key) if hasattr(key, "curve") else RSAKey.import_key(key)


def _verify_jws(token: str, s: Settings, d: Deviations) -> dict | None:
    options = {
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
        "verify_iss": False,
        "verify_sub": False,
        "verify_jti": False,
    }
    alg = jwt.get_unverified_header(token).get("alg")
    # Faults: an unsigned token taken at its word; a signature by any key taken as genuine.
    unsigned = alg == "none" and d.accept_unsigned_subject_token
    unchecked = alg in s.identity_jws_algorithms and d.skip_subject_token_signature_check
    if unsigned or unchecked:
        return jwt.decode(token, options={"verify_signature": False, **options})
    if alg not in s.identity_jws_algorithms:
        return None
    for pem in s.identity_jws_keys:
        try:
            return jwt.decode(token, _public_key(pem), algorithms=[alg], options=options)
        except jwt.PyJWTError:
            continue
    return None


@lru_cache(maxsize=4096)
def _claims(token: str, s: Settings, d: Deviations) -> str | None:
    """The token's claim set as JSON when it is authentic (time checks are made by the caller)."""
    try:
        parts = token.count(".")
        if parts == 2 and s.accept_jws_subject_token:
            claims = _verify_jws(token, s, d)
        elif parts == 4 and s.accept_jwe_subject_token:
            registry = jwe.JWERegistry(algorithms=[*s.identity_jwe_algorithms, *s.identity_jwe_encryptions])
            claims = None
            for pem in s.identity_jwe_keys:
                try:
                    plaintext = jwe.decrypt_compact(token, _jwe_key(pem), registry=registry).plaintext
                except Exception:  # any decryption failure means "not for us"
                    continue
                text = (plaintext or b"").decode("utf-8").strip()
                if text.count(".") == 2 and not text.startswith("{"):
                    claims = _verify_jws(text, s, d)
                else:
                    claims = json.loads(text)
                break
        else:
            return None
    except Exception:  # a garbage token is never an error (spec §2.5)
        return None
    return json.dumps(claims) if isinstance(claims, dict) else None


def _timely(claims: dict[str, Any], s: Settings, d: Deviations) -> bool:
    if d.skip_subject_token_expiry_check:
        return True
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp + s.identity_leeway_s <= now:
        return False
    return not (isinstance(nbf, (int, float)) and nbf - s.identity_leeway_s > now)


def _trusted(claims: dict[str, Any], s: Settings, d: Deviations) -> bool:
    if s.identity_issuer and claims.get("iss") != s.identity_issuer and not d.skip_subject_token_issuer_check:
        return False
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if (
        s.identity_audience
        and s.identity_audience not in audiences
        and not d.skip_subject_token_audience_check
    ):
        return False
    subject = claims.get(s.identity_claim)
    return isinstance(subject, str) and bool(subject.strip())


def verify(token: str, s: Settings, d: Deviations) -> dict[str, Any] | None:
    """The claims of a valid subject token, else None."""
    raw = _claims(token.strip(), s, d)
    if raw is None:
        return None
    claims = json.loads(raw)
    return claims if _timely(claims, s, d) and _trusted(claims, s, d) else None


def identity_key(claims: dict[str, Any], s: Settings, d: Deviations) -> str:
    """The platform identity SSO profiles are shared under: issuer and platform user."""
    # The configured issuer when there is one: every token accepted names it (unless a fault lets
    # others through, and then they must reach the same profiles to show it).
    issuer = s.identity_issuer or claims.get("iss")
    who = issuer if d.sso_keyed_by_issuer_only else f"{issuer}\x00{claims.get(s.identity_claim)}"
    return hashlib.sha256(str(who).encode()).hexdigest()[:32]


def identity_of(request: Request, s: Settings, d: Deviations) -> str | None:
    """The request's platform identity key, or None (missing, invalid or expired token)."""
    names = (HEADER, ROKU_HEADER) if s.accept_roku_connect_token else (HEADER,)
    for name in names:
        token = request.headers.get(name)
        if not token or not token.strip():
            continue
        claims = verify(token, s, d)
        if claims is not None:
            return identity_key(claims, s, d)
        if d.reject_garbage_subject_token and token.count(".") not in (2, 4):
            raise PassError("invalid_header_subject_token", f"{name} is not a JWS or JWE")
    return None
