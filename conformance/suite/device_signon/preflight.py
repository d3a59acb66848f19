"""Pre-flight of `device_signon`: would this profile let the suite test the vendor?

Per variant the profile implements: dsra gets one registration code (D1), one IAS password
sign-on per distinct account (never the suspended one, which IAS must refuse) and one operator
token when approvals go through the portal; rfc8628 gets one device authorization per client
and a token request with a made-up device code (a JSON OAuth error, not a 404 or a page). No
wrong password or code is sent, so nothing here counts towards a lockout or a throttle.
"""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

from conformance.bodies import body_of, media_type_of
from conformance.checks import Blocked
from conformance.probe import (
    Findings,
    Probe,
    describe,
    distinct_accounts,
    json_document,
    json_error_problem,
    same_accounts,
    wrong_place,
)
from conformance.profile import Profile
from conformance.suite.device_signon import operator
from conformance.suite.device_signon.client import CONTRACT, DEVICE_GRANT, Dso


def static(profile: Profile) -> list[str]:
    def why(roles: list[str]) -> str:
        if "lockout" in roles:
            return "the brute-force tests throttle it, and the other role's tests then fail"
        if "suspended" in roles:
            return "a suspended account cannot sign in for the other role"
        return "the binding tests must tell the two accounts apart"

    return same_accounts(CONTRACT, profile.section(CONTRACT).get("accounts", []), why)


def check(profile: Profile, probe: Probe, out: Findings) -> None:
    dso = Dso(profile, probe.http, probe.redactor)
    variants = dso.features.get("variants", [])
    if "dsra" in variants:
        _dsra(dso, probe, out)
    if "rfc8628" in variants:
        _rfc8628(dso, probe, out)
    if dso.has("jwks_url"):
        json_document(probe, out, dso.url("jwks_url"), f"{CONTRACT}.jwks_url", "keys")


def _dsra(dso: Dso, probe: Probe, out: Findings) -> None:
    key = f"{CONTRACT}.dsra_code_url"
    resp = probe.send(out, key, dso.register_raw)
    if resp is not None:
        if where := wrong_place(resp):
            out.problem(key, where)
        elif not 200 <= resp.status_code < 300 or "deviceRegistrationCode" not in body_of(resp):
            out.problem(key, f"gave no registration code ({describe(resp)})")
        else:
            out.ok(key, "gives a registration code")
    if dso.has("ias_password_url"):
        _ias_sign_ons(dso, probe, out)
    if "portal" in dso.approvals() and dso.has("operator_token_url"):
        _operator(dso, probe, out)


def _ias_sign_ons(dso: Dso, probe: Probe, out: Findings) -> None:
    for acct in distinct_accounts(dso.section.get("accounts", []), skip=("suspended",)):
        key = f"{CONTRACT}.accounts[{acct['role']}]"
        resp = probe.send(out, key, lambda a=acct: dso.password_sign_on(a["role"]))
        if resp is None:
            return
        if where := wrong_place(resp):
            out.problem(f"{CONTRACT}.ias_password_url", where)
            return  # the other accounts would hit the same wrong path
        if 200 <= resp.status_code < 300 and isinstance(body_of(resp).get("access_token"), str):
            out.ok(key, "signs on at ias_password_url")
        else:
            out.problem(key, f"IAS password sign-on refused ({describe(resp)}): wrong username or password?")


def _operator(dso: Dso, probe: Probe, out: Findings) -> None:
    key = f"{CONTRACT}.operator_client_secret"
    if operator.static_token(dso.section):
        return  # the profile gives the portal token itself: nothing to request
    try:
        content, headers = operator.token_request(dso.section)  # as the suite will ask (operator.py)
    except Blocked as exc:
        out.problem(key, f'approval "portal": {exc}')
        return
    url = dso.url("operator_token_url")
    resp = probe.send(
        out, f"{CONTRACT}.operator_token_url", lambda: probe.http.post(url, content=content, headers=headers)
    )
    if resp is None:
        return
    if where := wrong_place(resp):
        out.problem(f"{CONTRACT}.operator_token_url", where)
    elif resp.status_code == 200 and isinstance(body_of(resp).get("access_token"), str):
        out.ok(key, "the operator portal client gets a token")
    else:
        out.problem(key, f"the operator portal client gets no token ({describe(resp)})")


def _basic(cid: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{quote_plus(cid)}:{quote_plus(secret)}".encode()).decode()


def _rfc8628(dso: Dso, probe: Probe, out: Findings) -> None:
    s = dso.section
    if not dso.has("device_authorization_url"):
        out.problem(f"{CONTRACT}.device_authorization_url", "variant rfc8628 needs it")
        return
    clients = [
        (f"{CONTRACT}.{k}", s[k], None) for k in ("public_client_id", "other_public_client_id") if s.get(k)
    ]
    if dso.features.get("confidential_client") and s.get("confidential_client_id"):
        auth = _basic(s["confidential_client_id"], s.get("confidential_client_secret", ""))
        clients.append((f"{CONTRACT}.confidential_client_secret", "", {"Authorization": auth}))
    for key, cid, headers in clients:
        resp = probe.send(out, key, lambda c=cid, h=headers: dso.authorize_raw(client_id=c, headers=h))
        if resp is None:
            return
        if where := wrong_place(resp):
            out.problem(f"{CONTRACT}.device_authorization_url", where)
            return
        if resp.status_code == 200 and isinstance(body_of(resp).get("device_code"), str):
            out.ok(key, "the client gets a device code")
        else:
            out.problem(key, f"the client gets no device code ({describe(resp)})")
    if dso.has("token_url") and s.get("public_client_id"):
        key = f"{CONTRACT}.token_url"
        pairs = [
            ("grant_type", DEVICE_GRANT),
            ("device_code", "preflight-unknown-code"),
            ("client_id", s["public_client_id"]),
        ]
        resp = probe.send(out, key, lambda: dso.form_post("token_url", pairs))
        if resp is not None:
            if problem := json_error_problem(resp, "an unknown device code"):
                out.problem(key, problem)
            else:
                out.ok(key, f"answers a JSON OAuth error ({describe(resp)}) to an unknown device code")
    if dso.has("verification_url"):
        _page(dso, probe, out)
    if dso.has("metadata_url"):
        json_document(probe, out, dso.url("metadata_url"), f"{CONTRACT}.metadata_url", "issuer")
    if "dsra" not in dso.features.get("variants", []):
        out.note(
            f"{CONTRACT}.accounts",
            "accounts sign in on the verification page; the run is their first sign-in",
        )


def _page(dso: Dso, probe: Probe, out: Findings) -> None:
    key = f"{CONTRACT}.verification_url"
    resp = probe.send(
        out, key, lambda: probe.http.get(dso.url("verification_url"), headers={"Accept": "text/html"})
    )
    if resp is None:
        return
    if resp.status_code in (404, 405, 410, 501) or resp.status_code >= 500:
        out.problem(key, f"answers {describe(resp)}: is the path right?")
    elif 200 <= resp.status_code < 400 and (resp.status_code != 200 or media_type_of(resp) == "text/html"):
        out.ok(key, f"answers a page ({describe(resp)})")
    else:
        out.problem(key, f"answers {describe(resp)}; expected the HTML page where users type the code")
