"""The profile schema knows every key the kit reads, so a misspelt key stops a run before anything is sent."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re

import pytest

from conformance import catalogue, resources
from conformance.profile import problems
from tests.conftest import cli

SCHEMA = json.loads(resources.schema_path("profile.schema.json").read_text())
COMMITTED = sorted(resources.profiles_dir().glob("*.toml"))
SERVED = ("ott_idp", "device_signon", "platform_sso")  # contracts the reference server implements
# Keys of [reference_server.platform_sso] that name files; Settings.from_profile reads them into these fields.
FILE_FIELDS = {
    "software_statement_key_files": "software_statement_keys",
    "identity_jws_key_files": "identity_jws_keys",
    "identity_jwe_decryption_key_files": "identity_jwe_keys",
}


def _resolve(node: dict) -> dict:
    ref = node.get("$ref", "")
    return SCHEMA["$defs"][ref.rsplit("/", 1)[1]] if ref.startswith("#/$defs/") else node


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_every_committed_profile_validates(path):
    names = set(re.findall(r"\$\{([A-Z_]+)", path.read_text()))
    assert problems(path, env={n: f"value-of-{n.lower()}" for n in names}) == []


def test_every_contract_has_a_section():
    for contract in catalogue.CONTRACTS:
        assert contract in SCHEMA["properties"], contract
        assert contract in SCHEMA["properties"]["target"]["properties"]["contracts"]["items"]["enum"]
    for contract in SERVED:
        assert _resolve(SCHEMA["properties"][contract])["additionalProperties"] is False


@pytest.mark.parametrize("contract", SERVED)
def test_reference_server_keys_are_settings_fields(contract):
    tuning = _resolve(SCHEMA["properties"]["reference_server"])["properties"][contract]
    settings = importlib.import_module(f"reference_server.{contract}").Settings
    fields = {f.name for f in dataclasses.fields(settings)}
    unknown = {key for key in tuning["properties"] if FILE_FIELDS.get(key, key) not in fields}
    assert not unknown, f"[reference_server.{contract}] keys that are no Settings field: {sorted(unknown)}"


# (table in reference.toml, a misspelt key added to it, the key it should suggest)
MISSPELT = [
    ("[ott_idp]", "tokn_url", "token_url"),
    ("[device_signon]", "tokn_url", "token_url"),
    ("[platform_sso]", "api_bse_url", "api_base_url"),
    ("[device_signon.features]", "varaints", "variants"),
    ("[reference_server.ott_idp]", "id_token_tll_s", "id_token_ttl_s"),
    ("[reference_server.device_signon]", "code_tll_s", "code_ttl_s"),
    ("[reference_server.platform_sso]", "profile_tll_s", "profile_ttl_s"),
]


@pytest.fixture(params=MISSPELT, ids=lambda m: f"{m[0]}{m[1]}")
def misspelt(request, tmp_path):
    table, key, suggestion = request.param
    text = resources.profile_path("reference.toml").read_text()
    assert text.count(f"\n{table}\n") == 1
    path = tmp_path / "misspelt.toml"
    path.write_text(text.replace(f"\n{table}\n", f'\n{table}\n{key} = "1"\n'))
    return path, f"profile {path}: {table} unknown key {key!r} (did you mean {suggestion!r}?)"


def test_misspelt_key_stops_doctor_with_one_line(misspelt):
    path, line = misspelt
    proc = cli("doctor", "--profile", str(path))
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert [o for o in proc.stdout.splitlines() if "unknown key" in o] == [f"problem: {line}"]


def test_misspelt_key_stops_run_before_anything_is_sent(misspelt, tmp_path):
    path, line = misspelt
    reports = tmp_path / "reports"
    proc = cli("run", "--profile", str(path), "--report-dir", str(reports))
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert [o for o in proc.stderr.splitlines() if "unknown key" in o] == [f"conformance: {line}"]
    assert not reports.exists()  # the suite never started


def test_unknown_key_without_a_close_match_lists_the_known_ones(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[target]\nembedded = true\ncontracts = ["ott_idp"]\nzzz = 1\n')
    (line,) = [p for p in problems(path, env={}) if "zzz" in p]
    known = "base_url, contracts, embedded, timeout_s"
    assert line == f"profile {path}: [target] unknown key 'zzz' (known keys: {known})"


def test_partner_sso_example_documents_every_key(tmp_path):
    """example-partner-sso.toml names every key of [partner_sso], its features and its SAML table
    (set, or commented out), and its `saml = "hook"` alternative validates once uncommented."""
    path = resources.profile_path("example-partner-sso.toml")
    text = path.read_text()
    section = SCHEMA["$defs"]["partner_sso"]["properties"]
    keys = set(section) | set(section["features"]["properties"]) | set(section["saml"]["properties"])
    missing = sorted(
        k for k in keys if not re.search(rf"(?m)^#? *{k} *=", text) and f"[partner_sso.{k}]" not in text
    )
    assert not missing, f"example-partner-sso.toml does not document {missing}"
    variant = tmp_path / path.name
    variant.write_text(
        text.replace('saml = "sign"', 'saml = "hook"').replace("# response_command = ", "response_command = ")
    )
    assert problems(variant, env={}) == []
    variant.write_text(text.replace('saml = "sign"', 'saml = "hook"'))
    assert [p.split(": ", 1)[1] for p in problems(variant, env={})] == [
        "partner_sso.saml: 'response_command' is a required property"
    ]
