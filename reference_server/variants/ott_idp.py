"""Conforming variants of the `ott_idp` reference server (specs/device-and-ropc.md §2, §5.B-C)."""

from __future__ import annotations

from typing import Any

from reference_server.faults.transforms import (
    both,
    drop_headers,
    drop_members,
    edit_body,
    on_error,
    on_success,
    set_status,
    when_status,
)
from reference_server.ott_idp import ENDPOINTS as OTT
from reference_server.reply import Reply
from reference_server.variants import Variants
from reference_server.variants.common import (
    add_json_wire,
    ec_public_jwk,
    error_uri,
    extended_no_store,
    extra_members,
    no_body,
    resign,
    token_type,
)

V = Variants("ott_idp")


def _id_token(edit):
    """Apply ``edit(token, state) -> token`` to the id_token of a successful token response."""

    def transform(reply: Reply, state: Any) -> None:
        body = reply.body
        if reply.status == 200 and isinstance(body, dict) and isinstance(body.get("id_token"), str):
            body["id_token"] = edit(body["id_token"], state)

    return transform


def _aud_array(token: str, state: Any) -> str:
    def claims(payload: dict[str, Any]) -> None:
        payload["azp"] = payload["aud"]
        payload["aud"] = [payload["aud"]]

    return resign(token, state, claims=claims)


def _es256(token: str, state: Any) -> str:
    def header(head: dict[str, Any]) -> None:
        head["alg"] = "ES256"

    return resign(token, state, header=header)


def _hs256(token: str, state: Any) -> str:
    def header(head: dict[str, Any]) -> None:
        head["alg"] = "HS256"

    return resign(token, state, header=header)


def _algs_hs256_first(body: dict[str, Any]) -> None:
    body["id_token_signing_alg_values_supported"] = ["HS256", "RS256"]


def _no_kid(token: str, state: Any) -> str:
    return resign(token, state, header=lambda head: head.pop("kid", None))


def _publish_ec_key(reply: Reply, state: Any) -> None:
    if isinstance(reply.body, dict) and isinstance(reply.body.get("keys"), list):
        reply.body["keys"].insert(0, ec_public_jwk(state))


def _algs_es256_first(body: dict[str, Any]) -> None:
    body["id_token_signing_alg_values_supported"] = ["ES256", "RS256"]


# Keys of other types and uses that no id_token is signed with (RFC 7517 §5: a set may hold any).
UNRELATED_KEYS = [
    {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "use": "sig",
        "alg": "EdDSA",
        "kid": "unrelated-ed25519",
    },
    {
        "kty": "EC",
        "crv": "P-256",
        "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
        "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",
        "use": "enc",
        "kid": "unrelated-ec-enc",
    },
]


def _unrelated_keys(reply: Reply, state: Any) -> None:
    if isinstance(reply.body, dict) and isinstance(reply.body.get("keys"), list):
        reply.body["keys"].extend(dict(k) for k in UNRELATED_KEYS)


def _drop_key_ids(reply: Reply, state: Any) -> None:
    if isinstance(reply.body, dict) and isinstance(reply.body.get("keys"), list):
        for key in reply.body["keys"]:
            key.pop("kid", None)


def _scope_from_grant(reply: Reply, state: Any) -> None:
    """Echo the granted scope, read from the grant the refresh token was stored with."""
    body = reply.body
    if reply.status != 200 or not isinstance(body, dict) or "refresh_token" not in body:
        return
    grant = state.store.get(f"ott:rt:{body['refresh_token']}")
    if grant is not None:
        body["scope"] = " ".join(grant["scopes"])


def _client_auth_missing(fn):
    """Only the invalid_client answered to a request that sent no Authorization header at all."""

    def transform(reply: Reply, state: Any) -> None:
        body = reply.body
        if (
            isinstance(body, dict)
            and body.get("error") == "invalid_client"
            and body.get("error_description") == "client authentication required"
        ):
            fn(reply, state)

    return transform


