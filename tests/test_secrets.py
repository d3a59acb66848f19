"""No secret reaches any file a run writes: profile secrets, passwords, tokens, codes, PII, JWTs.

Per contract, one clean run and one failing run (with faults that put secrets in odd places),
each against its own reference server. The secrets looked for are the profile's, what the
server issued (read from its store, and from every response it sent: the store keeps only hashes
of some tokens, and forgets single-use ones once used) and the credentials the suite sent it
(software statements, subject tokens, bearer tokens), caught by a tap in front of the server.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import subprocess
import sys
from contextlib import ExitStack, suppress
from typing import Any
from urllib.parse import parse_qsl

import pytest

from conformance.plugin import SUITE_DIR
from conformance.profile import REFERENCE_PROFILE, load
from reference_server.server import EmbeddedServer
from tests.conftest import ROOT

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")
# Faults that put secrets where they do not belong, so the failing run has something to leak.
LEAKY_FAULTS = {
    "ott_idp": [
        "ott_idp.signup_echoes_password",
        "ott_idp.user_enumeration",
        "ott_idp.token_cacheable",
        "ott_idp.id_token_wrong_aud",
        "ott_idp.errors_text_plain",
    ],
    "device_signon": [
        "device_signon.dsra_text_errors",  # D2 errors as plain text: no field names to mask by
        "device_signon.verification_uri_has_code",  # the user code inside a URL field
        "device_signon.token_accepts_get",  # device codes and refresh tokens in query strings
        "device_signon.ias_accepts_dsra_token",  # a dsraToken used as a bearer token
        "device_signon.dsra_token_redelivered",  # a new activation token on every poll
        "device_signon.id_token_wrong_audience",  # failure messages about a token's claims
    ],
    "platform_sso": [
        "platform_sso.dcr_token_error_text_plain",  # JSON that says text/plain
        "platform_sso.dcr_token_query_ignored",  # client secrets sent in the query string too
        "platform_sso.preauthorize_with_token",  # media tokens where none is expected
        "platform_sso.media_token_wrong_resource",  # failure messages about a media token
        "platform_sso.subject_token_signature_unchecked",  # unsigned subject tokens accepted
    ],
    "partner_sso": [
        "partner_sso.saml_unsigned_accepted",  # unsigned SAML assertions accepted
        "partner_sso.saml_request_reusable",  # the same SAML response answered twice
        "partner_sso.preauthorize_with_token",  # media tokens where none is expected
    ],
}
# Fields whose values the server issues (responses) or the suite sends as credentials (requests).
ISSUED = {
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "serializedToken",
    "device_code",
    "user_code",
    "dsraToken",
    "deviceRegistrationCode",
    "signOnActivationToken",
    "software_statement",
    "password",
    "request",  # authenticationRequest.request: the Base64 SAML request
    "SAMLResponse",
}
CREDENTIAL_HEADERS = {
    "authorization",
    "adobe-subject-token",
    "x-roku-reserved-roku-connect-token",
    "ap-partner-framework-status",
}
MIN_LEN = 6  # shorter values (a 4-character code, "abc") would match by chance
MIN_SENT_LEN = 16  # shorter credentials the suite sends are its own bogus ones ("garbage"), named in reports


class Tap:
    """ASGI middleware: keeps every request (headers, query, body) and response body of the server."""

    def __init__(self, app: Any, seen: list[tuple[dict[str, Any], bytes]]) -> None:
        self.app, self.seen = app, seen

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = {
            "headers": {k.decode().lower(): v.decode(errors="replace") for k, v in scope["headers"]},
            "query": scope.get("query_string", b"").decode(errors="replace"),
            "body": b"",
        }
        response = bytearray()

        async def tapped_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                request["body"] += message.get("body", b"")
            return message

        async def tapped_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                response.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, tapped_receive, tapped_send)
        finally:
            self.seen.append((request, bytes(response)))


def _fields(node: Any, out: set[str]) -> None:
    """String values of ISSUED fields, anywhere in a JSON document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ISSUED and isinstance(v, str):
                out.add(v)
                if k == "serializedToken":  # Base64 of a compact JWS: the JWS is a secret too
                    with suppress(binascii.Error, UnicodeDecodeError):
                        out.add(base64.b64decode(v).decode())
            else:
                _fields(v, out)
    elif isinstance(node, list):
        for v in node:
            _fields(v, out)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _wire_secrets(seen: list[tuple[dict[str, Any], bytes]]) -> set[str]:
    """Credentials the suite sent and tokens the server answered, as the tap saw them."""
    found: set[str] = set()
    for request, response in seen:
        _fields(_json(response), found)
        body = request["body"]
        _fields(_json(body), found)
        pairs = parse_qsl(request["query"]) + parse_qsl(body.decode(errors="replace"))
        found.update(v for k, v in pairs if k in ISSUED)
        for name in CREDENTIAL_HEADERS & request["headers"].keys():
            scheme, _, cred = request["headers"][name].partition(" ")
            sent = cred if name == "authorization" else request["headers"][name]
            if (name != "authorization" or scheme.lower() == "bearer") and len(sent) >= MIN_SENT_LEN:
                found.add(sent)
            elif scheme.lower() == "basic":
                with suppress(binascii.Error, UnicodeDecodeError):
                    found.add(base64.b64decode(cred).decode().partition(":")[2])
    return found


