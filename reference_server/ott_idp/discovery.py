"""OpenID Connect discovery and the JWK Set, so a client can find the endpoints and verify id_tokens."""

from __future__ import annotations

from reference_server.endpoint import Call
from reference_server.keys import jwks
from reference_server.ott_idp.token import SCOPES
from reference_server.reply import Reply

PATH = "/.well-known/openid-configuration"  # fixed relative to the issuer (OIDC Discovery §4)


async def configuration(call: Call) -> Reply:
    settings, base = call.settings, call.state.public_url
    refresh = ["refresh_token"] if settings.issue_refresh_token else []
    doc = {
        "issuer": base,
        "token_endpoint": base + settings.token_path,
        "jwks_uri": base + settings.jwks_path,
        "response_types_supported": ["none"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "grant_types_supported": ["password", *refresh],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": sorted(SCOPES),
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "email", "email_verified", "name"],
        "signup_endpoint": base + settings.signup_path,
    }
    return Reply(200, doc)


async def key_set(call: Call) -> Reply:
    return Reply(200, jwks(call.state.key))
