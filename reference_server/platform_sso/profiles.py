"""Profiles (spec §4.6-4.8): all, for one mvpd, for one authentication code.

A caller sees its own regular profiles (same service provider, client application and device)
and, when it presents a valid platform identity, the ``platformSSO`` profiles that identity
reaches. Expired profiles are never listed; an empty answer is ``{"profiles": {}}``.
"""

from __future__ import annotations

from typing import Any

from reference_server.platform_sso import model, sessions
from reference_server.platform_sso.context import Call
from reference_server.platform_sso.errors import PassError
from reference_server.reply import Reply


def _visible(call: Call, mvpd_ids: list[str]) -> dict[str, Any]:
    d = call.deviations
    out: dict[str, Any] = {}
    for mvpd in mvpd_ids:
        profile, expired = model.find(call, mvpd, sso=not d.hide_sso_profiles)
        if profile is not None and (not expired or d.list_expired_profiles):
            out[mvpd] = model.body(profile)
    return out


async def all_profiles(call: Call) -> Reply:
    ids = [m.id for m in call.settings.active_mvpds()]
    visible = _visible(call, ids)
    if not visible and call.deviations.profiles_error_before_first_profile and not model.ever_signed_in(call):
        raise PassError("not_found", "no profile was ever created for this application and device")
    return Reply(200, {"profiles": visible})


async def for_mvpd(call: Call) -> Reply:
    s = call.settings
    mvpd = call.request.path_params["mvpd"]
    sessions.check_mvpd(call, mvpd)
    ids = [m.id for m in s.active_mvpds()] if call.deviations.skip_profiles_mvpd_filter else [mvpd]
    return Reply(200, {"profiles": _visible(call, ids)})


async def for_code(call: Call) -> Reply:
    d = call.deviations
    code = call.request.path_params["code"]
    session = sessions.load(call, code, allow_expired_authenticated=True)
    if not d.share_code_across_clients and session["client_id"] != call.client_id:
        return Reply(200, {"profiles": {}})
    if not session["profile"]:
        if d.code_profile_pending_error:
            raise PassError("invalid_authentication_session", "the user has not completed authentication")
        return Reply(200, {"profiles": {}})
    record = call.store.get(session["profile"])
    if record is None or (not model.live(record) and not d.list_expired_profiles):
        return Reply(200, {"profiles": {}})
    return Reply(200, {"profiles": {record["issuer"]: model.body(record)}})
