"""Sessions Partner (spec §4.9; docs/partner_sso.md): ``POST {api}/{sp}/sessions/sso/{partner}``.

After the common checks and the partner, in this order:

1. PFS invalid in any way (absent included) -> 200 ``authenticate``/``interactive``/``pfs_fallback``
   with a basic-flow code (the mvpd preselected when the PFS id maps to one);
2. the mapped MVPD has platform services off (or is not boarded ``SUPPORTED``) -> the same with
   ``configuration_fallback``;
3. ``domainName`` or ``redirectUrl`` missing (or not usable) -> 200 ``resume``/``direct``/
   ``missing_parameters_fallback``;
4. a live profile of the caller for the mvpd -> ``authorize``/``direct`` (``authenticatedSSO`` for an
   appleSSO profile, ``authenticated`` for a regular one);
5. else ``partner_profile``/``direct``/``none`` with the SAML ``authenticationRequest``.
"""

from __future__ import annotations

import uuid
from typing import Any

from reference_server.partner_sso import saml
from reference_server.platform_sso import model, sessions
from reference_server.platform_sso.context import Call
from reference_server.platform_sso.errors import PassError
from reference_server.reply import Reply

FALLBACK_PARAMS = ("domainName", "redirectUrl")


def check_partner(call: Call, any_partner: bool) -> str:
    partner = call.request.path_params["partner"]
    if partner not in call.settings.partners and not any_partner:
        raise PassError("invalid_parameter_partner", f"unsupported partner {partner!r}")
    return partner


def _params(call: Call, form: Any) -> dict[str, str]:
    params = {
        k: str(form.get(k)).strip() for k in FALLBACK_PARAMS if form.get(k) and str(form.get(k)).strip()
    }
    redirect = params.get("redirectUrl")
    if redirect and not call.deviations.skip_redirect_url_check and not sessions.valid_url(redirect):
        del params["redirectUrl"]  # an unusable redirectUrl counts as missing (resume flow)
    return params


def _fallback(call: Call, params: dict[str, str], mvpd: str | None, reason: str) -> Reply:
    s = call.settings
    session_params = dict(params)
    if mvpd:
        session_params["mvpd"] = mvpd
    code, session = sessions.open_session(call, session_params)
    missing = reason == "missing_parameters_fallback"
    body: dict[str, Any] = {
        "actionName": "resume" if missing else "authenticate",
        "actionType": "direct" if missing else "interactive",
        "reasonType": reason,
    }
    if missing:
        body["missingParameters"] = [p for p in FALLBACK_PARAMS if p not in params]
        body["url"] = f"{s.api_base}/{call.sp}/sessions/{code}"
    else:
        body["url"] = f"{s.api_base}/authenticate/{call.sp}/{code}"
    body.update(code=code, sessionId=session["session_id"], serviceProvider=call.sp)
    if mvpd:
        body["mvpd"] = mvpd
    body.update(notBefore=str(session["notBefore"]), notAfter=str(session["notAfter"]))
    return Reply(200, body)


async def sessions_partner(call: Call) -> Reply:
    s, d = call.settings, call.deviations
    partner = check_partner(call, d.sessions_partner_any_partner)
    params = _params(call, await call.request.form())
    pfs = call.pfs
    if not pfs.valid:
        if pfs.reason in d.partner_sessions_error_for:
            raise PassError(pfs.error or "invalid_header_pfs_permission_access_not_present")
        return _fallback(call, params, pfs.mvpd, "pfs_fallback")
    mvpd_id = pfs.mvpd or ""
    mvpd = s.mvpd(mvpd_id)
    if (mvpd is None or not mvpd.partner_sso_enabled) and not d.partner_sessions_ignore_platform_services:
        return _fallback(call, params, mvpd_id, "configuration_fallback")
    missing = [p for p in FALLBACK_PARAMS if p not in params]
    if missing:
        if d.partner_sessions_reject_missing_parameters:
            raise PassError("invalid_parameter_redirect_url", f"missing: {', '.join(missing)}")
        return _fallback(call, params, mvpd_id, "missing_parameters_fallback")
    if not d.partner_sessions_ignore_existing_profile:
        if model.live(model.apple(call, mvpd_id)):
            return sessions.authorize_reply(call, mvpd_id, "authenticatedSSO")
        if model.live(model.regular(call, mvpd_id)):
            return sessions.authorize_reply(call, mvpd_id, "authenticated")
    path = f"{s.api_base}/{call.sp}/profiles/sso/{partner}"
    request = saml.issue_request(call, mvpd_id, call.state.public_url + path)
    body = {
        "actionName": "partner_profile",
        "actionType": "direct",
        "reasonType": "none",
        "url": path,
        "sessionId": str(uuid.uuid4()),
        "mvpd": mvpd_id,
        "serviceProvider": call.sp,
        "authenticationRequest": {
            "type": "saml",
            "request": request,
            "attributesNames": list(s.attributes_names),
        },
    }
    return Reply(200, body)
