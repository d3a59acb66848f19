"""The ``AP-Partner-Framework-Status`` header (PFS, spec §2.7; docs/partner_sso.md).

``Base64(JSON)`` with ``frameworkPermissionInfo.accessStatus`` and ``frameworkProviderInfo``
(``id`` = an MVPD's ``platformMappingId``, ``expirationDate`` in ms, a string or a number). It is
judged in this order (rule 50, INFERRED mapping): access status, provider id, expiry. The result
names the MVPD the id maps to (even when the header is invalid otherwise: Sessions Partner's
fallback shows it) and the EEC code of the first failure, None when valid.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass
from typing import Any

from reference_server import jsonbody
from reference_server.platform_sso.settings import Settings

HEADER = "ap-partner-framework-status"
NOT_PRESENT = "invalid_header_pfs_permission_access_not_present"
NOT_DETERMINED = "invalid_header_pfs_permission_access_not_determined"
NOT_GRANTED = "invalid_header_pfs_permission_access_not_granted"
PROVIDER_UNKNOWN = "invalid_header_pfs_provider_id_not_determined"
PROVIDER_EXPIRED = "invalid_header_pfs_provider_info_expired"
PROVIDER_MISMATCH = "invalid_header_pfs_provider_id_mismatch"

_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


@dataclass(frozen=True)
class Pfs:
    present: bool  # the header was sent (whatever its content)
    mvpd: str | None  # the MVPD whose platformMappingId the header names, if any
    error: str | None  # the EEC code of the first failure; None when valid
    reason: str = ""  # why it is invalid: absent, malformed, no_access_status, <accessStatus>,
    # unknown_provider, expired ("" when valid)

    @property
    def valid(self) -> bool:
        return self.error is None

    def grants(self, mvpd: str) -> bool:
        """A valid PFS for ``mvpd``: what appleSSO profiles need to be seen and used."""
        return self.valid and self.mvpd == mvpd


ABSENT = Pfs(False, None, NOT_PRESENT, "absent")


def _decode(raw: str) -> dict[str, Any] | None:
    value = "".join(raw.split())
    if not value or not _B64.match(value):
        return None
    try:
        bare = value.rstrip("=")
        data = jsonbody.loads(base64.b64decode(bare + "=" * (-len(bare) % 4), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _expired(value: Any, now_ms: int) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return value <= now_ms
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()) <= now_ms
    return True  # neither a number nor a string of digits: no valid expiry


def judge(raw: str | None, s: Settings) -> Pfs:
    """The PFS header ``raw`` (None when absent) judged against the configured MVPDs."""
    if raw is None or not raw.strip():
        return ABSENT
    data = _decode(raw)
    if data is None:
        return Pfs(True, None, NOT_PRESENT, "malformed")
    permission = data.get("frameworkPermissionInfo")
    provider = data.get("frameworkProviderInfo")
    provider = provider if isinstance(provider, dict) else {}
    platform_id = provider.get("id")
    mvpd = s.mvpd_for_platform_id(platform_id) if isinstance(platform_id, str) and platform_id else None
    mvpd_id = mvpd.id if mvpd else None
    status = permission.get("accessStatus") if isinstance(permission, dict) else None
    if not isinstance(status, str) or not status:
        return Pfs(True, mvpd_id, NOT_PRESENT, "no_access_status")
    if status != "granted":
        code = NOT_DETERMINED if status in ("notDetermined", "pending") else NOT_GRANTED
        return Pfs(True, mvpd_id, code, status)
    if mvpd is None:
        return Pfs(True, None, PROVIDER_UNKNOWN, "unknown_provider")
    if _expired(provider.get("expirationDate"), int(time.time() * 1000)):
        return Pfs(True, mvpd_id, PROVIDER_EXPIRED, "expired")
    return Pfs(True, mvpd_id, None)
