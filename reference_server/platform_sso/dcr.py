"""Dynamic Client Registration (spec §3): ``/o/client/register`` and ``/o/client/token``.

Registration takes a software statement: a JWS from the TVE Dashboard naming a registered
application. Its claims are undocumented (spec §9); this server reads

- ``software_id`` (required) - the registered application; ``jti`` optional;
- ``service_providers`` - the serviceProviders (channels) the application is linked to;
- ``domains`` - where its redirect URIs may point; ``scopes`` - must include ``api:client:v2`` if given;
- ``iss`` - must equal ``software_statement_issuer`` when one is configured; ``exp`` if present.

The token endpoint implements the client credentials grant. Errors here are OAuth style
``{"error": ...}`` (RFC 6749 §5.2 / RFC 7591 §3.2.2), not Enhanced Error Codes.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization

from reference_server import jsonbody
from reference_server.abuse import Guard
from reference_server.oauth import NO_STORE, OAuthError, secrets_equal
from reference_server.platform_sso import headers, pages
from reference_server.platform_sso.context import Call, token_key
from reference_server.platform_sso.errors import PassError
from reference_server.reply import Reply

GRANT = "client_credentials"


@lru_cache(maxsize=16)
def _public_key(pem: str) -> Any:
    return serialization.load_pem_public_key(pem.encode())


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise OAuthError("invalid_request", f"parameter sent more than once: {key}")
        seen[key] = value
    return seen


def _statement_claims(call: Call, statement: str) -> dict[str, Any]:
    s, d = call.settings, call.deviations
    invalid = OAuthError("invalid_software_statement", "the software statement is not a valid signed JWT")
    options = {"verify_aud": False, "verify_iat": False, "verify_sub": False, "verify_jti": False}
    try:
        if d.skip_statement_signature_check:
            claims = jwt.decode(statement, options={"verify_signature": False, **options})
        else:
            alg = jwt.get_unverified_header(statement).get("alg")
            if alg not in s.software_statement_algorithms:
                raise invalid
            claims = None
            for pem in s.software_statement_keys:
                try:
                    claims = jwt.decode(statement, _public_key(pem), algorithms=[alg], options=options)
                    break
                except (jwt.InvalidSignatureError, jwt.InvalidKeyError):
                    continue
            if claims is None:
                raise invalid
    except jwt.PyJWTError:
        raise invalid from None
    if s.software_statement_issuer and claims.get("iss") != s.software_statement_issuer:
        raise invalid
    if not isinstance(claims.get("software_id"), str) or not claims["software_id"]:
        raise OAuthError("invalid_software_statement", "the software statement has no software_id")
    if not d.skip_revocation_check and claims["software_id"] in s.revoked_software_ids:
        raise OAuthError("unapproved_software_statement", "the software statement was revoked")
    scopes = claims.get("scopes")
    if isinstance(scopes, str):
        scopes = scopes.split()
    if scopes is not None and s.required_scope not in scopes:
        raise OAuthError(
            "unapproved_software_statement", f"the application lacks the {s.required_scope} scope"
        )
    return claims


def _domain_allows(host: str, domains: list[str]) -> bool:
    """``host`` is a registered domain or under one; reverse-DNS app hosts (com.example.app) count too."""
    host = host.lower().rstrip(".")
    reverse = ".".join(reversed(host.split(".")))
    for domain in (d.lower().strip(".") for d in domains if isinstance(d, str) and d):
        for candidate in (host, reverse):
            if candidate == domain or candidate.endswith("." + domain):
                return True
    return False


async def register(call: Call) -> Reply:
    s, d = call.settings, call.deviations
    content_type = call.request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise OAuthError("invalid_request", "the body must be application/json")
    try:
        _device_info(call)
        body = jsonbody.loads(
            await call.request.body(), call.state.limits.max_json_depth, object_pairs_hook=_no_duplicates
        )
    except ValueError:  # TooDeep included
        raise OAuthError("invalid_request", "the body is not a JSON object") from None
    if not isinstance(body, dict):
        raise OAuthError("invalid_request", "the body is not a JSON object")
    statement = body.get("software_statement")
    if not statement:
        if not d.accept_missing_software_statement:
            raise OAuthError("invalid_request", "software_statement is required")
        claims: dict[str, Any] = {
            "software_id": "unregistered",
            "service_providers": list(s.service_providers),
        }
    elif not isinstance(statement, str):
        raise OAuthError("invalid_software_statement", "software_statement must be a JWT string")
    else:
        claims = _statement_claims(call, statement)
    redirect_uri = body.get("redirect_uri")
    if redirect_uri is not None:
        parts = urlsplit(redirect_uri) if isinstance(redirect_uri, str) else None
        if parts is None or not parts.scheme or not parts.hostname or any(c.isspace() for c in redirect_uri):
            raise OAuthError("invalid_redirect_uri", "redirect_uri is not an absolute URI")
        if not d.skip_redirect_uri_domain_check and not _domain_allows(
            parts.hostname, list(claims.get("domains") or [])
        ):
            raise OAuthError("invalid_redirect_uri", "redirect_uri is outside the application's domains")
    client_id, client_secret = secrets.token_hex(10), secrets.token_urlsafe(24)
    issued_at = int(time.time())
    sps = claims.get("service_providers") or []
    call.store.put(
        f"psso:client:{client_id}",
        {
            "client_id": client_id,
            "secret_sha256": hashlib.sha256(client_secret.encode()).hexdigest(),
            "software_id": claims["software_id"],
            "service_providers": [sp for sp in sps if isinstance(sp, str)] if isinstance(sps, list) else [],
            "redirect_uris": [redirect_uri] if redirect_uri else [],
            "issued_at": issued_at,
        },
    )
    answer = {
        "client_id": client_id,
        "client_secret": client_secret,
        "client_id_issued_at": issued_at,
        "redirect_uris": [redirect_uri] if redirect_uri else [],
        "grant_types": [GRANT],
        "scopes": [s.required_scope],
    }
    return Reply(201, answer, dict(NO_STORE))


def _device_info(call: Call) -> None:
    try:
        if not call.deviations.ignore_malformed_device_info:
            headers.device_info(call.request.headers.get("x-device-info"))
    except PassError:
        raise OAuthError("invalid_request", "X-Device-Info must be Base64 of a JSON object") from None


async def token(call: Call) -> Reply:
    s, d = call.settings, call.deviations
    _device_info(call)
    content_type = call.request.headers.get("content-type", "").split(";")[0].strip().lower()
    pairs: list[tuple[str, str]] = []
    if content_type == "application/x-www-form-urlencoded":
        pairs.extend((k, str(v)) for k, v in (await call.request.form()).multi_items())
    if s.dcr_token_query_params:  # [OD] models the parameters as query parameters (§8 #9)
        pairs.extend(call.request.query_params.multi_items())
    params = dict(pairs) if d.accept_duplicate_params else _no_duplicates(pairs)
    client_id, client_secret = params.get("client_id"), params.get("client_secret")
    grant_type = params.get("grant_type") or (GRANT if d.default_missing_grant_type else None)
    if not client_id or not client_secret or not grant_type:
        raise OAuthError("invalid_request", "client_id, client_secret and grant_type are required")
    # Brute force on a client secret meets the spec's throttling answer (§1.6: 429, HTML).
    guard = Guard.of(call.state, call.request, "platform_sso:client")
    wait = guard.retry_after(client_id)
    if wait is not None:
        refused = pages.throttled()
        refused.headers["Retry-After"] = str(wait)
        return refused
    client = call.store.get(f"psso:client:{client_id}")
    expected = client["secret_sha256"] if client else secrets.token_hex(32)
    given = hashlib.sha256(client_secret.encode()).hexdigest()
    if client is None or (not secrets_equal(given, expected) and not d.skip_client_secret_check):
        guard.failed(client_id)
        raise OAuthError("invalid_client", "unknown client or wrong client_secret")
    if grant_type != GRANT and not d.accept_any_grant_type:
        raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
    now = time.time()
    token_id = str(uuid.uuid4())
    access_token = call.state.key.sign(
        {
            "sub": token_id,
            "iss": urlsplit(call.state.public_url).hostname or "localhost",
            "scopes": s.required_scope,
            "nbf": int(now),
            "iat": int(now),
            "exp": int(now) + s.access_token_ttl_s,
        },
        {"typ": "at+jwt"},
    )
    call.store.put(token_key(access_token), {"client_id": client_id, "id": token_id}, s.access_token_ttl_s)
    answer = {
        "id": token_id,
        "access_token": access_token,
        "created_at": int(now * 1000),
        "expires_in": s.access_token_ttl_s,
        "token_type": "bearer",
    }
    return Reply(201, answer, dict(NO_STORE))
