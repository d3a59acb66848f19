"""Abuse controls shared by every credential check: who the client is, and how often it may fail.

``client_address`` names the client: the peer, unless the peer is a trusted proxy
(``Limits.trusted_proxies``), then the nearest untrusted address in the X-Forwarded-For it sends.

``Guard`` counts failed credential checks in sliding windows of ``Limits.credential_window_s``:
per account and client (``credential_failures``, against brute force on one account) and per client
over every account of the contract (``spray_failures``, against password spraying). The counters
live in the state's store (JSON lists of timestamps), so a reset forgets them and a shared store
shares them; each list keeps at most its limit's worth of entries, so a flood costs no memory.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from reference_server.limits import Limits
from reference_server.oauth import OAuthError

# Seconds, wall clock: shared stores span processes. Tests replace it to move time without sleeping.
now: Callable[[], float] = time.time


def client_address(request: Request, limits: Limits) -> str:
    """The address the request is from: X-Forwarded-For is believed only from a trusted proxy."""
    peer = request.client.host if request.client else ""
    if peer not in limits.trusted_proxies:
        return peer or "unknown"
    # Walk back from the proxy that reached us: the first hop it does not vouch for is the client.
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in limits.trusted_proxies:
            return hop[:64]  # a key, not a value to trust: bounded in size
    return hops[0][:64] if hops else peer


def _recent(times: Any, window: float, t: float) -> list[float]:
    return (
        [x for x in times if isinstance(x, (int, float)) and t - x < window]
        if isinstance(times, list)
        else []
    )


@dataclass
class Guard:
    """The brute-force and spraying counters of one credential check by one client."""

    store: Any  # reference_server.store.Store
    limits: Limits
    scope: str  # the contract (or endpoint family): spraying is counted per scope
    address: str

    @classmethod
    def of(cls, state: Any, request: Request, scope: str) -> Guard:
        return cls(state.store, state.limits, scope, client_address(request, state.limits))

    def _keys(self, account: str | None) -> list[tuple[str, int]]:
        keys = [(f"abuse:{self.scope}:peer:{self.address}", self.limits.spray_failures)]
        if account is not None:
            keys.append((self._account_key(account), self.limits.credential_failures))
        return keys

    def _account_key(self, account: str) -> str:
        return f"abuse:{self.scope}:acct:{account.strip().lower()[:256]}|{self.address}"

    def retry_after(self, account: str | None = None) -> int | None:
        """Whole seconds until this client may try again, or None when it may try now."""
        window, t = self.limits.credential_window_s, now()
        wait = 0.0
        for key, limit in self._keys(account):
            if limit <= 0:
                continue
            times = _recent(self.store.get(key), window, t)
            if len(times) >= limit:
                # Free again once the oldest failure that keeps it at the limit leaves the window.
                wait = max(wait, times[-limit] + window - t)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, account: str | None = None) -> None:
        window, t = self.limits.credential_window_s, now()
        for key, limit in self._keys(account):
            if limit <= 0:
                continue

            def add(times: Any, limit: int = limit) -> list[float]:
                return (_recent(times, window, t) + [t])[-limit:]

            self.store.update(key, add, ttl=window)

    def succeeded(self, account: str) -> None:
        """A right password clears that account's count; the client's spraying count stays."""
        self.store.pop(self._account_key(account))


def client_guard(call: Any, scope: str, client_id: str) -> Guard:
    """The guard of an OAuth client-secret check (RFC 6749 §2.3.1 asks for brute-force protection):
    429 ``invalid_client`` with Retry-After while ``client_id`` is limited for this client address.
    Call ``failed(client_id)`` on the returned guard when the secret is wrong."""
    guard = Guard.of(call.state, call.request, scope)
    wait = guard.retry_after(client_id)
    if wait is not None:
        raise OAuthError(
            "invalid_client",
            "too many failed client authentications; try again later",
            429,
            {"Retry-After": str(wait)},
        )
    return guard
