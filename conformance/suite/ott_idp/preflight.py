"""Pre-flight of `ott_idp`: would this profile let the suite test the IdP?

The token endpoint must answer a request without credentials with a JSON OAuth error (a 404 or
an HTML page means a wrong path); the client credentials and every account must sign in. Each
distinct account signs in once, with its right password: no wrong password is ever sent, so
nothing here counts towards a lockout (the lockout account included).
"""

from __future__ import annotations

from conformance.bodies import body_of
from conformance.probe import (
    Findings,
    Probe,
    describe,
    distinct_accounts,
    error_of,
    json_document,
    json_error_problem,
    same_accounts,
    wrong_place,
)
from conformance.profile import Profile
from conformance.suite.ott_idp.client import CONTRACT, Ott


def static(profile: Profile) -> list[str]:
    """Problems visible in the profile alone."""

    def why(roles: list[str]) -> str:
        if "lockout" in roles:
            return "the brute-force test locks it, and every later sign-in of the others fails"
        return "tests that compare two accounts need two"

    return same_accounts(CONTRACT, profile.section(CONTRACT).get("accounts", []), why)


def check(profile: Profile, probe: Probe, out: Findings) -> None:
    ott = Ott(profile, probe.http, probe.redactor)
    s = profile.section(CONTRACT)
    key = f"{CONTRACT}.token_url"
    resp = probe.send(out, key, lambda: ott.token(None, None, None, grant_type=None, auth={}))
    if resp is not None:
        if problem := json_error_problem(resp, "a request without client credentials"):
            out.problem(key, problem)  # and no sign-in: each would fail for the same reason
        else:
            out.ok(key, f"answers a JSON OAuth error ({describe(resp)}) to a request without credentials")
            if _sign_ins(ott, probe, out):
                _extra_clients(ott, probe, out)
    if s.get("signup_url"):
        key = f"{CONTRACT}.signup_url"
        resp = probe.send(out, key, lambda: ott.signup(None, None, auth={}))
        if resp is not None:
            if problem := json_error_problem(resp, "a sign-up without client credentials"):
                out.problem(key, problem)
            else:
                out.ok(key, f"answers a JSON error ({describe(resp)}) to a sign-up without credentials")
    for name, member in (("discovery_url", "issuer"), ("jwks_url", "keys")):
        if s.get(name):
            json_document(probe, out, profile.url(CONTRACT, name), f"{CONTRACT}.{name}", member)


def _sign_ins(ott: Ott, probe: Probe, out: Findings) -> bool:
    """The client and each account, one password grant per distinct account (primary first).

    True when the profile's client is accepted (then the extra clients are worth trying).
    """
    accounts = distinct_accounts(ott.section.get("accounts", []))
    accounts.sort(key=lambda a: a.get("role") != "primary")
    client_ok = False
    for acct in accounts:
        key = f"{CONTRACT}.accounts[{acct['role']}]"
        resp = probe.send(out, key, lambda a=acct: ott.token(a["username"], a["password"], "openid email"))
        if resp is None:
            return False
        error = error_of(resp)
        if error in ("invalid_client", "unauthorized_client") or resp.status_code == 401:
            why = "refused" if error != "unauthorized_client" else "not allowed the password grant"
            out.problem(
                f"{CONTRACT}.client_secret",
                f"the client (client_id, client_secret) is {why} ({describe(resp)})",
            )
            return False  # every other sign-in would be refused the same way
        if not client_ok:
            out.ok(f"{CONTRACT}.client_secret", "the client credentials are accepted")
            client_ok = True
        if resp.status_code == 200 and not error and body_of(resp):
            out.ok(key, "signs in")
        elif error == "invalid_grant":
            out.problem(key, f"sign-in refused ({describe(resp)}): wrong username or password?")
        elif where := wrong_place(resp):
            out.problem(key, f"the password grant {where}")
        else:
            out.problem(key, f"sign-in did not succeed ({describe(resp)})")
    return client_ok


def _extra_clients(ott: Ott, probe: Probe, out: Findings) -> None:
    """Each extra client's credentials, with a password grant that names no account.

    No account signs in again (one sign-in per account): any answer but ``invalid_client`` (or a
    401) shows the credentials were accepted. The lockout client is sent its right secret only.
    The reserved-character client is left to the run: decoding its credentials is the very rule
    (OTT-CLIENT-001) its test judges.
    """
    for client in ott.section.get("clients", []):
        role = client.get("role")
        key = f"{CONTRACT}.clients[{role}]"
        if role == "reserved":
            out.note(key, "not pre-checked: accepting these credentials is what OTT-CLIENT-001 judges")
            continue
        if not client.get("client_id") or not client.get("client_secret"):
            continue  # the schema reports a client without id or secret
        auth = ott.basic(client["client_id"], client["client_secret"])
        resp = probe.send(out, key, lambda a=auth: ott.token(None, None, "openid", auth=a))
        if resp is None:
            return
        if error_of(resp) == "invalid_client" or resp.status_code == 401:
            out.problem(key, f"the client credentials are refused ({describe(resp)})")
        else:
            out.ok(key, f"the client credentials are accepted ({describe(resp)})")
