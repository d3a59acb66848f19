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
    s = call.settings
    out: dict[str, Any] = {}
    for mvpd in mvpd_ids:
        profile, expired = model.find(call, mvpd, sso=s.sso_in_profiles)
        if profile is not None and (not expired or not s.hide_expired_profiles):
            out[mvpd] = model.body(profile)
    return out


async def all_profiles(call: Call) -> Reply:
    ids = [m.id for m in call.settings.active_mvpds()]
    return Reply(200, {"profiles": _visible(call, ids)})


async def for_mvpd(call: Call) -> Reply:
    s = call.settings
    mvpd = call.request.path_params["mvpd"]
    sessions.check_mvpd(call, mvpd)
    ids = [mvpd] if s.filter_profiles_by_mvpd else [m.id for m in s.active_mvpds()]
    return Reply(200, {"profiles": _visible(call, ids)})


async def for_code(call: Call) -> Reply:
    s = call.settings
    code = call.request.path_params["code"]
    session = sessions.load(call, code, allow_expired_authenticated=True)
    if s.bind_code_to_client and session["client_id"] != call.client_id:
        return Reply(200, {"profiles": {}})
    if not session["profile"]:
        if s.empty_profiles_before_completion:
            return Reply(200, {"profiles": {}})
        raise PassError("invalid_authentication_session", "the user has not completed authentication")
    record = call.store.get(session["profile"])
    if record is None or (not model.live(record) and s.hide_expired_profiles):
        return Reply(200, {"profiles": {}})
    return Reply(200, {"profiles": {record["issuer"]: model.body(record)}})
