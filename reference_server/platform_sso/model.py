"""Profiles in the store: regular profiles and the platform-identity SSO links to them.

- A regular profile is bound to (serviceProvider, client application, device, mvpd): another
  device or another registration never sees it (spec §4.6, FAQ #9/#13).
- An SSO link is bound to (platform identity, mvpd): any application and device presenting the
  same identity sees it as a ``platformSSO`` profile, with the first application's validity
  (Roku FAQ: apps that get SSO share the first app's TTL). It points back at its origin regular
  profile so that single logout removes both.

- An appleSSO profile (partner single sign-on, docs/partner_sso.md) is bound like a regular one
  to (serviceProvider, client application, device, mvpd), and is seen and used only with a valid
  ``AP-Partner-Framework-Status`` whose provider id maps to that mvpd.

Records keep ``notBefore``/``notAfter`` (ms) and stay in the store a grace period after expiry,
so decisions can answer ``authenticated_profile_expired`` rather than ``..._missing``.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from reference_server.platform_sso.context import Call
from reference_server.platform_sso.settings import Deviations, Settings

REGULAR, PLATFORM_SSO, APPLE_SSO = "regular", "platformSSO", "appleSSO"


def now_ms() -> int:
    return int(time.time() * 1000)


def profile_key(d: Deviations, sp: str, client_id: str, device: str | None, mvpd: str) -> str:
    client = "*" if d.share_profiles_across_clients else client_id
    dev = "*" if d.share_profiles_across_devices else (device or "none")
    return f"psso:prf:{sp}:{client}:{dev}:{mvpd}"


def apple_key(d: Deviations, sp: str, client_id: str, device: str | None, mvpd: str) -> str:
    client = "*" if d.apple_profile_shared_across_clients else client_id
    dev = "*" if d.apple_profile_shared_across_devices else (device or "none")
    return f"psso:apple:{sp}:{client}:{dev}:{mvpd}"


def sso_key(identity: str, mvpd: str) -> str:
    return f"psso:sso:{identity}:{mvpd}"


def user_id(username: str, mvpd: str) -> str:
    """The MVPD's stable user id for an account (same for every app, so SSO can be checked)."""
    return hashlib.sha256(f"{mvpd}\x00{username.strip().lower()}".encode()).hexdigest()[:20]


def _ttl(record: dict[str, Any], s: Settings) -> float:
    return max(0.0, (record["notAfter"] - now_ms()) / 1000) + s.expired_profile_grace_s


def save_profile(call: Call, session: dict[str, Any], account: dict[str, Any], mvpd: str) -> str:
    """Save the regular profile an MVPD login produced (+ its SSO link); returns its store key."""
    s, store = call.settings, call.store
    now = now_ms()
    uid = user_id(account["username"], mvpd)
    record = {
        "notBefore": now,
        "notAfter": now + int(s.profile_ttl_s * 1000),
        "issuer": mvpd,
        "type": REGULAR,
        "attributes": {
            "userID": {"value": uid, "state": "plain"},
            "upstreamUserID": {"value": uid, "state": "plain"},
            "householdID": {"value": "hh-" + uid[:12], "state": "plain"},
        },
        "sso": None,
    }
    key = profile_key(call.deviations, session["sp"], session["client_id"], session["device"], mvpd)
    if session.get("identity"):
        record["sso"] = sso_key(session["identity"], mvpd)
        link = {k: record[k] for k in ("notBefore", "notAfter", "attributes")}
        link.update(mvpd=mvpd, origin=key, sp=session["sp"], device=session["device"])
        store.put(record["sso"], link, _ttl(record, s))
    store.put(key, record, _ttl(record, s))
    return key


def save_apple_profile(call: Call, mvpd: str, user: str, upstream: str) -> dict[str, Any]:
    """Save the caller's appleSSO profile for ``mvpd`` (Profiles Partner); returns the record."""
    s = call.settings
    now = now_ms()
    record = {
        "notBefore": now,
        "notAfter": now + int(s.profile_ttl_s * 1000),
        "issuer": "Apple",
        "type": APPLE_SSO,
        "attributes": {
            "userID": {"value": user, "state": "plain"},
            "upstreamUserID": {"value": upstream, "state": "plain"},
        },
    }
    key = apple_key(call.deviations, call.sp, call.client_id, call.device, mvpd)
    call.store.put(key, record, _ttl(record, s))
    return record


def apple(call: Call, mvpd: str) -> dict[str, Any] | None:
    """The caller's own appleSSO profile for ``mvpd``, whatever the PFS (expired ones included)."""
    return call.store.get(apple_key(call.deviations, call.sp, call.client_id, call.device, mvpd))


def apple_visible(call: Call, mvpd: str, *, use: bool = False) -> dict[str, Any] | None:
    """The caller's appleSSO profile for ``mvpd`` when its PFS grants that mvpd (``use``: decisions)."""
    d = call.deviations
    ignored = d.decisions_ignore_pfs if use else d.apple_profile_without_pfs
    granted = call.pfs.grants(mvpd) or ignored
    return apple(call, mvpd) if granted else None


