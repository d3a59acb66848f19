"""Conforming variants: the clean suite accepts every alternative the specs allow.

Faults prove the suite catches what is wrong; variants (reference_server/variants) prove it accepts
what is right. For each contract the variants that can be served together run as one suite run
against an embedded server serving them all, and every requirement must stay PASS (or SKIP as not
applicable or not testable, as on the plain server); none FAIL, ERROR, BLOCKED or WARN.

Each variant must also be real: a reply variant must have changed at least one reply the suite
received (the server counts the replies each variant changed), and a variant that changes no reply
(settings, paths, features) has a probe below that sees the difference against the plain server.

A variant the suite wrongly refuses is a false FAIL of the suite, not of the variant: it runs alone,
marked ``xfail(strict=True)`` with the requirement the suite gets wrong, until the check is fixed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import runner
from conformance.profile import REFERENCE_PROFILE, load
from reference_server.server import EmbeddedServer
from reference_server.variants import compatible_groups, for_contract, load_all
from tests.conftest import ROOT, cli

CONTRACTS = ("ott_idp", "device_signon", "platform_sso", "partner_sso")
MINIMUM = {"ott_idp": 8, "device_signon": 6, "platform_sso": 6, "partner_sso": 3}

# Variants the suite wrongly refuses today: variant -> the false verdict (see the module docstring).
SUITE_FALSE_FAILS: dict[str, str] = {}
# Requirements a variant may legitimately turn WARN: the SHOULD it forgoes by design.
EXPECTED_WARNS = {"ott_idp.no_expires_in": {"OTT-TOKEN-005"}}


def _plan() -> list[Any]:
    params = []
    for contract in CONTRACTS:
        variants = for_contract(contract)
        together = [v for v in variants if v.name not in SUITE_FALSE_FAILS]
        for group in compatible_groups(together):
            names = [v.name for v in group]
            params.append(pytest.param(contract, names, id=f"{contract}-{len(names)}-together"))
        for v in variants:
            if v.name in SUITE_FALSE_FAILS:
                mark = pytest.mark.xfail(strict=True, reason=SUITE_FALSE_FAILS[v.name])
                params.append(pytest.param(contract, [v.name], id=v.name, marks=mark))
    return params


def _run_suite(contract: str, names: list[str], report_dir: Path) -> tuple[dict[str, Any], Any]:
    """The suite (a subprocess, as `conformance run` would run it) against a server serving ``names``."""
    profile = load(REFERENCE_PROFILE)
    with EmbeddedServer(profile.data, variants=names) as server:
        args = runner.suite_args(
            str(REFERENCE_PROFILE), [contract], report_dir, target_url=server.url, variants=names
        )
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        changed = dict(server.state.variants.changed)
    results = report_dir / "results.json"
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(results.read_text()), changed


def _unexpected(data: dict[str, Any], names: list[str]) -> list[str]:
    """Requirements whose status the plain server would not have: anything but PASS or a SKIP as
    not applicable/not testable, and WARN only where a variant forgoes that SHOULD."""
    warns = set().union(*(EXPECTED_WARNS.get(n, set()) for n in names))
    bad = []
    for r in data["requirements"]:
        status, message = r["status"], r["message"]
        if status == "PASS" or (status == "WARN" and r["id"] in warns):
            continue
        if status == "SKIP" and message.startswith(("not applicable", "not tested")):
            continue
        bad.append(f"{r['id']} {status}: {message[:200]}")
    return bad


@pytest.mark.parametrize(("contract", "names"), _plan())
def test_clean_suite_accepts_the_variants(contract, names, tmp_path):
    data, changed = _run_suite(contract, names, tmp_path)
    assert not _unexpected(data, names), "\n".join(_unexpected(data, names))
    # A --contract run of a multi-contract profile is PARTIAL for that reason alone.
    assert data["verdict"] in ("CONFORMANT", "PARTIAL"), data["verdict"]
    assert all(p["kind"] == "contracts" for p in data.get("partial", [])), data.get("partial")
    registry = load_all()
    silent = [n for n in names if registry[n].changes_replies and not changed.get(n)]
    assert not silent, f"variants that changed no reply the suite received: {silent}"


def test_every_contract_has_its_variants():
    for contract, minimum in MINIMUM.items():
        variants = for_contract(contract)
        assert len(variants) >= minimum, f"{contract}: {len(variants)} variants"
        for v in variants:
            assert v.spec and v.description, v.name
    missing = [v.name for v in for_contract() if not v.changes_replies and v.name not in PROBES]
    assert not missing, f"variants with neither a reply transform nor a wire probe: {missing}"


def test_cli_lists_variants_and_refuses_unknown_ones(tmp_path):
    listed = cli("variants")
    assert listed.returncode == 0, listed.stderr
    for v in for_contract():
        assert v.name in listed.stdout and v.spec in listed.stdout
    refused = cli("run", "--variant", "ott_idp.no_such_variant", "--report-dir", str(tmp_path))
    assert refused.returncode == 2 and "unknown variant" in refused.stderr


# --- probes: what a variant that changes no reply changes on the wire ------------------------------


def _ott(server: EmbeddedServer, client: httpx.Client) -> Any:
    s = server.state.section("ott_idp")
    primary = next(a for a in s["accounts"] if a["role"] == "primary")
    form = {
        "grant_type": "password",
        "username": primary["username"],
        "password": primary["password"],
        "scope": "openid email",
    }
    token_path = server.state.base_settings["ott_idp"].token_path
    resp = client.post(server.url + token_path, data=form, auth=(s["client_id"], s["client_secret"]))
    return token_path, resp.status_code, sorted(resp.json()) if resp.status_code == 200 else None


def _ott_jwks(server: EmbeddedServer, client: httpx.Client) -> Any:
    doc = client.get(server.url + "/.well-known/openid-configuration").json()
    return doc["jwks_uri"].removeprefix(server.url), client.get(doc["jwks_uri"]).status_code


def _dso_device_authorization(server: EmbeddedServer, client: httpx.Client) -> Any:
    s = server.state.section("device_signon")
    path = server.state.base_settings["device_signon"].device_authorization_path
    resp = client.post(server.url + path, data={"client_id": s["public_client_id"], "scope": "openid"})
    body = resp.json()
    return path, resp.status_code, body["user_code"].replace("-", "").isdigit()


def _psso_app(server: EmbeddedServer, client: httpx.Client) -> tuple[dict[str, str], str]:
    """A registered application's API headers, and its client credentials as a form."""
    from conformance.suite.platform_sso import tokens
    from conformance.suite.platform_sso.client import DEVICE_INFO, b64, device_id

    section = server.state.section("platform_sso")
    statement = tokens.software_statement(section, "first", profile_dir=Path(REFERENCE_PROFILE).parent)
    info = b64(json.dumps(DEVICE_INFO))
    reg = client.post(
        server.url + "/o/client/register",
        json={"software_statement": statement},
        headers={"X-Device-Info": info},
    ).json()
    form = f"client_id={reg['client_id']}&client_secret={reg['client_secret']}&grant_type=client_credentials"
    return {"X-Device-Info": info, "AP-Device-Identifier": device_id()}, form


