"""Prove the suite can fail: run it against the clean reference server, then once per fault.

A fault is caught when every requirement it targets turns FAIL or WARN and every other
requirement keeps the status it had in the clean run, or is BLOCKED by a target (directly or
through other blocked requirements), or is reported "not evaluated" because the test that checks
it stopped at a broken target (the suite blames nothing it did not see). A run is judged by those
statuses, not by its verdict: a focused run selects a few tests, so its verdict is PARTIAL at best,
and that is expected. The clean run must be CONFORMANT (a PARTIAL whose only reason is that the
selftest ran fewer contracts than the reference profile names counts as CONFORMANT). Runs
are handed out to a few worker processes (``python -m conformance.selftest``), each with one
embedded server that is reset and has its faults switched in place between runs, so a run costs
the suite's own time and little more.

Two depths. ``full`` runs the whole suite per fault, so "nothing else moved" covers every
requirement; it costs one suite run per fault (minutes for the contracts with timed flows).
``focused`` (the default) runs per fault only the tests that declare one of its targets: the
targets must still turn FAIL/WARN, and every other requirement those tests check must keep its
clean status. The clean run is always the whole suite.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
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
    unreached: list[str] = field(default_factory=list)  # others BLOCKED by / not evaluated at a target
    exit_code: int = 0
    focused: bool = False
    verdict: str = ""

    @property
    def clean_exit(self) -> bool:
        # A PARTIAL run (exit 3) ran a subset (or a target that is a SHOULD only WARNs): expected.
        # A focused run whose few tests all fail shows nothing holding, so its verdict is
        # INCOMPLETE (exit 3); that is expected there, and a crash still shows as missed targets.
        return self.exit_code in (0, 1) or self.verdict == "PARTIAL" or (self.focused and bool(self.statuses))

    @property
    def caught(self) -> bool:
        return not self.missed and not self.collateral and self.clean_exit


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
    full: bool = False,
) -> SelftestResult:
    faults = [f for c in contracts for f in for_contract(c) if not only or f.name in only]
    plan: list[dict] = [{"name": CLEAN, "tests": []}]
    declared: dict[str, set[str]] = {}  # fault -> requirements its focused run checks
    if full:
        plan += [{"name": f.name, "tests": []} for f in faults]
    else:
        by_req = runner.tests_by_requirement(str(REFERENCE_PROFILE), contracts)
        for f in faults:
            tests = sorted({t for rid in f.targets for t in by_req.get(rid, [])})
            declared[f.name] = {rid for rid, ts in by_req.items() if set(ts) & set(tests)}
            if tests:  # no test declares a target: nothing to run, the fault is missed
                plan.append({"name": f.name, "tests": tests})
    runs = _dispatch(contracts, plan, jobs, progress)
    clean = runs.get(CLEAN, {"verdict": "ERROR", "statuses": {}})
    outcomes = [judge(f, runs.get(f.name), clean["statuses"], declared.get(f.name)) for f in faults]
    return SelftestResult(clean_verdict(clean), clean["statuses"], outcomes)


def clean_verdict(clean: dict) -> str:
    """The clean run's verdict as the selftest sees it: a PARTIAL only because fewer contracts
    than the reference profile names were run is CONFORMANT for the contracts under test."""
    verdict = clean.get("verdict", "ERROR")
    kinds = set(clean.get("partial_kinds", ()))
    if verdict == "PARTIAL" and kinds == {"contracts"}:
        return "CONFORMANT"
    return verdict


def _blocked_by_target(rid: str, item: dict, targets: tuple[str, ...] | list[str]) -> bool:
    """``rid`` is BLOCKED by a target, directly or through a chain of BLOCKED requirements."""
    blocked_by, statuses = item.get("blocked_by", {}), item.get("statuses", {})
    seen = set()
    while statuses.get(rid) == "BLOCKED" and rid not in seen:
        seen.add(rid)
        rid = blocked_by.get(rid, "")
        if rid in targets:
            return True
    return False


def judge(
    fault: Fault, item: dict | None, clean: dict[str, str], declared: set[str] | None = None
) -> FaultOutcome:
    """Was ``fault`` caught? By the statuses of its run: every target FAIL/WARN, nothing else moved
    except requirements BLOCKED by a target, not evaluated because a test stopped at one, or SKIP.
    ``declared``: in a focused run, the requirements its selected tests declare (only those ran)."""
    item = item or {"code": 3, "statuses": {}}
    statuses = item["statuses"]
    if declared is not None:  # focused: requirements no selected test checks were not run
        statuses = {rid: st for rid, st in statuses.items() if rid in declared}
    outcome = FaultOutcome(
        fault, statuses, exit_code=item["code"], focused=declared is not None, verdict=item.get("verdict", "")
    )
    for rid in fault.targets:
        if statuses.get(rid) not in ("FAIL", "WARN"):
            outcome.missed.append(f"{rid} {statuses.get(rid, 'absent')}")
    for rid, status in statuses.items():
        if rid in fault.targets or status == clean.get(rid):
            continue
        # BLOCKED by a target (the vendor broke it first), a test stopped at a broken target with
        # no blocker named, or a SKIP because the fault took away what the requirement is about
        # (no expires_in: no lifetime to judge): honest, not blame.
        if (
            _blocked_by_target(rid, item, fault.targets)
            or rid in item.get("unreached", ())
            or status == "SKIP"
        ):
            outcome.unreached.append(rid)
        else:
            outcome.collateral.append(f"{rid} {clean.get(rid)}->{status}")
    return outcome


def _dispatch(
    contracts: list[str], plan: list[dict], jobs: int, progress: Callable[[str], None]
) -> dict[str, dict]:
    """Hand runs to worker processes one at a time (the longest first), so none sits idle early."""
    todo: queue.Queue[dict] = queue.Queue()
    # The clean run and the full-suite runs are the long ones; start them first.
    for job in sorted(plan, key=lambda j: (j["name"] != CLEAN, bool(j["tests"]), -len(j["tests"]))):
        todo.put(job)
    runs: dict[str, dict] = {}
    lock = threading.Lock()
    command = [
        sys.executable,
        "-m",
        "conformance.selftest",
        *[a for c in contracts for a in ("--contract", c)],
    ]

    def work() -> None:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            while True:
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    break
                proc.stdin.write(json.dumps(job) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
                if not line:  # the worker died: its job counts as not run (exit 3)
                    break
                item = json.loads(line)
                with lock:
                    runs[item["name"]] = item
                shown = clean_verdict(item) if item["name"] == CLEAN else item["verdict"]
                progress(f"ran {item['name']}: {shown}")
        finally:
            proc.stdin.close()
            proc.wait()

    threads = [threading.Thread(target=work) for _ in range(max(1, min(jobs, len(plan))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return runs


def table(result: SelftestResult) -> list[str]:
    rows = [f"{'fault':48} {'result':7} detail"]
    for o in result.outcomes:
        problems = (
            ([f"missed {', '.join(o.missed)}"] if o.missed else [])
            + ([f"also changed {', '.join(o.collateral[:6])}"] if o.collateral else [])
            + ([f"exit {o.exit_code}"] if not o.clean_exit else [])
        )
        detail = ", ".join(o.fault.targets) if o.caught else "; ".join(problems)
        rows.append(f"{o.fault.name:48} {'caught' if o.caught else 'MISSED':7} {detail}")
    rows.append(f"clean run: {result.clean_verdict}")
    rows.append(f"{result.caught}/{len(result.outcomes)} faults caught")
    return rows


def _worker(contracts: list[str]) -> None:
    """Read one run per stdin line ({"name", "tests"}); answer each with one JSON line on stdout."""
    from reference_server.server import EmbeddedServer

    profile = load(REFERENCE_PROFILE)
    with EmbeddedServer(profile.data) as server, tempfile.TemporaryDirectory(prefix="selftest-") as tmp:
        for i, line in enumerate(sys.stdin):
            job = json.loads(line)
            name = job["name"]
            server.set_faults([] if name == CLEAN else [name])
            server.reset()
            out = Path(tmp) / str(i)
            args = runner.suite_args(
                str(REFERENCE_PROFILE), contracts, out, target_url=server.url, tests=job["tests"]
            )
            with contextlib.redirect_stdout(io.StringIO()):  # the table is the output, not pytest's
                code = runner.run(args + ["-q", "-p", "no:warnings"])
            verdict, statuses, unreached, blocked_by, kinds = "ERROR", {}, [], {}, []
            if (out / "results.json").exists():
                data = json.loads((out / "results.json").read_text())
                verdict, statuses = data["verdict"], {r["id"]: r["status"] for r in data["requirements"]}
                unreached = [
                    r["id"]
                    for r in data["requirements"]
                    if r["status"] == "ERROR" and r["message"].startswith("not evaluated")
                ]
                blocked_by = {r["id"]: r["blocked_by"] for r in data["requirements"] if r.get("blocked_by")}
                kinds = sorted({p["kind"] for p in data.get("partial", [])})
            item = {
                "name": name,
                "code": code,
                "verdict": verdict,
                "statuses": statuses,
                "unreached": unreached,
                "blocked_by": blocked_by,
                "partial_kinds": kinds,
            }
            print(json.dumps(item), flush=True)


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="selftest worker (used by `conformance selftest`)")
    parser.add_argument("--contract", action="append", default=[])
    ns = parser.parse_args()
    _worker(ns.contract)
