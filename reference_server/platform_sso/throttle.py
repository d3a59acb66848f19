"""Throttling (spec §1.6): a token bucket per identified device, i.e. per client IP.

The client IP is the peer's address; server-to-server callers forward the device's IP in
``X-Forwarded-For``, which names the bucket only when the peer is a trusted proxy
(``Limits.trusted_proxies``): anyone else could rotate it to get a fresh bucket per request.
Addresses in ``throttle_exempt_peers`` (the reference profile lists loopback, so a local sandbox and
the suite stay fast) are not throttled; what a trusted loopback proxy forwards still is.
Breach: 429 with an HTML body; the bucket refills at ``throttle_rate_per_s``.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from reference_server.abuse import client_address
from reference_server.limits import Limits
from reference_server.platform_sso import pages
from reference_server.platform_sso.settings import Settings
from reference_server.reply import Reply
from reference_server.store import Store


def bucket_name(request: Request, s: Settings, limits: Limits) -> str | None:
    address = client_address(request, limits)
    return None if address in s.throttle_exempt_peers else address


def check(request: Request, s: Settings, store: Store) -> Reply | None:
    """None when the request may proceed, else the 429 reply."""
    if s.throttle_burst <= 0:
        return None
    name = bucket_name(request, s, request.app.state.server.limits)
    if name is None:
        return None
    burst, rate = float(s.throttle_burst), max(s.throttle_rate_per_s, 1e-6)

    def take(bucket: Any) -> dict[str, Any]:
        now = time.time()
        if bucket is None:
            return {"t": now, "k": burst - 1, "ok": True}
        tokens = min(burst, bucket["k"] + (now - bucket["t"]) * rate)
        if tokens >= 1:
            return {"t": now, "k": tokens - 1, "ok": True}
        return {"t": now, "k": tokens, "ok": False}

    bucket = store.update(f"psso:bucket:{name}", take, ttl=burst / rate + 1)
    if bucket and bucket["ok"]:
        return None
    return pages.throttled()
