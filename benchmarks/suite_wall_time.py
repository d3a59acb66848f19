"""Wall time of `conformance run --contract C` against the embedded server, against its floor.

Floor = what the run cannot avoid: process start-up (`conformance --version`, measured here),
the longest configured wait, and one cheap keep-alive exchange per recorded request (a GET
/health on the same kind of embedded server, measured here). Prints the median of N runs and
ratios to that floor; nothing is asserted (machines are shared and noisy).

    .venv/bin/python benchmarks/suite_wall_time.py --contract ott_idp --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.profile import REFERENCE_PROFILE, load  # noqa: E402
from reference_server.server import EmbeddedServer  # noqa: E402


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True)
    return time.perf_counter() - start


def exchange_cost(n: int = 2000) -> float:
    with EmbeddedServer(load(REFERENCE_PROFILE).data) as server, httpx.Client() as client:
        client.get(server.url + "/health")
        start = time.perf_counter()
        for _ in range(n):
            client.get(server.url + "/health")
        return (time.perf_counter() - start) / n


def configured_waits(contract: str) -> float:
    """The longest wait the run must sit out (independent waits run concurrently, so only that one
    is unavoidable): a brute-force cooldown, or the longest expiry the reference server is set to."""
    data = load(REFERENCE_PROFILE).data
    cooldown = float(data.get(contract, {}).get("bruteforce", {}).get("cooldown_s", 0))
    timings = data.get("reference_server", {}).get(contract, {})
    expiries = [float(v) for k, v in timings.items() if k in EXPIRIES.get(contract, ())]
    return max([cooldown, *expiries])


# Reference-server timings the suite outwaits (token lifetimes of minutes are never awaited).
EXPIRIES = {
    "device_signon": ("code_ttl_s", "activation_token_ttl_s"),
    "platform_sso": ("code_ttl_s", "profile_ttl_s"),
    "partner_sso": (),  # nothing is outwaited: expired SAML and PFS values are built expired
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contract", default="ott_idp")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=0)
    ns = parser.parse_args()
    cli = [sys.executable, "-m", "conformance.cli"]
    startup = statistics.median(timed([*cli, "--version"]) for _ in range(3))
    walls, exchanges = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(ns.runs):
            cmd = [*cli, "run", "--contract", ns.contract, "--report-dir", tmp]
            walls.append(timed(cmd + (["-n", str(ns.workers)] if ns.workers else [])))
        data = json.loads((Path(tmp) / "results.json").read_text())
        exchanges = sum(len(t["exchanges"]) for t in data["tests"])
    cost = exchange_cost()
    waits = configured_waits(ns.contract)
    floor = startup + waits + exchanges * cost
    wall = statistics.median(walls)
    print(f"contract                 {ns.contract}")
    print(f"runs                     {ns.runs} (workers {ns.workers or 1})")
    print(f"wall time median         {wall:.2f} s  (min {min(walls):.2f}, max {max(walls):.2f})")
    print(f"process start-up         {startup:.2f} s")
    print(f"configured waits         {waits:.2f} s")
    print(f"exchanges recorded       {exchanges} x {cost * 1000:.2f} ms = {exchanges * cost:.2f} s")
    print(f"floor                    {floor:.2f} s")
    print(f"ratio wall / floor       {wall / floor:.2f}")
    print(f"suite overhead           {wall - floor:.2f} s")


if __name__ == "__main__":
    main()
