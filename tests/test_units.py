"""Unit tests of the pure parts: profile loading, redaction, catalogue applicability."""

from __future__ import annotations

import base64

import pytest

from conformance import catalogue
from conformance.profile import REFERENCE_PROFILE, ProfileError, load
from conformance.redact import Redactor


def test_reference_profile_loads_and_collects_secrets():
    profile = load(REFERENCE_PROFILE, env={})
    assert profile.embedded
    assert "ref-ott-client-secret-7f3a9c2e51d84b06aa" in profile.secrets
    assert "ref-ott-client-secret-7f3a9c2e51d84b06aa" not in profile.fingerprint()


def test_env_overrides_default_and_missing_var_is_one_line(tmp_path):
    profile = load(REFERENCE_PROFILE, env={"OTT_CLIENT_SECRET": "from-env-secret"})
    assert profile.section("ott_idp")["client_secret"] == "from-env-secret"
    broken = tmp_path / "p.toml"
    broken.write_text(
        'name = "x"\n[target]\nbase_url = "http://127.0.0.1:1"\ncontracts = ["ott_idp"]\n'
        '[ott_idp]\nclient_secret = "${NOPE_NOT_SET}"\n'
    )
    with pytest.raises(ProfileError) as err:
        load(broken, env={})
    assert "NOPE_NOT_SET" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("text", ["not toml [", 'name = 3\n[target]\ncontracts = ["nope"]\n'])
