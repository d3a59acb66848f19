"""Conforming variants of the `partner_sso` reference server (docs/partner_sso.md, specs/adobe-pass-v2.md)."""

from __future__ import annotations

from reference_server.faults.transforms import set_status, when_status
from reference_server.partner_sso import CONTRACT
from reference_server.partner_sso import ENDPOINTS as E
from reference_server.variants import Variants
from reference_server.variants.common import add_json_wire
from reference_server.variants.platform_sso import _eec_minimal, _missing_profile_top_level

V = Variants(CONTRACT)

V.add(
    "partner_profile_200",
    "adobe-pass-v2 §4.10, §8 #5: Profiles Partner answers 201 in [P], 200 in [O] (features.profile_status)",
    "Profiles Partner answers 200 instead of 201",
    reply={E.profiles_partner: when_status(201, set_status(200))},
)
V.add(
    "missing_profile_top_level",
    "adobe-pass-v2 §4.11, §10 rule 59; PTR-DEC-003: authenticated_profile_missing top-level or item-level",
    "decisions without a usable profile (an appleSSO one without PFS) answer one top-level 403 EEC error",
    reply={e: _missing_profile_top_level for e in (E.decisions_authorize, E.decisions_preauthorize)},
)
V.add(
    "eec_minimal",
    "adobe-pass-v2 §5.1, §10 rule 15: helpUrl and trace are optional EEC members",
    "EEC errors (top-level and item-level) carry only status, code, message and action",
    every=_eec_minimal,
)
add_json_wire(V, "RFC 8259 §11: application/json with a charset parameter")
