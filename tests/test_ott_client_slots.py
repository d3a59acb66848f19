"""The ott_idp profile slots issue 9 added: extra clients by role and the two throttles."""

from __future__ import annotations

import copy
import tomllib

from conformance import resources
from conformance.profile import validate

REFERENCE = tomllib.loads(resources.profile_path("reference.toml").read_text())


def _problems(edit) -> list[str]:
    data = copy.deepcopy(REFERENCE)
    edit(data["ott_idp"])
    return [p for p in validate(data, "p") if "ott_idp" in p]


def test_the_reference_profile_declares_every_slot() -> None:
    section = REFERENCE["ott_idp"]
    assert {c["role"] for c in section["clients"]} == {"restricted", "reserved", "lockout"}
    assert section["client_throttle"] and section["signup_throttle"]
    assert _problems(lambda s: None) == []


def test_a_lockout_client_that_is_the_main_client_is_refused() -> None:
    def same_id(s):
        s["clients"][2]["client_id"] = s["client_id"]

    assert any("used by more than one client" in p for p in _problems(same_id))


def test_a_client_throttle_without_a_lockout_client_is_refused() -> None:
    def no_lockout(s):
        s["clients"] = [c for c in s["clients"] if c["role"] != "lockout"]

    assert any("role 'lockout'" in p for p in _problems(no_lockout))


def test_an_unknown_client_role_is_refused() -> None:
    def odd_role(s):
        s["clients"][0]["role"] = "admin"

    assert _problems(odd_role)
