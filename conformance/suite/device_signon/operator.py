"""How the suite gets the operator-portal token it approves registrations with (D4).

The DSRA docs leave the operator's identity provider to the deployment, so the profile says how
(``[device_signon]``; secrets are ``${ENV}`` references like everywhere else):

    operator_token = "${DSO_OPERATOR_TOKEN}"      # a token the vendor issued for the run: sent as is
    # or a token request (RFC 6749) at operator_token_url:
    operator_grant = "client_credentials"          # default; or "password" (a portal user)
    operator_client_id = "portal"
    operator_client_secret = "${DSO_OPERATOR_SECRET}"   # optional for a public client
    operator_client_auth = "basic"                 # default (RFC 6749 §2.3.1); "post" = in the form
    operator_username = "..."                      # grant "password" only
    operator_password = "${DSO_OPERATOR_PASSWORD}"
    operator_scope = "..."                         # optional

A token request that fails is the profile's or the operator IdP's trouble, not a DSRA requirement:
the tests that need the token stop with the reason (an ERROR naming the profile keys to check).
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote_plus

from conformance.bodies import body_of
from conformance.bodies import form as encode_form
from conformance.checks import Blocked

DEFAULT_LIFETIME_S = 60.0


def static_token(section: dict[str, Any]) -> str | None:
    """The token the profile gives as is, if it gives one."""
    token = section.get("operator_token")
    return token if isinstance(token, str) and token else None


def token_request(section: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The form and headers of the token request the profile describes (Blocked when it cannot)."""
    grant = section.get("operator_grant", "client_credentials")
    cid, secret = section.get("operator_client_id"), section.get("operator_client_secret")
    if not cid:
        raise Blocked("the profile has neither operator_token nor operator_client_id")
    pairs = [("grant_type", grant)]
    if grant == "password":
        user, password = section.get("operator_username"), section.get("operator_password")
        if not user or not password:
            raise Blocked("operator_grant = 'password' needs operator_username and operator_password")
        pairs += [("username", user), ("password", password)]
    elif not secret:
        raise Blocked("operator_grant = 'client_credentials' needs operator_client_secret")
    if section.get("operator_scope"):
        pairs.append(("scope", section["operator_scope"]))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if section.get("operator_client_auth", "basic") == "post" or not secret:
        pairs.append(("client_id", cid))
        if secret:
            pairs.append(("client_secret", secret))
    else:
        basic = base64.b64encode(f"{quote_plus(cid)}:{quote_plus(secret)}".encode()).decode()
        headers["Authorization"] = f"Basic {basic}"
    return encode_form(pairs), headers


def issued_token(resp: Any) -> tuple[str, float]:
    """(access_token, seconds it may be reused) from the token answer; Blocked on anything else."""
    body = body_of(resp)
    token = body.get("access_token")
    if resp.status_code != 200 or not isinstance(token, str) or not token:
        error = body.get("error")
        why = f" {error}" if isinstance(error, str) else ""
        raise Blocked(
            f"no operator token (HTTP {resp.status_code}{why}): check operator_token_url, operator_grant, "
            "operator_client_auth and the operator credentials in the profile"
        )
    life = body.get("expires_in")
    ok = isinstance(life, int | float) and not isinstance(life, bool) and life > 0
    return token, max(1.0, float(life) / 2) if ok else DEFAULT_LIFETIME_S
