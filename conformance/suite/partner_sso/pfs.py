"""AP-Partner-Framework-Status values, as Apple's Video Subscriber Account framework would give them.

``Base64(JSON)`` (standard Base64) of::

    {"frameworkPermissionInfo": {"accessStatus": "granted"},
     "frameworkProviderInfo": {"id": "<platformMappingId>", "expirationDate": "<ms since epoch>"}}

``valid`` is what a signed-in user on a device that granted access sends; ``VARIANTS`` names every
way the suite spoils it (docs/partner_sso.md: the PFS table). The values are credentials of sorts:
the client hands each one to the redactor before it is sent.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

ACCESS_STATUSES = ("granted", "denied", "restricted", "notDetermined")
HISTORICAL_STATUSES = ("pending",)  # the enum before 2026-01-13 (spec §2.7)
DAY_MS = 86_400_000


def now_ms() -> int:
    return int(time.time() * 1000)


def encode(document: Any) -> str:
    """Standard Base64 of the JSON text of ``document``."""
    return base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()


def document(
    provider_id: str | None,
    access_status: str | None = "granted",
    expiration_ms: int | str | None = None,
) -> dict[str, Any]:
    """The PFS JSON; ``None`` leaves a member out, ``expiration_ms`` defaults to a day ahead."""
    permission: dict[str, Any] = {}
    if access_status is not None:
        permission["accessStatus"] = access_status
    provider: dict[str, Any] = {}
    if provider_id is not None:
        provider["id"] = provider_id
    provider["expirationDate"] = str(now_ms() + DAY_MS if expiration_ms is None else expiration_ms)
    return {"frameworkPermissionInfo": permission, "frameworkProviderInfo": provider}


def valid(provider_id: str) -> str:
    return encode(document(provider_id))


# name -> (what it is, how it is built from the valid provider id and an unknown one).
VARIANTS: dict[str, str] = {
    "granted": "accessStatus granted",
    "denied": "accessStatus denied",
    "restricted": "accessStatus restricted",
    "notDetermined": "accessStatus notDetermined",
    "pending": "the historical accessStatus pending",
    "no-access-status": "no accessStatus member",
    "expired": "an expirationDate in the past",
    "unknown-id": "a provider id no MVPD has as platformMappingId",
    "no-id": "no provider id",
    "not-base64": "a value that is not Base64",
    "not-json": "Base64 of text that is not JSON",
    "not-object": "Base64 of a JSON array",
}


def variant(name: str, provider_id: str, unknown_id: str) -> str:
    """The PFS value ``name`` (one of VARIANTS) for ``provider_id``."""
    if name in (*ACCESS_STATUSES, *HISTORICAL_STATUSES):
        return encode(document(provider_id, name))
    if name == "no-access-status":
        return encode(document(provider_id, None))
    if name == "expired":
        return encode(document(provider_id, expiration_ms=now_ms() - DAY_MS))
    if name == "unknown-id":
        return encode(document(unknown_id))
    if name == "no-id":
        return encode(document(None))
    if name == "not-base64":
        return "%%not*base64{" + provider_id + "}%%"
    if name == "not-json":
        return base64.b64encode(b"accessStatus=granted; id=" + provider_id.encode()).decode()
    if name == "not-object":
        return encode(["granted", provider_id])
    raise KeyError(name)
