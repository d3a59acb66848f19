"""Named checks of the partner_sso contract, each written once and named like the sentence it checks.

Each takes the ``check`` fixture and the requirement id it judges. Top-level error answers are
judged by status and code here; their EEC shape is PTR-EEC-001's (test_errors), as the catalogue's
convention says.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx

from conformance import openapi
from conformance.bodies import body_of
from conformance.checks import Checker
from conformance.suite.partner_sso.client import CONTRACT, Partner
from conformance.suite.platform_sso.checks import eec_error
from conformance.suite.platform_sso.client import App
from conformance.suite.platform_sso.readers import code_of, path_of

SAML_REFUSED = "invalid_parameter_saml_response"
FALLBACK_KEYS = ("code", "url")


def error(
    check: Checker, req: str, resp: httpx.Response, code: str, status: int = 400, also: tuple[str, ...] = ()
) -> None:
    """HTTP ``status`` with the EEC ``code`` (or one of ``also``)."""
    eec_error(check, req, resp, code, status, also)


def saml_refused(check: Checker, req: str, resp: httpx.Response, sent: str = "") -> None:
    """Profiles Partner refused the SAMLResponse: 400 invalid_parameter_saml_response. ``sent``
    describes the response (its structure, never its payload) for the evidence."""
    if not sent:
        error(check, req, resp, SAML_REFUSED)
        return
    code = code_of(resp)
    check.that(
        req,
        resp.status_code == 400 and code == SAML_REFUSED,
        f"HTTP {resp.status_code} code {code!r}, expected 400 {SAML_REFUSED}, for: {sent}",
        passed=f"400 {SAML_REFUSED} for: {sent}",
    )


def no_apple_profile(check: Checker, req: str, partner: Partner, app: App, after: str) -> None:
    """GET {sp}/profiles with a valid PFS shows ``app`` no appleSSO profile for the MVPD."""
    granted = partner.pfs(app, "granted")
    resp = app.profiles(h={"AP-Partner-Framework-Status": granted})
    profiles = body_of(resp).get("profiles")
    seen = profiles.get(partner.mvpd) if isinstance(profiles, dict) else None
    check.that(
        req,
        resp.status_code == 200 and isinstance(profiles, dict) and not _apple(seen),
        f"after {after}, GET /profiles with a valid PFS answers HTTP {resp.status_code} with "
        f"{'an appleSSO profile' if _apple(seen) else repr(resp.text[:100])} for {partner.mvpd}",
        passed=f"after {after}: no appleSSO profile for {partner.mvpd}",
    )


def _apple(profile: Any) -> bool:
    return isinstance(profile, dict) and (
        profile.get("type") == "appleSSO" or profile.get("issuer") == "Apple"
    )


def fallback(
    check: Checker,
    req: str,
    partner: Partner,
    resp: httpx.Response,
    reason: str,
    action: tuple[str, str] = ("authenticate", "interactive"),
) -> dict[str, Any]:
    """A Sessions Partner fallback to the basic flow: 200 with ``action`` and ``reason``, a code,
    the url for it and no authenticationRequest. Returns the body."""
    check.status(req, resp, 200)
    body = body_of(resp)
    seen = (body.get("actionName"), body.get("actionType"), body.get("reasonType"))
    check.that(
        req,
        seen == (*action, reason),
        f"answer is {seen}, expected {(*action, reason)}",
        passed="/".join(map(str, seen)),
    )
    code = body.get("code")
    check.that(
        req,
        isinstance(code, str) and code and "authenticationRequest" not in body,
        f"code {'present' if code else 'absent'}, authenticationRequest "
        f"{'present' if 'authenticationRequest' in body else 'absent'}: expected a code and no request",
        passed="a code, no authenticationRequest",
    )
    if isinstance(code, str) and code:
        if action[0] == "resume":
            want = f"{partner.api_path}/{partner.sp}/sessions/{code}"
        else:
            want = f"{partner.api_path}/authenticate/{partner.sp}/{code}"
        check.that(
            req,
            path_of(body.get("url")) == want,
            f"url path {path_of(body.get('url'))!r}, expected {want}",
            passed="url names the code",
        )
    return body


def session_is_live(
    check: Checker, req: str, app: App, resp: httpx.Response, body: dict[str, Any], by: str
) -> None:
    """The code of a fallback answer names a live session: GET {sp}/sessions/{code} answers 200.
    An answer that is no fallback (``by`` judges that) has no session code to try."""
    code = body.get("code")
    fell_back = resp.status_code == 200 and body.get("actionName") in ("authenticate", "resume")
    if not fell_back or not isinstance(code, str) or not code:
        check.unreached(req, "the answer is no fallback with a code", by=by)
        return
    check.status(req, app.get(f"/sessions/{quote(code, safe='')}"), 200)


def profile_shape(check: Checker, req: str, profile: dict[str, Any]) -> None:
    """notBefore <= notAfter (integers, ms, notAfter in the future) and {value, state} attributes
    with userID."""
    nb, na = profile.get("notBefore"), profile.get("notAfter")
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (nb, na))
    check.that(
        req,
        ints and nb <= na and na > time.time() * 1000,
        f"notBefore {nb!r} notAfter {na!r}: expected integers (ms), notBefore <= notAfter, notAfter ahead",
        passed="notBefore <= notAfter, in the future",
    )
    attrs = profile.get("attributes")
    check.that(
        req,
        isinstance(attrs, dict)
        and "userID" in attrs
        and all(
            isinstance(v, dict) and "value" in v and v.get("state") in ("plain", "enc")
            for v in attrs.values()
        ),
        f"attributes {sorted(attrs) if isinstance(attrs, dict) else type(attrs).__name__}: expected "
        "{name: {value, state plain|enc}} with userID",
        passed="attributes with userID",
    )


def is_apple_profile(check: Checker, req: str, partner: Partner, profile: Any, where: str) -> None:
    """``profile`` is the MVPD's appleSSO profile issued by Apple."""
    p = profile if isinstance(profile, dict) else {}
    check.that(
        req,
        p.get("type") == "appleSSO" and p.get("issuer") == "Apple",
        f"{where}: {partner.mvpd} is "
        + (f"type {p.get('type')!r} issuer {p.get('issuer')!r}" if p else "absent")
        + ", expected appleSSO / Apple",
        passed=f"{where}: appleSSO issued by Apple",
    )


def matches_schema(
    check: Checker, req: str, schema: str, body: Any, judged_elsewhere: tuple[str, ...] = ()
) -> None:
    """``body`` validates against schemas/partner_sso.openapi.yaml ``schema``."""
    try:
        problems = openapi.errors(CONTRACT, schema, body, judged_elsewhere)
    except (OSError, KeyError) as exc:  # the suite's own schema document is missing or incomplete
        check.unreached(req, f"schemas/{CONTRACT}.openapi.yaml cannot judge {schema}: {exc}")
        return
    check.that(req, not problems, "; ".join(problems[:3]), passed=f"validates against {schema}")
