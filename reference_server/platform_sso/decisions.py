"""Decisions (spec §4.11-4.12): authorize (with a media token) and preauthorize (without).

An appleSSO profile serves only with a valid ``AP-Partner-Framework-Status`` for the mvpd:
without the header the caller has no profile (``authenticated_profile_missing``); with an invalid
one it gets the header's 400 EEC (docs/partner_sso.md).

Choices where the docs are silent (§9): a missing or expired profile and too many resources are
answered item-level (HTTP 200, each decision ``authorized: false`` with an EEC ``error``), like
MVPD denials, since neither endpoint lists 403 among its HTTP statuses. The media token is
``Base64(compact JWS)`` signed with the server's RS256 key (JWKS at ``/media-token/jwks.json``);
``token`` has ``notBefore``/``notAfter`` and no ``issuedAt`` (§8 #7).
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

from reference_server import jsonbody
from reference_server.keys import jwks
from reference_server.platform_sso import model, sessions
from reference_server.platform_sso.context import Call
from reference_server.platform_sso.errors import PassError, error_object
from reference_server.reply import Reply


async def _resources(call: Call) -> list[str]:
    try:
        body = jsonbody.loads(await call.request.body() or b"null", call.state.limits.max_json_depth)
    except ValueError:  # TooDeep included
        body = None
    resources = body.get("resources") if isinstance(body, dict) else None
    if isinstance(resources, list) and all(isinstance(r, str) and r.strip() for r in resources) and resources:
        return resources
    if call.deviations.accept_malformed_resources:
        return [r for r in resources if isinstance(r, str)] if isinstance(resources, list) else []
    raise PassError("invalid_parameter_resources", "resources must be a non-empty array of strings")


def media_token(call: Call, mvpd: str, resource: str, profile: dict[str, Any]) -> dict[str, Any]:
    s = call.settings
    now = time.time()
    claims = {
        "iss": call.state.public_url,
        "aud": call.sp,
        "sub": profile["attributes"]["userID"]["value"],
        "requestor": call.sp,
        "serviceProvider": call.sp,
        "mvpd": mvpd,
        "resource": resource,
        "device": call.device,
        "jti": str(uuid.uuid4()),
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + s.media_token_ttl_s,
    }
    signed = call.state.key.sign(claims, {"typ": "media+jwt"})
    return {
        "notBefore": int(now) * 1000,
        "notAfter": (int(now) + s.media_token_ttl_s) * 1000,
        "serializedToken": base64.b64encode(signed.encode()).decode(),
    }


def _item(call: Call, mvpd: str, resource: str) -> dict[str, Any]:
    return {"resource": resource, "serviceProvider": call.sp, "mvpd": mvpd, "source": "mvpd"}


def _denied(item: dict[str, Any], code: str, details: str | None = None) -> dict[str, Any]:
    return {**item, "authorized": False, "error": error_object(code, details)}


async def _decide(call: Call, authorize: bool) -> Reply:
    s, d = call.settings, call.deviations
    mvpd = call.request.path_params["mvpd"]
    resources = await _resources(call)
    sessions.check_mvpd(call, mvpd)
    limit = s.max_authorize_resources if authorize else s.max_preauthorize_resources
    if len(resources) > limit:
        if d.too_many_resources_empty_list:
            return Reply(200, {"decisions": []})  # the pre-3.4.0 bug: an empty list
        detail = f"at most {limit} resources per request"
        return Reply(
            200,
            {"decisions": [_denied(_item(call, mvpd, r), "too_many_resources", detail) for r in resources]},
        )
    profile, expired = model.find(call, mvpd, sso=not d.decisions_ignore_sso, use=True)
    unserved = profile is None or expired
    if unserved and call.pfs.present and not call.pfs.valid and model.live(model.apple(call, mvpd)):
        # an appleSSO profile needs a valid PFS (rule 50)
        raise PassError(call.pfs.error or "invalid_header_pfs_permission_access_not_present")
    if (profile is None or expired) and d.permit_without_profile:
        profile, expired = {"attributes": {"userID": {"value": "anonymous"}}}, False
    if profile is None or expired:
        code = "authenticated_profile_expired" if expired else "authenticated_profile_missing"
        return Reply(200, {"decisions": [_denied(_item(call, mvpd, r), code) for r in resources]})
    entry = s.mvpd(mvpd)
    denied_resources = entry.denied_resources if entry else ()
    decisions = []
    for resource in resources:
        item = _item(call, mvpd, resource)
        if resource in denied_resources:
            code = "authorization_denied_by_mvpd" if authorize else "preauthorization_denied_by_mvpd"
            detail = f"Your subscription package does not include {resource!r}"
            if d.deny_top_level:
                raise PassError(code, detail)
            decisions.append(_denied(item, code, detail))
            continue
        item["authorized"] = True
        if authorize or d.preauthorize_with_token:
            item["token"] = media_token(call, mvpd, resource, profile)
        if authorize:
            now = model.now_ms()
            item.update(notBefore=now, notAfter=now + s.decision_ttl_s * 1000)
        decisions.append(item)
    return Reply(200, {"decisions": decisions})


async def authorize(call: Call) -> Reply:
    return await _decide(call, authorize=True)


async def preauthorize(call: Call) -> Reply:
    if not call.settings.preauthorize:
        raise PassError("invalid_integration", "preauthorization is not enabled for this integration")
    return await _decide(call, authorize=False)


async def media_token_jwks(call: Call) -> Reply:
    return Reply(200, jwks(call.state.key), {"Cache-Control": "public, max-age=300"})
