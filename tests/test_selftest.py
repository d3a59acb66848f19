"""Every fault of the reference server is caught by the suite, and nothing else moves."""

from __future__ import annotations

import re

import pytest

from conformance import catalogue
from reference_server.faults import for_contract
from tests.conftest import cli


# ott_idp is cheap enough to prove at full depth (the whole suite per fault); the contracts with
# timed flows run focused (per fault, the tests that declare its targets), see conformance/selftest.py.
@pytest.mark.parametrize(
    "contract, depth",
    [("ott_idp", ["--full"]), ("device_signon", []), ("platform_sso", []), ("partner_sso", [])],
)
def test_selftest_catches_every_fault(contract, depth):
    proc = cli("selftest", "--contract", contract, *depth, timeout=600)
    last = proc.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"(\d+)/(\d+) faults caught", last)
    assert match, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert match.group(1) == match.group(2), proc.stdout[-3000:]
    # The clean run is complete for the contract under test: CONFORMANT, never PARTIAL.
    assert "clean run: CONFORMANT" in proc.stdout, proc.stdout[-3000:]
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.parametrize("contract", ["ott_idp", "device_signon", "platform_sso", "partner_sso"])
def test_every_must_has_a_fault_and_targets_exist(contract):
    reqs = catalogue.load(contract).requirements
    targeted = {t for f in for_contract(contract) for t in f.targets}
    assert targeted <= set(reqs), sorted(targeted - set(reqs))
    musts = {r.id for r in reqs.values() if r.level == "MUST" and not r.untestable}
    assert not musts - targeted, f"MUSTs without a fault: {sorted(musts - targeted)}"