def _psso_logout_without_redirect(server: EmbeddedServer, client: httpx.Client) -> Any:
    headers, form = _psso_app(server, client)
    ct = {"Content-Type": "application/x-www-form-urlencoded"}
    token = client.post(server.url + "/o/client/token", content=form, headers=ct).json()["access_token"]
    headers["Authorization"] = f"Bearer {token}"
    section = server.state.section("platform_sso")
    url = f"{server.url}/api/v2/{section['service_provider']}/logout/{section['mvpd']}"
    return client.get(url, headers=headers).status_code


def _psso_token_in_query(server: EmbeddedServer, client: httpx.Client) -> Any:
    _, form = _psso_app(server, client)
    return client.post(server.url + "/o/client/token?" + form).status_code


PROBES: dict[str, Callable[[EmbeddedServer, httpx.Client], Any]] = {
    "ott_idp.custom_paths": _ott_jwks,
    "ott_idp.no_refresh_token": _ott,
    "device_signon.numeric_user_code": _dso_device_authorization,
    "device_signon.custom_paths": _dso_device_authorization,
    "platform_sso.logout_redirect_optional": _psso_logout_without_redirect,
    "platform_sso.dcr_token_form_only": _psso_token_in_query,
}


def _observe(name: str, variants: list[str]) -> Any:
    profile = load(REFERENCE_PROFILE)
    with EmbeddedServer(profile.data, variants=variants) as server, httpx.Client(timeout=10) as client:
        return PROBES[name](server, client)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_sees_the_variant_on_the_wire(name):
    assert _observe(name, []) != _observe(name, [name])
