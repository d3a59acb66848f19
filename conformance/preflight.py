"""Pre-flight: is there anything to test? Checked before any test runs (exit 2 when not).

Used by the plugin (vendor targets) and by ``conformance doctor``. One request per distinct
origin of the profile's endpoint URLs; any HTTP answer counts as reachable, whatever its status.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

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
    with httpx.Client(timeout=profile.timeout, follow_redirects=False) as client:
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
                client.get(url)
            except httpx.TimeoutException:
                problems.append(f"{label}: {origin} gave no answer within {profile.timeout:g}s (timeout_s)")
            except httpx.ConnectError:
                problems.append(f"{label}: cannot connect to {origin} (refused or unreachable)")
            except httpx.RemoteProtocolError:
                problems.append(f"{label}: {origin} does not answer HTTP")
            except httpx.HTTPError as exc:
                problems.append(f"{label}: {origin}: {type(exc).__name__}")
    return problems