def _store_secrets(contract: str, profile: Any, server: EmbeddedServer) -> set[str]:
    """What the server issued and keeps: tokens and codes are the keys of its store records."""
    found: set[str] = set()
    if contract == "ott_idp":
        for key, value in server.state.store.items("ott:"):
            kind, _, rest = key.partition(":")[2].partition(":")
            if kind in ("at", "rt"):
                found.add(rest)  # access and refresh tokens
            if kind == "user":
                found.add(value["email"])  # PII: accounts the suite created
    elif contract == "device_signon":
        for account in profile.section(contract).get("accounts", []):
            found.update((account["password"], account["username"], account.get("name") or ""))
        tokens = {"dsra", "dsracode", "sat", "dc", "uc", "oat", "ort", "ortused", "consent", "iasrt"}
        for key, value in server.state.store.items("dso:"):
            kind, _, rest = key.partition(":")[2].partition(":")
            if kind in tokens and rest != "lastcode":
                found.add(rest)  # dsraTokens, codes, activation/access/refresh tokens, consents, jtis
            if kind in ("dsra", "dc") and isinstance(value, dict):
                found.add(value.get("code") or value.get("user_code") or "")
    elif contract == "platform_sso":
        for account in profile.section(contract).get("accounts", []):
            found.update((account["password"], account["username"]))
        for key, _ in server.state.store.items("psso:"):
            kind, _, rest = key.partition(":")[2].partition(":")
            if kind in ("ses", "txn"):
                found.add(rest)  # registration codes, MVPD login transactions
    elif contract == "partner_sso":
        saml = profile.section(contract).get("saml", {})
        found.add(saml.get("name_id", ""))  # the subscriber's NameID and attribute values
        found.update(str(v) for v in saml.get("attributes", {}).values())
        for key, _ in server.state.store.items("psso:"):
            kind, _, rest = key.partition(":")[2].partition(":")
            if kind == "ses":
                found.add(rest)  # fallback authentication codes
    return found


def _start(server: EmbeddedServer, contract: str, out) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITE_DIR),
            "-c",
            str(SUITE_DIR / "pytest.ini"),
            "--rootdir",
            str(SUITE_DIR),
            "--profile",
            str(REFERENCE_PROFILE),
            "--contract",
            contract,
            "--target-url",
            server.url,
            "--report-dir",
            str(out),
            "-q",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("contract", list(LEAKY_FAULTS))
def test_no_secret_in_any_report_file(tmp_path, contract):
    profile = load(REFERENCE_PROFILE)
    with ExitStack() as stack:
        runs = {}
        # The clean and the failing run side by side, each on its own server: both mostly wait.
        for name, faults in {"clean": (), "failing": LEAKY_FAULTS[contract]}.items():
            seen: list[tuple[dict[str, Any], bytes]] = []
            server = EmbeddedServer(profile.data, faults)
            server.app.add_middleware(Tap, seen=seen)
            stack.enter_context(server)
            runs[name] = (server, seen, _start(server, contract, tmp_path / name))
        for name, (server, seen, proc) in runs.items():
            try:
                stdout, stderr = proc.communicate(timeout=300)
            finally:
                proc.kill()
            # The clean run covers one contract of the profile's three: PARTIAL (3), never a FAIL.
            assert proc.returncode == (3 if name == "clean" else 1), stdout[-2000:]
            assert name != "clean" or "verdict: PARTIAL" in stdout, stdout[-2000:]
            wire = _wire_secrets(seen)
            found = {*profile.secrets, *_store_secrets(contract, profile, server), *wire}
            secrets = {s for s in found if len(s) >= MIN_LEN}
            assert len(wire) > 20, f"{name} run: only {len(wire)} issued or sent secrets seen"
            files = list((tmp_path / name).iterdir())
            assert {f.name for f in files} == {"report.html", "results.json", "junit.xml"}
            for f in files + [None]:
                text = stdout + stderr if f is None else f.read_text()
                where = "console output" if f is None else f.name
                leaked = sorted(s for s in secrets if s in text)
                assert not leaked, f"{contract} {name} run: {len(leaked)} secret(s) in {where}: " + ", ".join(
                    f"{s[:4]}…({len(s)})" for s in leaked[:5]
                )
                assert not JWT.search(text), f"{contract} {name} run: a JWT in {where}"
