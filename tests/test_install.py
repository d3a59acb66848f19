"""A plain (not editable) `pip install .` carries everything a run needs: schemas, profiles and their
keys, the suite's pytest.ini, the report and page templates; run from elsewhere, it never reads the
source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Shipped files a run reads, relative to the installed site-packages.
PACKAGE_DATA = [
    "conformance/_data/schemas/profile.schema.json",
    "conformance/_data/schemas/ott_idp.openapi.yaml",
    "conformance/_data/schemas/platform_sso/eec-error.schema.json",
    "conformance/_data/profiles/reference.toml",
    "conformance/_data/profiles/keys/platform_sso_identity_jws.key.pem",
    "conformance/catalogue/ott_idp.toml",
    "conformance/reports/report.html.j2",
    "conformance/suite/pytest.ini",
    "reference_server/device_signon/templates/page.html",
    "reference_server/platform_sso/templates/mvpd_login.html",
]
# Not part of a build: the checkout's own state (top level) and caches (anywhere).
TOP_LEVEL_STATE = {".git", ".venv", "build", "reports"}
CACHES = shutil.ignore_patterns("*.egg-info", "__pycache__", "node_modules", ".*_cache")
# What a network-less machine says when the isolated build cannot fetch setuptools.
OFFLINE = ("No matching distribution found for setuptools", "Could not find a version that satisfies")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _not_built(directory: str, names: list[str]) -> set[str]:
    state = TOP_LEVEL_STATE & set(names) if Path(directory) == ROOT else set()
    return state | CACHES(directory, names)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """(venv, its site-packages, environment): the kit installed from a build of the source tree.

    Only the kit is installed; its dependencies come from the project's venv through a .pth line,
    which adds that directory to sys.path without running its editable-install hook.
    """
    base = tmp_path_factory.mktemp("install")
    venv = base / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    made = _run([sys.executable, "-m", "venv", str(venv)], base, env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base, env
        ).stdout.strip()
    )
    (site / "zz_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # Build from a copy: setuptools builds in place, and a stale build/ could ship deleted modules.
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=_not_built)
    pip = _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(source)], base, env)
    if pip.returncode and any(o in pip.stdout + pip.stderr for o in OFFLINE):
        pytest.skip("building the wheel needs setuptools>=77 from the package index, which is unreachable")
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    return venv, site, env


@pytest.mark.slow
def test_installed_package_ships_its_files(installed):
    _venv, site, _env = installed
    missing = [f for f in PACKAGE_DATA if not (site / f).is_file()]
    assert not missing


@pytest.mark.slow
def test_installed_copy_runs_from_another_directory(installed, tmp_path):
    venv, site, env = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import conformance, conformance.resources as r; print(conformance.__file__); "
            "print(r.schemas_dir()); print(r.profiles_dir())",
        ],
        elsewhere,
        env,
    )
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert Path(line).is_relative_to(site), line  # the installed copy, never the source tree
    proc = _run(
        [str(venv / "bin" / "conformance"), "run", "--contract", "ott_idp", "--report-dir", "out"],
        elsewhere,
        env,
        timeout=900,
    )
    # One contract of the reference profile's three: every requirement judged PASS, the run PARTIAL.
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "verdict: PARTIAL" in proc.stdout
    assert (elsewhere / "out" / "report.html").is_file()
