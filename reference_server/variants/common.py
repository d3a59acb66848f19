"""Reply transforms that several contracts' variants share (the faults' transforms cover the rest).

Each is ``fn(reply, state) -> None`` like a fault's transform, and each stays within what the
specs allow: the point is a different wire answer that is still right.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from reference_server.reply import Reply
from reference_server.variants import LATE, Variants

JSON_CHARSET = "application/json; charset=utf-8"
EXTENDED_NO_STORE = "no-cache, no-store, max-age=0, must-revalidate"


def _is_json(reply: Reply) -> bool:
    return isinstance(reply.body, (dict, list))


def json_charset(reply: Reply, state: Any) -> None:
    """``Content-Type: application/json; charset=utf-8`` (RFC 6749 §5.1's own example carries it)."""
    if _is_json(reply):
        reply.media_type = JSON_CHARSET


def _reordered(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _reordered(node[k]) for k in reversed(list(node))}
    if isinstance(node, list):
        return [_reordered(v) for v in node]
    return node


def json_layout(reply: Reply, state: Any) -> None:
    """Members in reverse order, indented, with a trailing newline (RFC 8259 §2, §4: both insignificant).

    Runs last (``order=LATE``): it serialises the body, so later transforms would see bytes."""
    if _is_json(reply):
        text = json.dumps(_reordered(reply.body), indent=2, ensure_ascii=False) + "\n"
        reply.media_type = reply.media_type or "application/json"
        reply.body = text.encode()


def extra_members(reply: Reply, state: Any) -> None:
    """Unknown top-level members in a JSON object body: a client must ignore what it does not know."""
    if isinstance(reply.body, dict):
        reply.body["vendor_extension"] = {"build": "2026.12-variant", "features": ["a", "b"]}
        reply.body["trace_id"] = str(uuid.uuid4())  # differs per answer, as a vendor's would


def no_body(reply: Reply, state: Any) -> None:
    reply.body = None


def extended_no_store(reply: Reply, state: Any) -> None:
    """More cache directives beside ``no-store`` (RFC 9111 §5.2: directives combine), plus ``Expires: 0``."""
    for name in list(reply.headers):
        if name.lower() == "cache-control" and "no-store" in reply.headers[name]:
            reply.headers[name] = EXTENDED_NO_STORE
            reply.headers["Expires"] = "0"


def error_uri(base: str):
    """An OAuth error body gains ``error_uri`` (RFC 6749 §5.2: OPTIONAL)."""

    def transform(reply: Reply, state: Any) -> None:
        if reply.status >= 400 and isinstance(reply.body, dict) and "error" in reply.body:
            reply.body["error_uri"] = f"{base}#{reply.body['error']}"

    return transform


def token_type(value: str):
    """``token_type`` spelt another way (RFC 6749 §7.1: the type name is case-insensitive)."""

    def transform(reply: Reply, state: Any) -> None:
        if isinstance(reply.body, dict) and isinstance(reply.body.get("token_type"), str):
            reply.body["token_type"] = value

    return transform


# --- a second signing key and re-signing ----------------------------------------------------------


def ec_key(state: Any) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """This server's P-256 key (kid, private key), made on first use."""
    scratch = state.variants.scratch
    if "ec_key" not in scratch:
        scratch["ec_key"] = ("ec-" + secrets.token_urlsafe(6), ec.generate_private_key(ec.SECP256R1()))
    return scratch["ec_key"]


def ec_public_jwk(state: Any) -> dict[str, Any]:
    kid, key = ec_key(state)
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=kid, alg="ES256", use="sig")
    return jwk


def hmac_secret(state: Any) -> bytes:
    """The ott_idp client's secret, the HS256 key of its id_tokens (OIDC Core §10.1)."""
    return state.section("ott_idp")["client_secret"].encode()


def resign(
    token: str,
    state: Any,
    claims: Any = None,
    header: Any = None,
) -> str:
    """The JWT re-signed after ``claims(payload)`` / ``header(header)`` edited it in place.

    The key follows the header's ``alg``: HS256 with the client secret, ES256 with this server's EC
    key, else the server's RSA key; a header without ``kid`` stays without one."""
    head = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})
    if claims is not None:
        claims(payload)
    if header is not None:
        header(head)
    alg = head.pop("alg", "RS256")
    if alg == "HS256":  # OIDC Core §10.1: the client secret's UTF-8 octets; no key to name
        head.pop("kid", None)
        key: Any = hmac_secret(state)
    elif alg == "ES256":
        kid, key = ec_key(state)
    else:
        kid, key = state.key.kid, state.key.private
    if "kid" in head:
        head["kid"] = kid
    # PyJWT adds typ/alg itself; sort_headers=False keeps the remaining order.
    return jwt.encode(payload, key, algorithm=alg, headers=head or None)


def add_json_wire(variants: Variants, charset_source: str) -> None:
    """The two JSON wire variants every contract has: a charset parameter (``charset_source`` names
    the contract's own authority for it) and another layout of the same members."""
    variants.add(
        "json_charset",
        charset_source,
        "every JSON response is typed application/json; charset=utf-8",
        every=json_charset,
    )
    variants.add(
        "json_layout",
        "RFC 8259 §2 (insignificant whitespace), §4 (member order is not significant)",
        "every JSON response is indented, with its members in reverse order",
        every=json_layout,
        order=LATE,
    )
