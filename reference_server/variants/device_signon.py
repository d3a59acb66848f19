"""Conforming variants of the `device_signon` reference server (specs/device-and-ropc.md §1, §3)."""

from __future__ import annotations

from typing import Any

from reference_server.device_signon import ENDPOINTS as DSO
from reference_server.faults.transforms import drop_members, edit_body, on_success, set_status, when_status
from reference_server.variants import Variants
from reference_server.variants.common import (
    add_json_wire,
    error_uri,
    extended_no_store,
    extra_members,
    token_type,
)

V = Variants("device_signon")
RFC8628 = (DSO.device_authorization, DSO.token)


def _expires_in_seconds(body: dict[str, Any]) -> None:
    if isinstance(body.get("expiresAfterMillis"), (int, float)):
        body["expiresAfterMillis"] = round(body["expiresAfterMillis"] / 1000)


V.add(
    "dsra_poll_202",
    "device-and-ropc §1.5 D2 (DOC-CONFLICT): the text says 200, the Response section says HTTP 202",
    "D2 answers 202 with clientId and signOnActivationToken once the code is approved",
    reply={DSO.dsra_poll: when_status(200, set_status(202))},
)
V.add(
    "expires_after_seconds",
    "device-and-ropc §1.3 D1 (DOC-CONFLICT): expiresAfterMillis is 'the expiration period in seconds'",
    "D1's expiresAfterMillis counts seconds (the profile says so: features.expires_after_unit = 's')",
    reply={DSO.dsra_code: on_success(edit_body(_expires_in_seconds))},
    profile={"device_signon": {"features": {"expires_after_unit": "s"}}},
)
V.add(
    "no_verification_uri_complete",
    "RFC 8628 §3.2: verification_uri_complete is OPTIONAL",
    "device authorization responses carry no verification_uri_complete (features say so)",
    reply={DSO.device_authorization: on_success(drop_members("verification_uri_complete"))},
    profile={"device_signon": {"features": {"verification_uri_complete": False}}},
)
V.add(
    "numeric_user_code",
    "RFC 8628 §6.1: a numeric user code of 9 digits is the alternative to 8 base-20 letters",
    "user codes are 9 digits (shown 4-5 with a dash); DSRA codes keep their letters, 9 long",
    configure={"user_code_alphabet": "0123456789", "code_length": 9},
)
V.add(
    "extra_members",
    "RFC 6749 §5.1, RFC 8628 §3.2: unknown response members are ignored; RFC 8414 §2, RFC 7517 §4",
    "every JSON response (DSRA, IAS, RFC 8628, metadata, JWKS, errors) carries unknown members",
    every=extra_members,
)
add_json_wire(V, "RFC 6749 §5.1 example: Content-Type: application/json;charset=UTF-8")
V.add(
    "extended_no_store",
    "RFC 6749 §5.1: Cache-Control: no-store is required, other directives may join it (RFC 9111 §5.2)",
    "Cache-Control: no-cache, no-store, max-age=0, must-revalidate and Expires: 0 wherever no-store is sent",
    every=extended_no_store,
)
V.add(
    "error_uri",
    "RFC 6749 §5.2 (RFC 8628 §3.5 errors): error_uri is OPTIONAL",
    "RFC 8628 errors (authorization_pending, slow_down, ...) carry an error_uri",
    reply={e: error_uri("https://idp.example.test/docs/device-errors") for e in RFC8628},
)
V.add(
    "token_type_lowercase",
    "RFC 6749 §5.1, §7.1: token_type is case-insensitive",
    'the RFC 8628 token response says token_type "bearer"',
    reply={DSO.token: on_success(token_type("bearer"))},
)
V.add(
    "custom_paths",
    "RFC 8628 §3.1-3.3, RFC 8414 §2: the endpoints are wherever the metadata and the profile say",
    "device authorization at /connect/deviceauthorization, token at /connect/device/token, page at /activate",
    profile={
        "device_signon": {
            "device_authorization_url": "/connect/deviceauthorization",
            "token_url": "/connect/device/token",
            "verification_url": "/activate",
        }
    },
)
