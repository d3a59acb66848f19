"""Pre-flight: would this profile let the suite judge the vendor? Checked before any test runs.

Used by ``conformance doctor`` and ``conformance run`` (exit 2, one line per problem, nothing
tested) and, for reachability only, by the plugin. Three layers; the live one only runs when every
origin answers, so a user sees the cause and not its consequences:

1. the profile alone: one account named in two roles whose tests interfere;
2. reachability: one request per distinct origin of the endpoint URLs (any HTTP answer counts);
3. per contract (``suite/<contract>/preflight.py``): every configured endpoint answers with the
   right shape, the client credentials work and each account signs in, once, with its own
   password (nothing here may trip a lockout or a throttle the run then suffers from).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from urllib.parse import urlsplit

import httpx

from conformance.http import TooLarge, bounded, client, transport_reason
from conformance.probe import Findings, Probe
from conformance.profile import Profile


def endpoint_urls(profile: Profile, contracts: list[str]) -> list[tuple[str, str]]:
    """(label, absolute URL) of every ``*_url`` key in the contracts' sections."""
    out = []
    for contract in contracts:
        for key, value in sorted(profile.section(contract).items()):
            if key.endswith("_url") and isinstance(value, str) and value:
                out.append((f"{contract}.{key}", profile.url(contract, key)))
    return out


def reachability(profile: Profile, contracts: list[str]) -> list[str]:
    """One line per origin that cannot be reached; empty when all answer HTTP."""
    problems, seen = [], set()
    # The suite's own client: timeout_s bounds each whole request, not each read, so a vendor
    # dripping bytes cannot hold `doctor` (or `run`) for longer than that.
    with client(profile.timeout) as http_client:
        for label, url in endpoint_urls(profile, contracts):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append(f"{label}: not an http(s) URL")
                continue
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin in seen:
                continue
            seen.add(origin)
            try:
                bounded(http_client, "GET", url, profile.timeout)
            except TooLarge:
                pass  # it answers HTTP; the contract's own checks judge what it answers
            except httpx.TimeoutException:
                problems.append(f"{label}: {origin} gave no answer within {profile.timeout:g}s (timeout_s)")
            except httpx.ConnectError as exc:
                reason = transport_reason(exc)
                if reason.startswith("TLS"):
                    problems.append(f"{label}: {origin}: {reason}")
                else:
                    problems.append(f"{label}: cannot connect to {origin} (refused or unreachable)")
            except httpx.RemoteProtocolError:
                problems.append(f"{label}: {origin} does not answer HTTP")
            except httpx.HTTPError as exc:
                problems.append(f"{label}: {origin}: {transport_reason(exc)}")
    return problems


def _module(contract: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"conformance.suite.{contract}.preflight")
    except ModuleNotFoundError:
        return None  # a contract without a pre-flight of its own: reachability only


def static(profile: Profile, contracts: list[str]) -> list[str]:
    """Problems visible in the profile alone (no request is sent)."""
    found = []
    for contract in contracts:
        module = _module(contract)
        if module is not None:
            found += module.static(profile)
    return found


def check(profile: Profile, contracts: list[str]) -> Findings:
    """The whole pre-flight against the profile's target (an embedded one must already be started)."""
    out = Findings()
    out.problems += static(profile, contracts)  # the live checks sign each distinct account in once
    unreachable = reachability(profile, contracts)
    if unreachable:
        out.problems += unreachable
        return out  # every later request would fail the same way
    probe = Probe(profile)
    try:
        for contract in contracts:
            module = _module(contract)
            if module is not None:
                module.check(profile, probe, out)
    finally:
        probe.close()
    return out
