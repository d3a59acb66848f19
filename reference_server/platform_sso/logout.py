"""Logout (spec §4.13): delete the profiles that serve the caller for one mvpd (single logout).

The caller's regular profile goes, and so does the SSO link its ``Adobe-Subject-Token`` reaches,
with the first application's profile behind it. Answer per mvpd: ``logout``/``interactive`` with
the MVPD logout URL (absolute for a regular profile, host-relative for an SSO one, as in the
samples), ``complete``/``none`` for an MVPD without logout endpoint, ``invalid``/``none`` when no
valid profile was found, ``partner_logout``/``partner_interactive`` without url for an appleSSO
profile (the user signs out in the system's TV Provider settings too). §8 #8: ``redirectUrl`` is
required here ([P]); the profile feature ``logout_redirect_url = "optional"`` follows [O] instead.
"""

from __future__ import annotations

from urllib.parse import urlencode

from reference_server.platform_sso import model, sessions
from reference_server.platform_sso.context import Call
from reference_server.platform_sso.errors import PassError
from reference_server.reply import Reply


async def logout(call: Call) -> Reply:
    s, d = call.settings, call.deviations
    mvpd_id = call.request.path_params["mvpd"]
    redirect = call.request.query_params.get("redirectUrl", "").strip()
    if not redirect and s.logout_requires_redirect_url:
        raise PassError("invalid_parameter_redirect_url", "redirectUrl is required")
    if redirect and not d.skip_redirect_url_check and not sessions.valid_url(redirect):
        raise PassError("invalid_parameter_redirect_url", "redirectUrl must be an absolute URL")
    sessions.check_mvpd(call, mvpd_id)
    mvpd = s.mvpd(mvpd_id)
    served = model.delete(call, mvpd_id)
    action: dict[str, str] = {"mvpd": mvpd_id}
    if served is None:
        action.update(actionName="invalid", actionType="none")
    elif served == model.APPLE_SSO:
        action.update(actionName="partner_logout", actionType="partner_interactive")
    elif (mvpd is not None and mvpd.logout) or d.ignore_mvpd_logout_endpoint:
        query = {"requestor_id": call.sp, "mso_id": mvpd_id}
        if redirect:
            query["redirect_url"] = redirect
        path = f"/mvpd/{mvpd_id}/logout?{urlencode(query)}"
        url = call.state.public_url + path if served == model.REGULAR else path
        action.update(actionName="logout", actionType="interactive", url=url)
    else:
        action.update(actionName="complete", actionType="none")
    ordered = {k: action[k] for k in ("actionName", "actionType", "mvpd", "url") if k in action}
    return Reply(200, {"logouts": {mvpd_id: ordered}})