V.add(
    "aud_array",
    "RFC 7519 §4.1.3, OIDC Core §2: aud may be an array; azp names the authorized party",
    "id_token aud is [client_id] and azp is the client_id",
    reply={OTT.token: _id_token(_aud_array)},
)
V.add(
    "es256_id_token",
    "RFC 7518 §3.1: ES256 is Recommended+; OIDC Core §3.1.3.7: the alg is the key's",
    "id_tokens signed ES256 with a second (P-256) key; the JWKS publishes it beside the RSA key",
    reply={
        OTT.token: _id_token(_es256),
        OTT.jwks: _publish_ec_key,
        OTT.discovery: edit_body(_algs_es256_first),
    },
    excludes=["no_kid"],
)
V.add(
    "hs256_id_token",
    "device-and-ropc §2 (UNKNOWN): the OTT may verify HS256 with the client secret (OIDC Core §10.1, §16.19)",
    "id_tokens signed HS256 with the client secret (features.id_token_verification = 'hs256')",
    reply={OTT.token: _id_token(_hs256), OTT.discovery: edit_body(_algs_hs256_first)},
    profile={"ott_idp": {"features": {"id_token_verification": "hs256"}}},
    excludes=["es256_id_token"],
    order=5,  # after aud_array and no_kid, which re-sign with the key their header names
)
V.add(
    "jwks_unrelated_keys",
    "RFC 7517 §5: a JWK Set may hold keys of any type and use; RFC 7517 §4.2 use=enc",
    "the JWKS also lists an Ed25519 signing key and an EC encryption key nothing is signed with",
    reply={OTT.jwks: _unrelated_keys},
    excludes=["no_kid"],
)
V.add(
    "no_kid",
    "RFC 7515 §4.1.4: kid is OPTIONAL; OIDC Core §10.1: needed only when the JWKS holds several keys",
    "a single-key JWKS without kid, and id_tokens without a kid header",
    reply={OTT.token: _id_token(_no_kid), OTT.jwks: _drop_key_ids},
)
V.add(
    "extra_members",
    "RFC 6749 §5.1: the client MUST ignore unrecognized value names; RFC 7517 §4-5, OIDC Discovery §3",
    "every JSON response (tokens, errors, sign-up, discovery, JWKS) carries unknown members",
    every=extra_members,
)
add_json_wire(V, "RFC 6749 §5.1 example: Content-Type: application/json;charset=UTF-8")
V.add(
    "error_uri",
    "RFC 6749 §5.2: error_uri is OPTIONAL",
    "every OAuth error carries an error_uri",
    every=error_uri("https://idp.example.test/docs/oauth-errors"),
)
V.add(
    "no_error_description",
    "RFC 6749 §5.2: error_description is OPTIONAL",
    "token endpoint errors carry only error (sign-up keeps describing its password rules)",
    reply={OTT.token: on_error(drop_members("error_description"))},
    order=10,  # after invalid_client_400, which reads the description
)
V.add(
    "extended_no_store",
    "RFC 6749 §5.1: Cache-Control: no-store is required, other directives may join it (RFC 9111 §5.2)",
    "Cache-Control: no-cache, no-store, max-age=0, must-revalidate and Expires: 0 on token replies",
    every=extended_no_store,
)
V.add(
    "scope_echo",
    "RFC 6749 §5.1: scope is OPTIONAL when identical to the requested scope",
    "token responses echo the granted scope",
    reply={OTT.token: _scope_from_grant},
    excludes=["no_refresh_token"],  # it reads the scope from the refresh token's grant
)
V.add(
    "token_type_lowercase",
    "RFC 6749 §5.1, §7.1: token_type is case-insensitive",
    'token_type is "bearer"',
    reply={OTT.token: on_success(token_type("bearer"))},
)
V.add(
    "no_expires_in",
    "RFC 6749 §5.1: expires_in is RECOMMENDED, not required",
    "token responses omit expires_in",
    reply={OTT.token: on_success(drop_members("expires_in"))},
)
V.add(
    "signup_204",
    "device-and-ropc §2 sign-up: any 2XX means the account exists (the body may be ignored)",
    "a successful sign-up answers 204 No Content",
    reply={OTT.signup: when_status(201, both(set_status(204), no_body))},
)
V.add(
    "signup_duplicate_400",
    "device-and-ropc §2 sign-up: 409 for an existing email is PROPOSED; some vendors use 400",
    "a sign-up with an email that already has an account answers 400 invalid_request",
    reply={OTT.signup: when_status(409, set_status(400))},
)
V.add(
    "invalid_client_400",
    "RFC 6749 §5.2: invalid_client MAY use 401; it MUST only when the client used the Authorization header",
    "a request with no client authentication at all gets 400 invalid_client without WWW-Authenticate",
    reply={
        OTT.token: _client_auth_missing(both(set_status(400), drop_headers("WWW-Authenticate"))),
        OTT.signup: _client_auth_missing(both(set_status(400), drop_headers("WWW-Authenticate"))),
    },
)
V.add(
    "custom_paths",
    "device-and-ropc §2: the platform is configured with the vendor's URLs; OIDC Discovery §3 jwks_uri",
    "token at /connect/token, sign-up at /connect/register, JWKS at /.well-known/jwks.json",
    profile={"ott_idp": {"token_url": "/connect/token", "signup_url": "/connect/register"}},
    configure={"jwks_path": "/.well-known/jwks.json"},
)
V.add(
    "no_refresh_token",
    "RFC 6749 §4.3.3, §5.1: refresh_token is OPTIONAL",
    "no refresh tokens are issued (the profile says so: features.refresh_token = false)",
    profile={"ott_idp": {"features": {"refresh_token": False}}},
)
