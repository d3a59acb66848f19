"""`device_signon`, variant ``rfc8628``: the verification page (RFC 8628 §3.3), plain HTML.

Sign in and type the code, then approve or deny on a consent step. Selectors (stable, for
Playwright and the suite's parser): ``form#signin`` with ``input[name=username]``,
``input[name=password]``, ``input[name=user_code]``, ``button[name=action][value=continue]``;
``form#consent`` with ``#user-code``, ``#client-name``, ``#scopes``, ``input[name=consent]``,
``button[name=action][value=approve]`` and ``[value=deny]``; results in ``#result[data-result]``,
errors in ``#error[data-error]``. Templates: ``templates/*.html``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from reference_server import templates
from reference_server.abuse import Guard
from reference_server.device_signon.settings import CONTRACT, Deviations, Settings
from reference_server.device_signon.shared import (
    approval_failed,
    approval_throttled,
    check_password,
    display_code,
    normalise_code,
    now,
    primary_account_id,
    retry_after,
)
from reference_server.endpoint import Call, ProtocolError
from reference_server.reply import Reply

TITLE = "Connect a device"
VIA_LINK = "via=link"  # the query a fault's sign-in form posts to from verification_uri_complete
DISPLAYED = re.compile(r"^[A-Z]{4}-[A-Z]{4}$")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}
ERRORS = {  # data-error -> (status, what the user reads)
    "invalid_credentials": (400, "Wrong email or password."),
    "account_suspended": (403, "This account is suspended."),
    "rate_limited": (429, "Too many attempts. Wait a moment and try again."),
    "invalid_code": (400, "That code is not valid. Check the code on your device."),
    "expired_code": (400, "That code has expired. Start again on your device."),
    "used_code": (400, "That code was already used."),
    "invalid_session": (400, "This page has expired. Start again."),
}
RESULTS = {
    "approved": "Your device is connected. You can return to it now.",
    "denied": "The request was denied. Nothing was connected.",
}


def _page(template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> Reply:
    body = templates.render(CONTRACT, template, title=TITLE, **context)
    return Reply(status, body, {**PAGE_HEADERS, **(headers or {})})


@dataclass(frozen=True)
class SignInForm:
    """The sign-in step as the user filled it in, to show again (with an error) when it fails."""

    action: str
    user_code: str
    from_complete: bool
    show_code_field: bool

    def reply(self, status: int = 200, headers: dict[str, str] | None = None, error: str = "") -> Reply:
        text = ERRORS[error][1] if error else ""
        return _page(
            "signin.html",
            status,
            headers,
            action=self.action,
            user_code=self.user_code,
            from_complete=self.from_complete,
            show_code_field=self.show_code_field,
            error=error,
            text=text,
        )


class SignInError(ProtocolError):
    """The sign-in step failed: the form again, with ``#error[data-error=kind]``."""

    def __init__(self, form: SignInForm, kind: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(kind)
        self.form, self.kind, self.headers = form, kind, headers

    def reply(self) -> Reply:
        return self.form.reply(ERRORS[self.kind][0], self.headers, self.kind)


class PageError(ProtocolError):
    """The consent step failed: a page with only ``#error[data-error=kind]``."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind

    def reply(self) -> Reply:
        status, text = ERRORS[self.kind]
        return _page("error.html", status, error=self.kind, text=text)


def _sign_in_form(call: Call, user_code: str, from_complete: bool) -> SignInForm:
    show = bool(user_code) or not call.deviations.hide_code_field
    action = call.settings.verification_path
    if from_complete and call.deviations.complete_link_approves:
        action += f"?{VIA_LINK}"
    return SignInForm(action, user_code, from_complete, show)


def _lookup_key(raw: str, deviations: Deviations) -> str:
    if deviations.case_sensitive_user_codes:  # dashes stripped, but only the lower case issued matches
        stripped = "".join(ch for ch in raw if ch.isalnum())
        return stripped.upper() if stripped == stripped.lower() else ""
    if not deviations.exact_user_codes_only:
        return normalise_code(raw)
    raw = raw.strip()  # without normalisation only the exact displayed form XXXX-XXXX matches
    return raw.replace("-", "") if DISPLAYED.match(raw) else raw


async def verification(call: Call) -> Reply:
    if call.request.method == "GET":
        user_code = call.request.query_params.get("user_code", "")[:32]
        return _sign_in_form(call, user_code, bool(user_code)).reply()
    form = await call.request.form()
    action = form.get("action") or "continue"
    if action in ("approve", "deny"):
        return _decide(call, str(form.get("consent") or ""), str(action))
    return _sign_in(call, form)


def _sign_in(call: Call, form: Any) -> Reply:
    """The sign-in step: check the account and the code, then show the consent step."""
    settings: Settings = call.settings
    deviations: Deviations = call.deviations
    raw_code = str(form.get("user_code") or "")[:32]
    shown = _sign_in_form(call, raw_code, form.get("from_complete") == "1")
    # Against spraying: failures per client address over all usernames, shared with IAS sign-on.
    guard = Guard.of(call.state, call.request, "device_signon:password")
    wait = guard.retry_after()
    if wait is not None:
        raise SignInError(shown, "rate_limited", {"Retry-After": str(wait)})
    acct, throttled = check_password(
        call.state,
        settings,
        str(form.get("username") or ""),
        str(form.get("password") or ""),
        not deviations.skip_page_password_check,
    )
    if throttled:
        raise SignInError(shown, "rate_limited", {"Retry-After": retry_after(settings.password_window_s)})
    if acct is None:
        guard.failed()
        raise SignInError(shown, "invalid_credentials")
    if acct["status"] == "suspended":
        raise SignInError(shown, "account_suspended")
    who = f"page:{acct['account_id']}"
    if not deviations.no_page_rate_limit and approval_throttled(call.state, settings, who):
        raise SignInError(shown, "rate_limited", {"Retry-After": retry_after(settings.approval_window_s)})
    device_code = call.store.get(f"dso:uc:{_lookup_key(raw_code, deviations)}") if raw_code else None
    rec = call.store.get(f"dso:dc:{device_code}") if device_code else None
    if rec is None:
        approval_failed(call.state, settings, who)
        raise SignInError(shown, "invalid_code")
    if now() >= rec["expires_at"] and not deviations.accept_expired_user_codes:
        raise SignInError(shown, "expired_code")
    if rec["state"] != "pending" and not deviations.reusable_user_codes:
        raise SignInError(shown, "used_code")
    via_link = deviations.complete_link_approves and VIA_LINK in str(call.request.url.query)
    if (deviations.auto_approve_complete and shown.from_complete) or via_link:
        _record(call, device_code, acct["account_id"], "approve")
        return _page("result.html", result="approved", text=RESULTS["approved"])
    consent = secrets.token_urlsafe(24)
    call.store.put(
        f"dso:consent:{consent}",
        {"device_code": device_code, "account_id": acct["account_id"]},
        settings.consent_ttl_s,
    )
    client = call.store.get(f"dso:client:{rec['client_id']}") or {}
    return _page(
        "consent.html",
        action=settings.verification_path,
        show_user_code=not deviations.hide_user_code,
        user_code=display_code(rec["user_code"]),
        who=acct["username"],
        client=client.get("name") or rec["client_id"],
        scope=rec["scope"],
        consent=consent,
    )


def _record(call: Call, device_code: str, account_id: str, action: str) -> str:
    """Approve or deny one pending device code atomically; returns the outcome."""
    deviations: Deviations = call.deviations
    bind_primary = deviations.bind_page_approval_to_primary_account
    bind_to = primary_account_id(call.state) if bind_primary else account_id
    t = now()
    seen = {"d": "gone"}

    def step(rec: dict[str, Any] | None) -> dict[str, Any] | None:
        if rec is None:
            return None
        if t >= rec["expires_at"] and not deviations.accept_expired_user_codes:
            seen["d"] = "expired_code"
        elif rec["state"] != "pending":
            seen["d"] = "ok" if deviations.reusable_user_codes else "used_code"
        else:
            seen["d"] = "ok"
            if action == "approve":
                rec.update(state="approved", account_id=bind_to)
            elif not deviations.ignore_deny:
                rec.update(state="denied", account_id=bind_to)
        return rec

    call.store.update(f"dso:dc:{device_code}", step)
    return seen["d"]


def _decide(call: Call, consent: str, action: str) -> Reply:
    """The consent step: record approve or deny for the code the consent token names."""
    data = call.store.pop(f"dso:consent:{consent}")
    if not data:
        raise PageError("invalid_session")
    outcome = _record(call, data["device_code"], data["account_id"], action)
    if outcome == "gone":
        raise PageError("invalid_code")
    if outcome != "ok":
        raise PageError(outcome)
    result = "approved" if action == "approve" else "denied"
    return _page("result.html", result=result, text=RESULTS[result])
