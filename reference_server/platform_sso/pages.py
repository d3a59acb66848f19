"""The HTML pages of the user-agent endpoints and the MVPD the reference server stands in for.

Templates live in ``templates/``. Stable selectors for a browser on the MVPD login page:
``form#mvpd-login``, ``input[name=username]``, ``input[name=password]``, ``button[type=submit]``
(also ``#username``, ``#password``, ``#sign-in``); a refused sign-in shows ``[role=alert]``
(``#login-error``).
"""

from __future__ import annotations

from reference_server.platform_sso.settings import CONTRACT
from reference_server.reply import Reply
from reference_server.templates import render

# The login page takes credentials: never cached, framed or referred.
LOGIN_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",
}


def message(title: str, text: str, status: int = 200) -> Reply:
    """A page with a title and one sentence: outcomes and errors of the user-agent endpoints."""
    page = render(CONTRACT, "message.html", title=title, text=text)
    return Reply(status, page, {"Cache-Control": "no-store"})


def signed_in() -> Reply:
    """The MVPD login's end when the session has no redirectUrl to return to."""
    return message("Signed in", "You are signed in. Return to the application.")


def signed_out() -> Reply:
    """The MVPD logout's end when there is no redirect_url to return to."""
    return message("Signed out", "You are signed out of your TV provider.")


def mvpd_login(mvpd_name: str, txn: str, action: str, error: str = "", status: int = 200) -> Reply:
    page = render(CONTRACT, "mvpd_login.html", mvpd_name=mvpd_name, txn=txn, action=action, error=error)
    return Reply(status, page, dict(LOGIN_HEADERS))


def throttled() -> Reply:
    """Throttling answers HTML, not an EEC (spec §1.6)."""
    return Reply(429, render(CONTRACT, "throttled.html"), {"Retry-After": "1"})
