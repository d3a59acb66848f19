"""Races: N parallel redemptions after approval; exactly one succeeds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.bodies import body_of

req = pytest.mark.requirement
N = 6


def parallel(fn, n: int = N) -> list:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: fn(), range(n)))


@req("DSO-DSRA-013")
def test_parallel_polls_deliver_one_token(dso, check):
    reg = dso.register()
    dso.approve_by_any_route(reg)
    reg.wait_period()
    answers = parallel(lambda: dso.poll(reg.token))
    got = [r for r in answers if "signOnActivationToken" in body_of(r)]
    for r in got:
        dso.redactor.remember(body_of(r)["signOnActivationToken"])
    check.that(
        "DSO-DSRA-013",
        len(got) == 1,
        f"{len(got)} of {N} parallel polls delivered a token",
        passed=f"exactly one of {N} parallel polls delivered a token",
    )


@req("DSO-IAS-002")
def test_parallel_activation_sign_ons(dso, check):
    _, got, _ = dso.activated()
    answers = parallel(lambda: dso.activation_sign_on(got["signOnActivationToken"]))
    ok = [r for r in answers if 200 <= r.status_code < 300]
    check.that(
        "DSO-IAS-002",
        len(ok) == 1,
        f"{len(ok)} of {N} parallel sign-ons with one activation token succeeded",
        passed=f"exactly one of {N} parallel sign-ons succeeded",
    )


@req("DSO-8628-017")
def test_parallel_device_code_redemption(dso, check):
    da = dso.approved("primary")
    da.wait_interval()
    answers = parallel(lambda: dso.token_poll(da.device_code))
    ok = [r for r in answers if "access_token" in body_of(r)]
    check.that(
        "DSO-8628-017",
        len(ok) == 1,
        f"{len(ok)} of {N} parallel redemptions of one device_code got tokens",
        passed=f"exactly one of {N} parallel redemptions got tokens",
    )
