"""What a pre-flight needs to try a profile against its target: one request at a time, judged in one line.

Each contract's ``suite/<contract>/preflight.py`` uses these to ask "would this profile let the
suite test the vendor?". A finding names the profile key a user edits (``<contract>.<key>``) and
never carries a secret: vendor answers are summarised by status, media type and OAuth ``error``
code only (an ``error_description`` may echo a username).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.bodies import body_of, json_of, media_type_of
from conformance.checks import Blocked
from conformance.http import HarnessError, Http
from conformance.profile import Profile
from conformance.redact import Redactor

_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")  # an error code safe to print (not free text)


@dataclass
class Findings:
    """``ok`` and ``problem`` lines, in the order they were found."""

    oks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def ok(self, key: str, what: str) -> None:
        self.oks.append(f"{key}: {what}")

    def problem(self, key: str, what: str) -> None:
        self.problems.append(f"{key}: {what}")

    def note(self, key: str, what: str) -> None:
        self.notes.append(f"{key}: {what}")


class Probe:
    """The suite's own HTTP client and redactor, for one pre-flight (nothing it sees is recorded)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.redactor = Redactor(secrets.token_bytes(16), profile.secrets)
        self.http = Http(self.redactor, profile.timeout)

    def close(self) -> None:
        self.http.close()

    def send(self, out: Findings, key: str, call: Callable[[], Any]) -> Any:
        """``call()``, or None after recording why it could not be made (network, missing key)."""
        try:
            return call()
        except HarnessError as exc:
            out.problem(key, str(exc))
        except Blocked as exc:
            out.problem(key, str(exc))
        return None


def error_of(resp: httpx.Response) -> str:
    """The OAuth-style ``error`` code, when it is a short printable code; else ''."""
    code = body_of(resp).get("error")
    return code if isinstance(code, str) and _CODE.match(code) else ""


def describe(resp: httpx.Response) -> str:
    """``HTTP 401 application/json invalid_client``: what a user needs to see, nothing the vendor wrote."""
    parts = [f"HTTP {resp.status_code}", media_type_of(resp) or "no content type"]
    if error_of(resp):
        parts.append(error_of(resp))
    return " ".join(parts)


def wrong_place(resp: httpx.Response) -> str:
    """Why an answer cannot come from the endpoint the profile names ('' when it may)."""
    if resp.status_code in (404, 405, 410, 501):
        return f"answers {describe(resp)}: is the path right?"
    if resp.status_code in (301, 302, 303, 307, 308):
        return f"answers a redirect ({describe(resp)}) to {resp.headers.get('location', '?')!r}"
    if media_type_of(resp) == "text/html":
        return f"answers an HTML page ({describe(resp)}), not the API"
    return ""


def json_error_problem(resp: httpx.Response, asked: str) -> str:
    """'' when ``resp`` is a 4xx JSON error object with a string ``error``; else what is wrong."""
    where = wrong_place(resp)
    if where:
        return where
    if not 400 <= resp.status_code < 500 or not error_of(resp):
        return f"answers {describe(resp)} to {asked}; expected a 4xx JSON OAuth error"
    return ""


def json_object_problem(resp: httpx.Response, member: str | None = None) -> str:
    """'' when ``resp`` is 200 with a JSON object (holding ``member`` when named); else what is wrong."""
    where = wrong_place(resp)
    if where:
        return where
    body = json_of(resp)
    if resp.status_code != 200 or not isinstance(body, dict):
        return f"answers {describe(resp)}; expected 200 with a JSON object"
    if member and member not in body:
        return f"answers a JSON object without {member!r}"
    return ""


def same_accounts(
    contract: str, accounts: list[dict[str, Any]], why: Callable[[list[str]], str]
) -> list[str]:
    """One problem line per account named in more than one role (usernames compared case-blind).

    The usernames are not printed: they are personal data. An account tied to an MVPD is another
    account at another MVPD, so ``mvpd`` is part of its identity when the profile gives one.
    """
    roles_of: dict[tuple[str, str], list[str]] = {}
    for a in accounts:
        if isinstance(a, dict) and isinstance(a.get("username"), str) and a.get("role"):
            ident = (a["username"].strip().casefold(), str(a.get("mvpd", "")))
            roles_of.setdefault(ident, []).append(str(a["role"]))
    lines = []
    for roles in roles_of.values():
        if len(roles) > 1:
            named = ", ".join(roles[:-1]) + f" and {roles[-1]}"
            lines.append(f"{contract}.accounts: roles {named} name the same account; {why(roles)}")
    return lines


def distinct_accounts(accounts: list[dict[str, Any]], skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """One account per identity (the first role naming it), so each signs in once."""
    seen, out = set(), []
    for a in accounts:
        if not isinstance(a, dict) or a.get("role") in skip or not isinstance(a.get("username"), str):
            continue
        ident = (a["username"].strip().casefold(), str(a.get("mvpd", "")))
        if ident not in seen:
            seen.add(ident)
            out.append(a)
    return out


def json_document(probe: Probe, out: Findings, url: str, key: str, member: str | None = None) -> None:
    """GET a JSON document (discovery, metadata, JWKS): 200 with a JSON object holding ``member``."""
    resp = probe.send(out, key, lambda: probe.http.get(url, headers={"Accept": "application/json"}))
    if resp is None:
        return
    if problem := json_object_problem(resp, member):
        out.problem(key, problem)
    else:
        out.ok(key, "answers a JSON document")
