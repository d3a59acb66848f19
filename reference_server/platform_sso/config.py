"""Retrieve configuration (spec §4.1): the MVPDs with an active integration for the service provider.

§8 #1: the attribute table puts ``mvpds`` at the top level while the sample and [O] nest it in
``requestor``; this server nests it (sample + [O]). Top-level device keys differ too ([P]
device/clientType/os, [O] platformCategory/os/sdkType/platform): this server sends both sets.
"""

from __future__ import annotations

from typing import Any

from reference_server.platform_sso.context import Call
from reference_server.platform_sso.errors import PassError
from reference_server.platform_sso.settings import Mvpd
from reference_server.reply import Reply

_CATEGORY = {
    "MobilePhone": "mobile",
    "Tablet": "mobile",
    "Wristwatch": "mobile",
    "TV": "tv",
    "SetTopBox": "tv",
    "MediaPlayer": "tv",
    "GamesConsole": "tv",
    "Desktop": "desktop",
}


def mvpd_entry(m: Mvpd) -> dict[str, Any]:
    """One MVPD as Configuration lists it."""
    entry: dict[str, Any] = {"id": m.id, "displayName": m.display_name or m.id}
    if m.logo_url:
        entry["logoUrl"] = m.logo_url
    # Partner SSO members, only where configured (a platform_sso-only profile configures none).
    for member, value in (
        ("platformMappingId", m.platform_mapping_id),
        ("enablePlatformServices", m.enable_platform_services),
        ("displayInPlatformPicker", m.display_in_platform_picker),
        ("boardingStatus", m.boarding_status),
    ):
        if value is not None:
            entry[member] = value
    return entry


async def configuration(call: Call) -> Reply:
    s = call.settings
    if call.device is None and call.deviations.configuration_requires_device_identifier:
        raise PassError("invalid_header_device_identifier", "AP-Device-Identifier is required")
    info = call.device_info or {}
    hardware = info.get("primaryHardwareType") or info.get("type") or "unknown"
    os_name = info.get("osName") or "Unknown"
    mvpds = [mvpd_entry(m) for m in s.mvpds if m.active]
    body = {
        "device": str(hardware).lower(),
        "clientType": "rest_api_v2",
        "os": os_name,
        "platformCategory": _CATEGORY.get(str(hardware), "unknown"),
        "sdkType": "rest_api_v2",
        "platform": str(os_name).lower(),
        "requestor": {
            "id": call.sp,
            "name": f"Reference service provider {call.sp}",
            "domains": [{"name": d, "mvpdInitiated": False} for d in s.domains],
            "mvpds": mvpds,
        },
    }
    return Reply(200, body)