def ever_signed_in(call: Call) -> bool:
    """Whether the caller's application or device holds any profile (any mvpd, any type)."""
    client, device = f":{call.client_id}:", f":{call.device or 'none'}:"
    for prefix in (f"psso:prf:{call.sp}:", f"psso:apple:{call.sp}:"):
        for key, _ in call.store.items(prefix):
            if client in key or device in key:
                return True
    return False


def live(record: dict[str, Any] | None) -> bool:
    return record is not None and record["notBefore"] <= now_ms() + 1000 and now_ms() < record["notAfter"]


def regular(call: Call, mvpd: str) -> dict[str, Any] | None:
    """The caller's own regular profile for ``mvpd`` (expired ones included; see ``live``)."""
    return call.store.get(profile_key(call.deviations, call.sp, call.client_id, call.device, mvpd))


def sso_link(call: Call, mvpd: str) -> dict[str, Any] | None:
    """The SSO link the caller's platform identity reaches for ``mvpd``."""
    d = call.deviations
    # Fault: a registration that once reached SSO keeps it on its device without the token.
    remembered = f"psso:ssomem:{call.sp}:{call.client_id}:{call.device}:{mvpd}"
    if call.identity:
        link = call.store.get(sso_key(call.identity, mvpd))
        if link is not None and d.sso_remembered_without_token:
            call.store.put(remembered, sso_key(call.identity, mvpd), call.settings.profile_ttl_s)
        return link
    if d.sso_remembered_without_token and call.store.get(remembered):
        return call.store.get(call.store.get(remembered))
    if call.deviations.sso_by_device and call.device:
        # Fault: SSO found through the device instead of the platform identity.
        for _, link in call.store.items("psso:sso:"):
            if link.get("mvpd") == mvpd and link.get("device") == call.device:
                return link
    return None


def sso_profile(link: dict[str, Any], call: Call) -> dict[str, Any]:
    """The platformSSO profile a link shows: the origin's validity and attributes, issuer = mvpd."""
    record = {
        "notBefore": link["notBefore"],
        "notAfter": link["notAfter"],
        "issuer": link["mvpd"],
        "type": PLATFORM_SSO,
        "attributes": {**link["attributes"], "mvpd": {"value": link["mvpd"], "state": "plain"}},
    }
    if call.deviations.sso_own_ttl:
        record["notBefore"] = now_ms()
        record["notAfter"] = record["notBefore"] + int(call.settings.profile_ttl_s * 1000)
    return record


def find(call: Call, mvpd: str, *, sso: bool = True, use: bool = False) -> tuple[dict[str, Any] | None, bool]:
    """The profile that serves the caller for ``mvpd``: its own regular one first, then its
    appleSSO one (with a PFS granting ``mvpd``), else platform SSO. ``use``: for decisions.

    Returns (profile, expired): a live profile, or the expired one that used to serve, or None.
    """
    own = regular(call, mvpd)
    if live(own):
        return own, False
    partner = apple_visible(call, mvpd, use=use)
    if live(partner):
        return partner, False
    link = sso_link(call, mvpd) if sso else None
    shown = sso_profile(link, call) if link else None
    if live(shown):
        return shown, False
    stale = own or partner or shown
    return stale, stale is not None


def body(record: dict[str, Any]) -> dict[str, Any]:
    """A profile as the Profiles endpoints show it."""
    return {k: record[k] for k in ("notBefore", "notAfter", "issuer", "type", "attributes")}


def delete(call: Call, mvpd: str) -> str | None:
    """Single logout for ``mvpd``: the caller's regular profile, the SSO link its identity reaches,
    and (through either) the linked profile of the first application.

    The caller's appleSSO profile goes too (no PFS needed).
    Returns which live profile served the caller: "regular", "appleSSO", "platformSSO" or None.
    """
    d, store = call.deviations, call.store
    own_key = profile_key(d, call.sp, call.client_id, call.device, mvpd)
    own = store.get(own_key) if d.logout_keeps_profile else store.pop(own_key)
    served = REGULAR if live(own) else None
    partner_key = apple_key(d, call.sp, call.client_id, call.device, mvpd)
    partner = store.get(partner_key) if d.logout_keeps_apple_profile else store.pop(partner_key)
    if served is None and live(partner):
        served = APPLE_SSO
    reached = sso_key(call.identity, mvpd) if call.identity else None
    for key in {k for k in ((own or {}).get("sso"), reached) if k}:
        link = store.get(key) if d.logout_keeps_sso else store.pop(key)
        if link is None:
            continue
        if served is None and key == reached and live(sso_profile(link, call)):
            served = PLATFORM_SSO
        removes_origin = not d.logout_keeps_sso and not d.single_logout_keeps_origin
        if removes_origin and link.get("origin") != own_key:
            store.pop(link["origin"])
    return served
