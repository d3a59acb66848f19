"""Throttling (spec §1.6): a token bucket per identified device, i.e. per client IP.

Server-to-server callers forward the device's IP in ``X-Forwarded-For``, which then names the
bucket. Peers in ``throttle_exempt_peers`` (the reference profile lists loopback, so a local
sandbox and the suite stay fast) are throttled only by the X-Forwarded-For they send.
Breach: 429 with an HTML body; the bucket refills at ``throttle_rate_per_s``.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request

from reference_server.platform_sso import pages
from reference_server.platform_sso.settings import Settings
from reference_server.reply import Reply
from reference_server.store import Store


def bucket_name(request: Request, s: Settings) -> str | None:
    forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    if forwarded:
        return forwarded
    peer = request.client.host if request.client else ""
    return None if peer in s.throttle_exempt_peers else peer or "unknown"


def check(request: Request, s: Settings, store: Store) -> Reply | None:
    """None when the request may proceed, else the 429 reply."""
    if s.throttle_burst <= 0:
        return None
    name = bucket_name(request, s)
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
