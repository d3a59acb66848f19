"""The fault seam refuses what would make a fault silently do nothing, when it is registered."""

from __future__ import annotations

import dataclasses
import importlib

import pytest

from reference_server.endpoint import EndpointName, Endpoints
from reference_server.faults import CONTRACTS, load_all, register
from reference_server.faults.transforms import set_status


def test_a_misspelt_endpoint_fails_at_import():
    declared = Endpoints("seam_test", "token")
    with pytest.raises(AttributeError, match="seam_test has no endpoint 'tokn'"):
        declared.tokn  # noqa: B018 - what a typo in a fault module does
    with pytest.raises(ValueError, match="declared endpoint constant"):
        register("seam_test.x", "seam_test", ["X-1"], "x", endpoint=EndpointName("seam_test", "tokn"),
                 reply=set_status(500))  # fmt: skip


def test_a_fault_has_exactly_one_kind():
    with pytest.raises(ValueError, match="exactly one of"):
        register("seam_test.y", "seam_test", ["X-1"], "y", deviate={"a": True}, configure={"b": 1})
    with pytest.raises(ValueError, match="exactly one of"):
        register("seam_test.z", "seam_test", ["X-1"], "z")


def test_every_contract_is_clean_by_default():
    """Deviations are all off in a clean server, and no switch hides among the settings."""
    load_all()
    for contract in CONTRACTS:
        try:
            module = importlib.import_module(f"reference_server.{contract}")
        except ModuleNotFoundError:
            continue
        deviations = {f.name: f.default for f in dataclasses.fields(module.Deviations)}
        assert deviations and not any(deviations.values()), contract
        settings = {f.name for f in dataclasses.fields(module.Settings)}
        assert not settings & set(deviations), contract
