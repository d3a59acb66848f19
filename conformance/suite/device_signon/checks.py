"""Checks of `device_signon` answers, named like the sentence they check, each taking the requirement id.

The OAuth ones every contract shares (``oauth_error``, ``no_store``, ...) are in conformance/oauth_checks.py.
Every one judges whatever the vendor sent (wrong types, garbage) and never raises on it.
"""

from __future__ import annotations

from typing import Any

import httpx

from conformance.bodies import body_of
from conformance.checks import Checker
from conformance.suite.device_signon.client import Dso, Registration
from conformance.suite.device_signon.codes import code_alphabet_ok, embeds_code, entropy_bits


def nothing_approved(check: Checker, req: str, dso: Dso, reg: Registration) -> bool:
    """After a refused approval, the device's next poll (one period on) still gets no token."""
    reg.wait_period()
    resp = dso.poll(reg.token)
    pending = "signOnActivationToken" not in body_of(resp)
    return check.that(
        req, pending, f"the code was approved anyway (D2 {resp.status_code})", passed="nothing approved"
    )


def positive_number(check: Checker, req: str, name: str, value: Any, passed: str = "") -> bool:
    """An advertised timing is a JSON number above zero (a numeric string or a boolean is not)."""
    return check.that(
        req,
        isinstance(value, int | float) and not isinstance(value, bool) and value > 0,
        f"{name} is {value!r}, expected a positive number",
        passed=passed or f"{name} is {value!r}",
    )


def enough_entropy(check: Checker, req: str, what: str, samples: list[str]) -> bool:
    """Secrets the vendor issues carry at least 128 bits each (estimated from what varies between
    the samples: codes.entropy_bits)."""
    bits = entropy_bits(samples)
    return check.that(
        req,
        bits >= 128,
        f"{what} carry about {bits:.0f} bits (only what varies between {len(samples)} samples counts)",
        passed=f"{what} carry about {bits:.0f} bits",
    )


def keeps_code_out(check: Checker, req: str, what: str, pairs: list[tuple[str, str]]) -> bool:
    """No token embeds the code issued with it (plainly or base64/hex-encoded): ``pairs`` are
    (token, code)."""
    embedded = sum(1 for token, code in pairs if embeds_code(token, code))
    return check.that(
        req,
        not embedded,
        f"{embedded} of {len(pairs)} {what} embed the registration code issued with them",
        passed=f"none of {len(pairs)} {what} embeds its code (plain, base64 or hex)",
    )


def codes_well_formed(check: Checker, req: str, what: str, codes: list[str]) -> bool:
    """Every code a person types is at least 8 base-20 characters (or 9 digits)."""
    bad = [why for ok, why in (code_alphabet_ok(code) for code in codes) if not ok]
    return check.that(
        req,
        not bad,
        f"{len(bad)} of {len(codes)} {what} fail: {bad[0] if bad else ''}",
        passed=f"{len(codes)} {what}, all at least 8 base-20 characters",
    )


def challenges_with(check: Checker, req: str, resp: httpx.Response, scheme: str) -> bool:
    """WWW-Authenticate names the ``scheme`` ("basic", "bearer") the client must authenticate with."""
    www = resp.headers.get("www-authenticate", "")
    return check.that(
        req,
        www.lower().startswith(scheme),
        f"WWW-Authenticate is {www or 'missing'!r}",
        passed=f"WWW-Authenticate: {www}",
    )
