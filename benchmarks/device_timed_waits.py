"""Wall time of the device_signon tests that outwait vendor timings, against the longest such wait.

The embedded reference server runs on a copy of profiles/reference.toml with real-looking timings:
pollingPeriodSeconds / interval 5 s, registration and device codes 60 s, activation tokens 30 s
(short-lived and single use, below the code lifetime: specs/device-and-ropc.md §1.7 only says "e.g.
120 s"; --activation-ttl changes it), and the RFC 8628 slow_down increment of 5 s (§3.5). Only the
timed tests run, with --include-slow. They are the tests whose fixture closure holds `outwait`, the
suite's one gate for waits on an advertised expiry or a widened interval (conftest.py): a new timed
test cannot outwait anything long without it, so the selection follows the suite. (The plugin's
`slow_wait` marker would not do: it skips a test before it runs, but how long a wait is depends on
what the vendor advertises, so no test carries it.)

Waits that do not depend on each other should overlap: the wall time should stay close to the
longest single wait, so the ratio printed is near 1 (the suite's expiry margin alone is 5%).
Exits 1 unless every timed test ran and passed with each of its requirements PASS.

    .venv/bin/python benchmarks/device_timed_waits.py [--interval 5] [--expiry 60] [--activation-ttl 30]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance import runner  # noqa: E402
from conformance.profile import REFERENCE_PROFILE, load  # noqa: E402
from reference_server.server import EmbeddedServer  # noqa: E402

CONTRACT = "device_signon"
GATE = "outwait"  # the fixture every test asks for when it outwaits a vendor timing


def real_timings(interval: float, expiry: float, activation_ttl: float) -> dict[str, dict[str, float]]:
    """Profile section -> key -> value to set (the server reads [reference_server.*], the suite the rest)."""
    return {
        "reference_server.device_signon": {
            "polling_period_s": interval,
            "code_ttl_s": expiry,
            "activation_token_ttl_s": activation_ttl,
        },
        "device_signon": {"slow_down_increment_s": 5.0},
    }


def write_profile(path: Path, changes: dict[str, dict[str, float]]) -> None:
    """The reference profile with some values replaced line by line (keeps comments; no TOML writer)."""
    section, todo, out = "", {s: dict(v) for s, v in changes.items()}, []
    for line in REFERENCE_PROFILE.read_text().splitlines():
        header = re.match(r"\s*\[+([^\]]+)\]+", line)
        if header:
            section = header.group(1).strip()
        key = re.match(r"\s*([A-Za-z_]+)\s*=", line)
        if key and key.group(1) in todo.get(section, {}):
            line = f"{key.group(1)} = {todo[section].pop(key.group(1))!r}"
        out.append(line)
    missing = [f"[{s}] {k}" for s, keys in todo.items() for k in keys]
    if missing:  # every key is in reference.toml today; a silent no-op would measure the wrong thing
        raise SystemExit(f"reference profile has no {', '.join(missing)}")
    path.write_text("\n".join(out) + "\n")


class TimedOnly:
    """A pytest plugin: keep the timed tests, note when the first starts and the last ends."""

    def __init__(self) -> None:
        self.selected: list[str] = []
        self.first: float | None = None
        self.last: float | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep = [i for i in items if GATE in getattr(i, "fixturenames", ())]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
        self.selected = [i.nodeid for i in keep]

    def pytest_runtest_logstart(self) -> None:
        self.first = self.first or time.perf_counter()

    def pytest_runtest_logfinish(self) -> None:
        self.last = time.perf_counter()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interval", type=float, default=5.0, help="polling period / interval (s)")
    parser.add_argument(
        "--expiry", type=float, default=60.0, help="registration and device code lifetime (s)"
    )
    parser.add_argument("--activation-ttl", type=float, default=30.0, help="activation token lifetime (s)")
    ns = parser.parse_args()
    changes = real_timings(ns.interval, ns.expiry, ns.activation_ttl)
    increment = changes["device_signon"]["slow_down_increment_s"]
    waits = {  # what the timed tests outwait, each counted from the flow's start
        "registration / device code expiry": ns.expiry,
        "activation token expiry (after one polling period)": ns.interval + ns.activation_ttl,
        "widened interval after slow_down": ns.interval + increment,
    }
    longest = max(waits.values())
    with tempfile.TemporaryDirectory() as tmp:
        profile_path = Path(tmp) / "reference-real-timings.toml"
        write_profile(profile_path, changes)
        profile = load(profile_path)
        timed = TimedOnly()
        with EmbeddedServer(profile.data) as server:
            args = runner.suite_args(
                str(profile_path), [CONTRACT], Path(tmp) / "report", include_slow=True, target_url=server.url
            )
            console = io.StringIO()  # pytest's own lines, shown only when the run went wrong
            start = time.perf_counter()
            with contextlib.redirect_stdout(console):
                code = runner.run(args, plugins=[timed])
            run_wall = time.perf_counter() - start
        results_file = Path(tmp) / "report" / "results.json"
        data = json.loads(results_file.read_text()) if results_file.exists() else {"tests": []}
    status = {r["id"]: r["status"] for r in data.get("requirements", [])}
    tests = [t for t in data["tests"] if t["contract"] == CONTRACT]
    wall = (timed.last - timed.first) if timed.first and timed.last else run_wall
    print(
        f"profile                  reference + interval {ns.interval:g} s, expiry {ns.expiry:g} s, "
        f"activation token {ns.activation_ttl:g} s, slow_down +{increment:g} s"
    )
    for what, seconds in waits.items():
        print(f"  wait  {seconds:6.1f} s  {what}")
    print(f"timed tests wall time    {wall:.2f} s  (whole pytest run {run_wall:.2f} s, exit {code})")
    print(f"longest single wait      {longest:.2f} s")
    print(f"ratio wall / longest     {wall / longest:.2f}")
    print(f"timed tests              {len(tests)} ran of {len(timed.selected)} selected")
    bad = []
    for t in tests:
        reqs = {r: status.get(r, "?") for r in t["requirements"]}
        ok = t["outcome"] == "passed" and all(s == "PASS" for s in reqs.values())
        bad += [] if ok else [t["nodeid"]]
        shown = " ".join(f"{r}={s}" for r, s in reqs.items())
        print(f"  {t['outcome']:7} {t['duration_s']:6.2f} s  {t['nodeid']}  {shown}")
        if t.get("skip_reason") or t.get("stopped_by") or t.get("error"):
            print(f"           {t.get('skip_reason') or t.get('stopped_by') or t.get('error')}")
    if not tests or len(tests) != len(timed.selected) or bad:
        print(console.getvalue()[-3000:], file=sys.stderr)
        print(
            f"error: {len(bad)} timed test(s) not PASS, {len(timed.selected) - len(tests)} not run",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