def test_broken_profiles_give_one_line(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as err:
        load(path, env={})
    assert "\n" not in str(err.value)


def test_redactor_masks_known_values_basic_and_jwt_claims():
    r = Redactor(b"salt", {"hunter2-secret"})
    assert "hunter2-secret" not in r.text("the secret is hunter2-secret!")
    basic = base64.b64encode(b"client:pw-abcdef").decode()
    masked = r.headers([("Authorization", f"Basic {basic}")])
    assert basic not in str(masked)
    assert "pw-abcdef" not in r.text("echo pw-abcdef")  # learnt from the Basic header
    body = r.body("application/x-www-form-urlencoded", b"username=a%40b.c&password=xyz12&grant_type=password")
    assert "xyz12" not in body and "a@b.c" not in body and "grant_type=password" in body
    # Same value, same fingerprint: an auditor can match repeats without seeing them.
    assert r.mask("tok-123456") == r.mask("tok-123456") != r.mask("tok-654321")


def test_applies_when_conditions():
    req = catalogue.Requirement(
        "X-1",
        "ott_idp",
        "MUST",
        "CONFIRMED",
        "s",
        "t",
        applies_when=("refresh_token", "verify=jwks", "!legacy"),
    )
    assert catalogue.applies(req, {"refresh_token": True, "verify": "jwks"})[0]
    assert catalogue.applies(req, {"refresh_token": True, "verify": ["pem", "jwks"]})[0]
    assert not catalogue.applies(req, {"refresh_token": False, "verify": "jwks"})[0]
    assert not catalogue.applies(req, {"refresh_token": True, "verify": "jwks", "legacy": 1})[0]


def test_proposed_must_is_should_unless_claimed():
    req = catalogue.Requirement("X-2", "ott_idp", "MUST", "PROPOSED", "s", "t")
    assert req.effective_level(claimed=False) == "SHOULD"
    assert req.effective_level(claimed=True) == "MUST"


def _result(level, status):
    from conformance.results import RequirementResult

    req = catalogue.Requirement("X-3", "ott_idp", level, "CONFIRMED", "s", "t")
    return RequirementResult(req, level, status, "")


def test_verdict_is_one_function_of_the_statuses():
    from conformance.results import verdict

    assert verdict([_result("MUST", "PASS"), _result("SHOULD", "WARN")]) == "CONFORMANT"
    assert verdict([_result("MUST", "FAIL"), _result("MUST", "ERROR")]) == "NON-CONFORMANT"
    assert verdict([_result("MUST", "PASS"), _result("MUST", "ERROR")]) == "INCOMPLETE"
    assert verdict([_result("MUST", "SKIP")]) == "INCOMPLETE"  # nothing shown to hold
    assert verdict([_result("MUST", "PASS")], ["collection failed"]) == "INCOMPLETE"
    partial = [{"kind": "deselected", "reason": "2 tests deselected"}]
    assert verdict([_result("MUST", "PASS")], [], partial) == "PARTIAL"  # never CONFORMANT
    assert verdict([_result("MUST", "FAIL")], [], partial) == "NON-CONFORMANT"
    # A MUST BLOCKED by nothing known is harness trouble (build() turns it into an ERROR).
    assert verdict([_result("MUST", "PASS"), _result("MUST", "BLOCKED")]) == "INCOMPLETE"


def test_descriptive_fields_stay_readable_and_do_not_poison_urls():
    r = Redactor(b"salt")
    doc = r.body(
        "application/json",
        b'{"token_endpoint": "http://127.0.0.1:9/oauth/token", '
        b'"token_type": "Bearer", "access_token": "at-123456"}',
    )
    assert "http://127.0.0.1:9/oauth/token" in doc and "Bearer" in doc and "at-123456" not in doc
    assert r.url("http://127.0.0.1:9/oauth/token") == "http://127.0.0.1:9/oauth/token"


@pytest.mark.parametrize("name", ["example-vendor", "example-device-signon", "example-platform-sso"])
def test_example_profiles_validate_and_keep_secrets_out(name):
    import re
    from pathlib import Path

    path = Path(REFERENCE_PROFILE).parent / f"{name}.toml"
    settings = re.sub(r"(?m)^\s*#.*$", "", path.read_text())  # commented-out options are not asked for
    names = set(re.findall(r"\$\{([A-Z_]+)\}", settings))
    assert names, "an example profile takes its secrets from the environment"
    profile = load(path, env={n: f"value-of-{n.lower()}" for n in names})
    assert not profile.embedded and profile.contracts
    for contract in profile.contracts:
        catalogue.load(contract)  # every contract it names has a catalogue
    # Every ${VAR} lands in the secrets the redactor masks.
    assert {f"value-of-{n.lower()}" for n in names} <= profile.secrets


def test_error_codes_stay_readable_and_credential_codes_do_not():
    r = Redactor(b"salt")
    assert r.value("code", "invalid_requestor") == "invalid_requestor"  # an EEC code
    assert r.value("code", 31003) == 31003  # a DSRA error code
    assert r.value("code", "Q7XK2M9P").startswith("«fp:")  # an authentication code
    assert r.value("user_code", "WDJB_MJHT").startswith("«fp:")  # only `code` itself may be an error
    assert r.value("password", "my_secret_pw").startswith("«fp:")


def test_hook_command_gets_its_secret_by_env_and_fails_in_one_masked_line():
    from conformance import hooks
    from conformance.checks import Blocked

    r = Redactor(b"salt", {"pw-hook-secret-1"})
    values = {"user": "a b;rm -rf x"}  # quoted as one shell word, never run
    cmd = 'test "$HOOK_PW" = pw-hook-secret-1 && test {user} = "a b;rm -rf x"'
    assert hooks.command(cmd, values, {"HOOK_PW": "pw-hook-secret-1"}, r, "hook", ok=(0,)) == 0
    with pytest.raises(Blocked) as err:
        hooks.command(
            'echo "bad $HOOK_PW" >&2; exit 3', {}, {"HOOK_PW": "pw-hook-secret-1"}, r, "hook", (0, 1)
        )
    assert str(err.value).startswith("hook exited 3 bad «fp:") and "pw-hook" not in str(err.value)
    assert hooks.url("https://v.test/h?u={user}", values) == "https://v.test/h?u=a%20b%3Brm%20-rf%20x"
