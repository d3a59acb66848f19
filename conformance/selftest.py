"""Prove the suite can fail: run it against the clean reference server, then once per fault.

A fault is caught when every requirement it targets turns FAIL or WARN and every other
requirement keeps the status it had in the clean run. Runs are spread over a few worker
processes (``python -m conformance.selftest``), each with one embedded server that is reset and
has its faults switched in place between runs, so a run costs the suite's own time and little more.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from conformance import runner
from conformance.profile import REFERENCE_PROFILE, load
from reference_server.faults import Fault, for_contract

CLEAN = "(clean)"


@dataclass
class FaultOutcome:
    fault: Fault
    statuses: dict[str, str]
    missed: list[str] = field(default_factory=list)  # targets that did not turn FAIL/WARN
    collateral: list[str] = field(default_factory=list)  # others that changed: "ID PASS->FAIL"
    exit_code: int = 0

    @property
    def caught(self) -> bool:
        return not self.missed and not self.collateral and self.exit_code in (0, 1)


@dataclass
class SelftestResult:
    clean_verdict: str
    clean_statuses: dict[str, str]
    outcomes: list[FaultOutcome]

    @property
    def caught(self) -> int:
        return sum(o.caught for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return self.clean_verdict == "CONFORMANT" and self.caught == len(self.outcomes)


def run(
    contracts: list[str],
    only: list[str] | None = None,
    jobs: int = 2,
    progress: Callable[[str], None] = lambda _: None,
) -> SelftestResult:
    faults = [f for c in contracts for f in for_contract(c) if not only or f.name in only]
    names = [CLEAN] + [f.name for f in faults]
    chunks = [names[i :: max(1, jobs)] for i in range(max(1, jobs))]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "conformance.selftest",
                *sum((["--contract", c] for c in contracts), []),
                *sum((["--run", n] for n in chunk), []),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for chunk in chunks
        if chunk
    ]
    runs: dict[str, dict] = {}
    for proc in procs:
        assert proc.stdout is not None
        for line in proc.stdout:
            item = json.loads(line)
            runs[item["name"]] = item
            progress(f"ran {item['name']}: {item['verdict']}")
        proc.wait()
    clean = runs.get(CLEAN, {"verdict": "ERROR", "statuses": {}})
    outcomes = []
    for fault in faults:
        item = runs.get(fault.name, {"code": 3, "statuses": {}})
        statuses = item["statuses"]
        outcome = FaultOutcome(fault, statuses, exit_code=item["code"])
        for rid in fault.targets:
            if statuses.get(rid) not in ("FAIL", "WARN"):
                outcome.missed.append(f"{rid} {statuses.get(rid, 'absent')}")
        for rid, status in statuses.items():
            if rid not in fault.targets and status != clean["statuses"].get(rid):
                outcome.collateral.append(f"{rid} {clean['statuses'].get(rid)}->{status}")
        outcomes.append(outcome)
    return SelftestResult(clean["verdict"], clean["statuses"], outcomes)


def table(result: SelftestResult) -> list[str]:
    rows = [f"{'fault':48} {'result':7} detail"]
    for o in result.outcomes:
        problems = (
            ([f"missed {', '.join(o.missed)}"] if o.missed else [])
            + ([f"also changed {', '.join(o.collateral[:6])}"] if o.collateral else [])
            + ([f"exit {o.exit_code}"] if o.exit_code not in (0, 1) else [])
        )
        detail = ", ".join(o.fault.targets) if o.caught else "; ".join(problems)
        rows.append(f"{o.fault.name:48} {'caught' if o.caught else 'MISSED':7} {detail}")
    rows.append(f"clean run: {result.clean_verdict}")
    rows.append(f"{result.caught}/{len(result.outcomes)} faults caught")
    return rows


def _worker(contracts: list[str], names: list[str]) -> None:
    """Run the suite once per name (a fault, or the clean server); print one JSON line per run."""
    from reference_server.server import EmbeddedServer

    profile = load(REFERENCE_PROFILE)
    with EmbeddedServer(profile.data) as server, tempfile.TemporaryDirectory(prefix="selftest-") as tmp:
        for i, name in enumerate(names):
            server.set_faults([] if name == CLEAN else [name])
            server.reset()
            out = Path(tmp) / str(i)
            args = runner.suite_args(str(REFERENCE_PROFILE), contracts, out, target_url=server.url)
            with contextlib.redirect_stdout(io.StringIO()):  # the table is the output, not pytest's
                code = runner.run(args + ["-q", "-p", "no:warnings"])
            verdict, statuses = "ERROR", {}
            if (out / "results.json").exists():
                data = json.loads((out / "results.json").read_text())
                verdict, statuses = data["verdict"], {r["id"]: r["status"] for r in data["requirements"]}
            print(
                json.dumps({"name": name, "code": code, "verdict": verdict, "statuses": statuses}), flush=True
            )


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="selftest worker (used by `conformance selftest`)")
    parser.add_argument("--contract", action="append", default=[])
    parser.add_argument("--run", action="append", default=[])
    ns = parser.parse_args()
    _worker(ns.contract, ns.run)
