"""No secret reaches any file a run writes: profile secrets, passwords, tokens, emails, JWTs."""

from __future__ import annotations

import re
import subprocess
import sys

from conformance.plugin import SUITE_DIR
from conformance.profile import REFERENCE_PROFILE, load
from reference_server.server import EmbeddedServer
from tests.conftest import ROOT

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")
# Faults that put secrets where they do not belong, so the failing run has something to leak.
LEAKY_FAULTS = [
    "ott_idp.signup_echoes_password",
    "ott_idp.user_enumeration",
    "ott_idp.token_cacheable",
    "ott_idp.id_token_wrong_aud",
    "ott_idp.errors_text_plain",
]


def _run_against(server, out, faults=()):
    server.set_faults(list(faults))
    server.reset()
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITE_DIR),
            "-c",
            str(SUITE_DIR / "pytest.ini"),
            "--rootdir",
            str(SUITE_DIR),
            "--profile",
            str(REFERENCE_PROFILE),
            "--contract",
            "ott_idp",
            "--target-url",
            server.url,
            "--report-dir",
            str(out),
            "-q",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _secrets_seen(profile, server):
    """Every secret of the run: the profile's, plus what the server issued and stored."""
    found = {s for s in profile.secrets if len(s) >= 6}
    for key, value in server.state.store.items("ott:"):
        kind, _, rest = key.partition(":")[2].partition(":")
        if kind in ("at", "rt"):
            found.add(rest)  # access and refresh tokens
        if kind == "user":
            found.add(value["email"])  # PII: accounts the suite created
    return found


def test_no_secret_in_any_report_file(tmp_path):
    profile = load(REFERENCE_PROFILE)
    with EmbeddedServer(profile.data) as server:
        runs = {"clean": (), "failing": LEAKY_FAULTS}
        for name, faults in runs.items():
            out = tmp_path / name
            proc = _run_against(server, out, faults)
            assert proc.returncode == (0 if name == "clean" else 1), proc.stdout[-2000:]
            secrets = _secrets_seen(profile, server)
            assert len(secrets) > 20  # tokens and accounts were really issued
            files = list(out.iterdir())
            assert {f.name for f in files} == {"report.html", "results.json", "junit.xml"}
            for f in files + [None]:
                text = proc.stdout + proc.stderr if f is None else f.read_text()
                where = "console output" if f is None else f.name
                leaked = sorted(s for s in secrets if s in text)
                assert not leaked, f"{name} run: {len(leaked)} secret(s) in {where}"
                assert not JWT.search(text), f"{name} run: a JWT in {where}"
