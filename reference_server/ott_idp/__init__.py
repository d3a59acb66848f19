"""`ott_idp`: the IdP endpoints an OTT platform calls for on-device (Roku) sign-in.

Spec: ../shared/specs/device-and-ropc.md §2, §5.B-C (requirements: conformance/catalogue/ott_idp.toml).
Token endpoint: OAuth 2.0 resource owner password credentials grant (RFC 6749 §4.3) with HTTP
Basic client authentication, answering with an OpenID Connect id_token (sub, email, name).
Sign-up endpoint: the same form shape; 2xx means the new customer can now sign in.
Plus discovery and JWKS so a client can verify id_tokens.

Endpoints (the fault seam): ``ENDPOINTS.token``, ``.signup``, ``.discovery``, ``.jwks``.
"""

from __future__ import annotations

from starlette.routing import Route

from reference_server.endpoint import Endpoints, endpoint
from reference_server.ott_idp import discovery, signup, token
from reference_server.ott_idp.accounts import seed
from reference_server.ott_idp.params import post_only
from reference_server.ott_idp.settings import CONTRACT, Deviations, Settings
from reference_server.state import ServerState

__all__ = ["CONTRACT", "ENDPOINTS", "Deviations", "Settings", "routes", "seed"]

ENDPOINTS = Endpoints(CONTRACT, "token", "signup", "discovery", "jwks")


def routes(state: ServerState) -> list[Route]:
    """Token and sign-up take POST (GET reaches them to be refused); discovery and JWKS take GET."""
    s: Settings = state.base_settings[CONTRACT]
    token_only_post = post_only("token", lambda d: d.accept_get)
    signup_only_post = post_only("sign-up", lambda d: d.signup_accepts_get)
    form_methods, get = ["POST", "GET"], ["GET"]
    return [
        Route(
            s.token_path,
            endpoint(ENDPOINTS.token, token.grant, before=[token_only_post]),
            methods=form_methods,
        ),
        Route(
            s.signup_path,
            endpoint(ENDPOINTS.signup, signup.register, before=[signup_only_post]),
            methods=form_methods,
        ),
        Route(discovery.PATH, endpoint(ENDPOINTS.discovery, discovery.configuration), methods=get),
        Route(s.jwks_path, endpoint(ENDPOINTS.jwks, discovery.key_set), methods=get),
    ]
