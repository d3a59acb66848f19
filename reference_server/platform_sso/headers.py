"""Device headers of REST API v2: AP-Device-Identifier and X-Device-Info (spec §2.3, §2.4).

``AP-Device-Identifier: fingerprint <Base64(stable device id)>`` binds profiles to a device.
``X-Device-Info: <Base64(JSON object)>`` describes the streaming device; values are merged with
what the server derives from User-Agent and the connection.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from reference_server import jsonbody
from reference_server.platform_sso.errors import PassError

_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


def _b64decode(value: str) -> bytes | None:
    """Standard Base64 (padding optional); URL-safe Base64 accepted too. None when neither."""
    value = value.strip()
    stripped = value.rstrip("=")
    if not stripped:
        return None
    padded = stripped + "=" * (-len(stripped) % 4)
    try:
        if _B64.match(value):
            return base64.b64decode(padded, validate=True)
        if _B64URL.match(value):
            return base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        return None
    return None


def device_key(value: str | None, *, validate_format: bool = True) -> str | None:
    """The store key of a device from its AP-Device-Identifier; PassError when malformed.

    Returns None when the header is absent (the caller decides whether that is an error).
    """
    if value is None or not value.strip():
        return None
    scheme, sep, identifier = value.strip().partition(" ")
    if validate_format:
        identifier = identifier.strip()
        decoded = _b64decode(identifier) if identifier else None
        if not sep or scheme.lower() != "fingerprint" or not decoded or not decoded.strip():
            raise PassError(
                "invalid_header_device_identifier",
                "AP-Device-Identifier must be 'fingerprint <Base64 of a stable device id>'",
            )
    else:
        identifier = value.strip()
    return hashlib.sha256(identifier.encode()).hexdigest()[:32]


def device_info(value: str | None) -> dict[str, Any] | None:
    """The decoded X-Device-Info JSON object; PassError when not Base64 of a JSON object."""
    if value is None or not value.strip():
        return None
    raw = _b64decode(value)
    try:
        info = jsonbody.loads(raw.decode("utf-8")) if raw is not None else None
    except (UnicodeDecodeError, ValueError):
        info = None
    if not isinstance(info, dict):
        raise PassError("invalid_header_device_info", "X-Device-Info must be Base64 of a JSON object")
    return info


def _version(text: Any) -> dict[str, Any]:
    parts = [p for p in re.split(r"[.\-_ ]", str(text or "")) if p]
    names = ("major", "minor", "patch")
    out: dict[str, Any] = {n: parts[i] if i < len(parts) else "0" for i, n in enumerate(names)}
    out["profile"] = "-".join(parts[3:]) if len(parts) > 3 else ""
    return out


def _prune(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if v not in (None, "", {})}


def describe(info: dict[str, Any] | None, user_agent: str | None, ip: str | None) -> dict[str, Any]:
    """The ``device`` object of a session (spec §4.4) from X-Device-Info, User-Agent and peer."""
    info = info or {}
    hardware_type = info.get("primaryHardwareType") or info.get("type")  # iOS snippets say `type`
    return _prune(
        {
            "type": hardware_type or "Unknown",
            "model": info.get("model") or "Unknown",
            "version": _version(info.get("version")),
            "hardware": _prune(
                {
                    "name": info.get("model"),
                    "vendor": info.get("vendor"),
                    "version": info.get("version"),
                    "manufacturer": info.get("manufacturer"),
                }
            ),
            "operatingSystem": _prune(
                {
                    "name": info.get("osName") or "Unknown",
                    "family": info.get("osFamily"),
                    "vendor": info.get("osVendor"),
                    "version": info.get("osVersion"),
                }
            ),
            "browser": _prune(
                {
                    "name": info.get("browserName"),
                    "vendor": info.get("browserVendor"),
                    "version": info.get("browserVersion"),
                    "userAgent": user_agent,
                    "originalUserAgent": user_agent,
                }
            ),
            "display": _prune(
                {
                    "width": info.get("displayWidth"),
                    "height": info.get("displayHeight"),
                    "ppi": info.get("displayPpi"),
                    "diagonalSize": info.get("diagonalScreenSize"),
                }
            ),
            "applicationId": info.get("applicationId"),
            "connection": _prune(
                {
                    "ipAddress": info.get("connectionIp") or ip,
                    "port": info.get("connectionPort"),
                    "secure": info.get("connectionSecure"),
                    "type": info.get("connectionType"),
                }
            ),
        }
    )
