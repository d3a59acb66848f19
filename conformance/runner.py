"""Run the suite in this process through pytest (the CLI's `run`, `selftest` and `requirements`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from conformance.plugin import SUITE_DIR
from conformance.results import EXIT_HARNESS, EXIT_PREFLIGHT

PYTEST_USAGE_ERROR = 4


def suite_args(
    profile: str | None,
    contracts: Iterable[str] = (),
    report_dir: str | Path = "reports/latest",
    faults: Iterable[str] = (),
    workers: int = 0,
    include_slow: bool = False,
    target_url: str | None = None,
    verbose: bool = False,
    tests: Iterable[str] = (),
    variants: Iterable[str] = (),
    preflight: bool = False,
) -> list[str]:
    """pytest arguments for a suite run; ``tests`` are node ids (as collected) to run instead of all."""
    args = [
        *([str(SUITE_DIR / t) for t in tests] or [str(SUITE_DIR)]),
        "-c",
        str(SUITE_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITE_DIR),
        "--no-header",
        "--tb=no",
        "-rN",
        "-v" if verbose else "-q",
        "--report-dir",
        str(report_dir),
    ]
    if profile:
        args += ["--profile", str(profile)]
    for c in contracts:
        args += ["--contract", c]
    for f in faults:
        args += ["--fault", f]
    for v in variants:
        args += ["--variant", v]
    if workers:
        args += ["-n", str(workers)]
    if include_slow:
        args.append("--include-slow")
    if target_url:
        args += ["--target-url", target_url]
    if not preflight:
        args.append("--no-preflight")  # the CLI ran the pre-flight before pytest started
    return args


def run(args: list[str], plugins: list[Any] | None = None) -> int:
    """pytest.main with the kit's exit codes (0, 1, 2 pre-flight/profile/usage, 3 incomplete or partial)."""
    code = int(pytest.main(args, plugins=plugins or []))
    if code in (0, 1, EXIT_PREFLIGHT, EXIT_HARNESS):
        return code
    if code == PYTEST_USAGE_ERROR:
        return EXIT_PREFLIGHT
    return EXIT_HARNESS


class _Collector:
    def __init__(self) -> None:
        self.by_requirement: dict[str, list[str]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            for mark in item.iter_markers("requirement"):
                for rid in mark.args:
                    self.by_requirement.setdefault(rid, []).append(item.nodeid)


def tests_by_requirement(profile: str, contracts: Iterable[str] = ()) -> dict[str, list[str]]:
    """Which suite tests declare each requirement id (collection only, nothing is run).

    Without ``contracts``, the profile's own ([target] contracts) are collected."""
    collector = _Collector()
    args = [
        str(SUITE_DIR),
        "-c",
        str(SUITE_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITE_DIR),
        "--collect-only",
        "--profile",
        profile,
        "--report-dir",
        "/dev/null/unused",
        "-p",
        "no:terminal",
        *[a for c in contracts for a in ("--contract", c)],
    ]
    pytest.main(args, plugins=[collector])
    return collector.by_requirement
