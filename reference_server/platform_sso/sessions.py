"""Authentication sessions (spec §4.2-4.4): create, resume and retrieve by code.

Choices where the docs disagree (§8): missing parameters are named after the body parameters
(``domainName``, not the samples' ``domain``); resume answers ``retry`` while parameters are still
missing and always includes ``code``; ``notBefore``/``notAfter`` are millisecond strings here (as
in the samples and [O]) and integers everywhere else; the retrieve path is the documented template
``/api/v2/{sp}/sessions/{code}`` (the samples' ``/api/v2/sessions/{sp}/{code}`` is served too).
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from reference_server.abuse import client_address
from reference_server.platform_sso import headers, model
from reference_server.platform_sso.context import Call
from reference_server.platform_sso.errors import PassError
from reference_server.platform_sso.settings import Deviations
from reference_server.reply import Reply

PARAMS = ("mvpd", "domainName", "redirectUrl")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_FORMAT = re.compile(r"^[A-Za-z0-9]{4,32}$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))


def valid_url(url: str) -> bool:
    """An absolute URI: a scheme, and a host for http(s); no whitespace."""
    if not url or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    if not parts.scheme or not SCHEME.match(parts.scheme):
        return False
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.hostname)
    return bool(parts.netloc or parts.path)


def check_mvpd(call: Call, mvpd_id: str) -> None:
    """400 invalid_parameter_mvpd for an unknown mvpd, invalid_integration for an inactive one."""
    d = call.deviations
    mvpd = call.settings.mvpd(mvpd_id)
    if mvpd is None:
        if not d.accept_unknown_mvpd:
            raise PassError("invalid_parameter_mvpd", f"unknown mvpd {mvpd_id!r}")
        return
    if not mvpd.active and not d.skip_integration_check:
        raise PassError("invalid_integration", f"no active integration between {call.sp} and {mvpd_id}")


def _read_params(call: Call, form: Any) -> dict[str, str]:
    params = {k: str(form.get(k)).strip() for k in PARAMS if form.get(k) and str(form.get(k)).strip()}
    if "mvpd" in params:
        check_mvpd(call, params["mvpd"])
    if (
        "redirectUrl" in params
        and not call.deviations.skip_redirect_url_check
        and not valid_url(params["redirectUrl"])
    ):
        raise PassError("invalid_parameter_redirect_url", "redirectUrl must be an absolute URL")
    return params


def _missing(params: dict[str, str], d: Deviations) -> list[str]:
    missing = [k for k in PARAMS if k not in params]
    return list(PARAMS) if missing and d.report_all_parameters_missing else missing


def authorize_reply(call: Call, mvpd: str, reason: str, code: str | None = None) -> Reply:
    body = {
        "actionName": "authorize",
        "actionType": "direct",
        "reasonType": reason,
        "url": f"{call.settings.api_base}/{call.sp}/decisions/authorize/{mvpd}",
        "sessionId": str(uuid.uuid4()),
        "mvpd": mvpd,
        "serviceProvider": call.sp,
    }
    if code:
        body["code"] = code
    return Reply(200, body)


def _session_reply(call: Call, session: dict[str, Any], code: str, waiting: str) -> Reply:
    """authenticate/interactive when complete, else ``waiting`` (resume | retry)/direct."""
    s, sp = call.settings, session["sp"]
    missing = _missing(session["params"], call.deviations)
    body: dict[str, Any] = {"actionType": "direct" if missing else "interactive", "reasonType": "none"}
    if missing:
        body.update(actionName=waiting, url=f"{s.api_base}/{sp}/sessions/{code}", missingParameters=missing)
    else:
        body.update(actionName="authenticate", url=f"{s.api_base}/authenticate/{sp}/{code}")
    body.update(code=code, sessionId=session["session_id"], serviceProvider=sp)
    if "mvpd" in session["params"]:
        body["mvpd"] = session["params"]["mvpd"]
    body.update(notBefore=str(session["notBefore"]), notAfter=str(session["notAfter"]))
    return Reply(200, body)


async def create(call: Call) -> Reply:
    d = call.deviations
    params = _read_params(call, await call.request.form())
    mvpd = params.get("mvpd")
    if mvpd and not d.sessions_ignore_existing_profile:
        own = model.regular(call, mvpd)
        if model.live(own):
            return authorize_reply(call, mvpd, "authenticated")
    if mvpd and not d.sessions_ignore_sso:
        link = model.sso_link(call, mvpd)
        if link and model.live(model.sso_profile(link, call)):
            return authorize_reply(call, mvpd, "authenticatedSSO")
    if d.reject_missing_session_parameters and not params:  # fault: an empty body is not resumable
        for name in PARAMS:
            if name not in params:
                code = "invalid_parameter_mvpd" if name == "mvpd" else "invalid_parameter_redirect_url"
                raise PassError(code, f"{name} is required")
    code, session = open_session(call, params)
    return _session_reply(call, session, code, "resume")


def open_session(call: Call, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """A new authentication session with ``params``: its code and record (also Sessions Partner's
    fallbacks, which continue with the basic flow)."""
    s, d = call.settings, call.deviations
    now = model.now_ms()
    code = new_code()
    session = {
        "sp": call.sp,
        "client_id": call.client_id,
        "device": call.device,
        "device_info": call.device_info,
        "user_agent": call.request.headers.get("user-agent"),
        "ip": client_address(call.request, call.state.limits),
        "identity": call.identity,
        "params": params,
        "session_id": str(uuid.uuid4()),
        "notBefore": now,
        "notAfter": now + int(s.code_ttl_s * 1000),
        "profile": None,
    }
    while not call.store.add(f"psso:ses:{code}", session, None if d.codes_never_expire else s.code_ttl_s):
        code = new_code()
    return code, session


def load(call: Call, code: str, *, allow_expired_authenticated: bool = False) -> dict[str, Any]:
    """The session behind ``code`` for this service provider; 400 when malformed, unknown or expired."""
    if not CODE_FORMAT.match(code):
        raise PassError("invalid_parameter_code", "the code is malformed")
    session = call.store.get(f"psso:ses:{code.upper()}")
    if session is None or session["sp"] != call.sp:
        raise PassError("invalid_authentication_session", "unknown authentication code")
    expired = model.now_ms() >= session["notAfter"] and not call.deviations.codes_never_expire
    if expired and not (allow_expired_authenticated and session["profile"]):
        raise PassError("invalid_authentication_session", "the authentication code has expired")
    return session


async def resume(call: Call) -> Reply:
    code = call.request.path_params["code"]
    session = load(call, code)
    params = _read_params(call, await call.request.form())

    def merge(current: dict[str, Any] | None) -> dict[str, Any] | None:
        if current is not None:
            current["params"].update(params)
        return current

    session = call.store.update(f"psso:ses:{code.upper()}", merge) or session
    mvpd = session["params"].get("mvpd")
    if mvpd and not call.deviations.sessions_ignore_existing_profile:
        key = model.profile_key(call.deviations, session["sp"], session["client_id"], session["device"], mvpd)
        if model.live(call.store.get(key)):
            return authorize_reply(call, mvpd, "authenticated", code.upper())
    return _session_reply(call, session, code.upper(), "retry")


async def retrieve(call: Call) -> Reply:
    code = call.request.path_params["code"]
    session = load(call, code)
    body: dict[str, Any] = {"existingParameters": {**session["params"], "serviceProvider": session["sp"]}}
    missing = _missing(session["params"], call.deviations)
    if missing:
        body["missingParameters"] = missing
    body["device"] = headers.describe(session["device_info"], session["user_agent"], session["ip"])
    body.update(notBefore=str(session["notBefore"]), notAfter=str(session["notAfter"]))
    return Reply(200, body)
