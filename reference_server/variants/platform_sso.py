"""Conforming variants of the `platform_sso` reference server (specs/adobe-pass-v2.md)."""

from __future__ import annotations

import secrets
from typing import Any

from reference_server.faults.transforms import edit_body, on_success, when_status
from reference_server.platform_sso.context import ENDPOINTS as E
from reference_server.platform_sso.context import token_key
from reference_server.platform_sso.errors import error_object
from reference_server.platform_sso.settings import CONTRACT
from reference_server.reply import Reply
from reference_server.variants import Variants
from reference_server.variants.common import add_json_wire, extra_members, no_body, token_type

V = Variants(CONTRACT)
DECISIONS = (E.decisions_authorize, E.decisions_preauthorize)


def _eec_objects(body: Any) -> list[dict[str, Any]]:
    """The EEC objects of a body: the body itself when it is one, and every decision item's error."""
    if not isinstance(body, dict):
        return []
    found = [body] if {"status", "code", "action"} <= set(body) else []
    for item in body.get("decisions") or []:
        if isinstance(item, dict) and isinstance(item.get("error"), dict):
            found.append(item["error"])
    return found


def _unless_named(fn):
    """Only the generic bad-token 401 (rule 11's service-provider 401 must name its code)."""

    def transform(reply: Reply, state: Any) -> None:
        body = reply.body
        if isinstance(body, dict) and body.get("code") == "invalid_access_token_client_application":
            fn(reply, state)

    return transform


def _eec_minimal(reply: Reply, state: Any) -> None:
    for eec in _eec_objects(reply.body):
        eec.pop("helpUrl", None)
        eec.pop("trace", None)


def _eec_details(reply: Reply, state: Any) -> None:
    for eec in _eec_objects(reply.body):
        eec.setdefault("details", f"Reference programmer note for {eec.get('code')}.")


def _missing_profile_top_level(reply: Reply, state: Any) -> None:
    """Every item denied for want of a profile: one top-level 403 error instead (rule 59)."""
    items = reply.body.get("decisions") if isinstance(reply.body, dict) else None
    if reply.status != 200 or not items:
        return
    codes = {(i.get("error") or {}).get("code") for i in items if isinstance(i, dict)}
    if codes == {"authenticated_profile_missing"}:
        reply.status = 403
        reply.body = error_object("authenticated_profile_missing", "No profile for this device and client.")


def _opaque_access_token(reply: Reply, state: Any) -> None:
    """An opaque random access token instead of the JWT, standing for the same grant."""
    body = reply.body
    if reply.status != 201 or not isinstance(body, dict) or "access_token" not in body:
        return
    grant = state.store.pop(token_key(body["access_token"]))
    if grant is None:
        return
    opaque = secrets.token_urlsafe(32)
    state.store.put(token_key(opaque), grant, state.settings(CONTRACT).access_token_ttl_s)
    body["access_token"] = opaque


def _issued_at(body: dict[str, Any]) -> None:
    for item in body.get("decisions") or []:
        token = item.get("token") if isinstance(item, dict) else None
        if isinstance(token, dict) and "notBefore" in token:
            token["issuedAt"] = token["notBefore"]


def _mvpds_top_level(body: dict[str, Any]) -> None:
    requestor = body.get("requestor")
    if isinstance(requestor, dict) and "mvpds" in requestor:
        body["mvpds"] = requestor.pop("mvpds")


V.add(
    "missing_profile_top_level",
    "adobe-pass-v2 §10 rule 59: authenticated_profile_missing top-level (403) or item-level (UNDOCUMENTED)",
    "decisions without any profile answer one top-level 403 EEC error, not 200 with denied items",
    reply={e: _missing_profile_top_level for e in DECISIONS},
)
V.add(
    "eec_minimal",
    "adobe-pass-v2 §5.1, §10 rule 15: helpUrl and trace are optional EEC members",
    "EEC errors (top-level and item-level) carry only status, code, message and action",
    every=_eec_minimal,
)
V.add(
    "eec_details",
    "adobe-pass-v2 §5.1: details is optional programmer/MVPD text",
    "every EEC error carries a details text",
    every=_eec_details,
)
V.add(
    "opaque_access_token",
    "adobe-pass-v2 §3.2: clients must not rely on the token's form; a JWT or an opaque string",
    "DCR issues opaque random access tokens instead of JWTs",
    reply={E.dcr_token: _opaque_access_token},
)
V.add(
    "token_type_capitalised",
    "adobe-pass-v2 §10 rule 5: token_type compared case-insensitively (RFC 6749 §7.1)",
    'DCR token responses say token_type "Bearer"',
    reply={E.dcr_token: on_success(token_type("Bearer"))},
)
V.add(
    "media_token_issued_at",
    "adobe-pass-v2 §4 Decisions: token.issuedAt is in the EEC page sample and [O]; treat as optional",
    "permit decisions' token carries issuedAt as well as notBefore and notAfter",
    reply={E.decisions_authorize: when_status(200, edit_body(_issued_at))},
)
V.add(
    "mvpds_top_level",
    "adobe-pass-v2 §4.1 Configuration (DISCREPANCY): [P]'s table puts mvpds at the top level",
    "Configuration lists mvpds at the top level instead of inside requestor",
    reply={E.configuration: on_success(edit_body(_mvpds_top_level))},
)
V.add(
    "bodiless_401",
    "adobe-pass-v2 §10 rule 10: a 401 body is an EEC object *if present*",
    "401 answers for a missing, expired or invalid access token have no body",
    every=when_status(401, _unless_named(no_body)),
)
V.add(
    "logout_redirect_optional",
    "adobe-pass-v2 §8 #8, rule 64: logout redirectUrl required in [P], optional in [O]",
    "logout without redirectUrl is served (features.logout_redirect_url = 'optional')",
    profile={CONTRACT: {"features": {"logout_redirect_url": "optional"}}},
)
V.add(
    "dcr_token_form_only",
    "adobe-pass-v2 §3.2, §8 #9: [P] and its sample send the token parameters as a form body",
    "/o/client/token reads its parameters from the form body only (features.dcr_token_query = false)",
    profile={CONTRACT: {"features": {"dcr_token_query": False}}},
)
V.add(
    "extra_members",
    "adobe-pass-v2 §5.1: finite sets may gain values; [O] adds attributes across releases",
    "every JSON response carries unknown top-level members",
    every=extra_members,
)
add_json_wire(V, "RFC 8259 §11 / RFC 6749 §5.1 example: application/json with a charset parameter")
