"""The `device_signon` reference server over real HTTP: both variants, approvals, negatives, faults.

Every JSON reply is checked against schemas/device_signon.openapi.yaml (component schemas).
"""

from __future__ import annotations

import copy
import dataclasses
import re
import time
from typing import Any

import httpx
import jwt
import pytest

from conformance import catalogue, openapi
from conformance.profile import REFERENCE_PROFILE, load
from reference_server import faults
from reference_server.device_signon import Deviations, Settings
from reference_server.device_signon.settings import CODE_ALPHABET
from reference_server.server import EmbeddedServer

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_INFO = {
    "deviceType": "OPEN",
    "device": {"hardware": {"type": "Tizen", "manufacturer": "Samsung", "model": "QE55"}},
}


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return load(REFERENCE_PROFILE, env={}).data


@pytest.fixture(scope="module")
def server(profile):
    with EmbeddedServer(profile) as srv:
        yield srv


@pytest.fixture(scope="module")
def quick_server(profile):
    """Same profile with sub-second lifetimes, for the expiry paths."""
    data = copy.deepcopy(profile)
    data["reference_server"]["device_signon"].update(
        code_ttl_s=0.6, activation_token_ttl_s=0.3, polling_period_s=0.1
    )
    with EmbeddedServer(data) as srv:
        yield srv


@pytest.fixture
def http(server):
    server.set_faults([])
    server.reset()
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client
    server.set_faults([])


@pytest.fixture
def quick(quick_server):
    quick_server.reset()
    with httpx.Client(base_url=quick_server.url, timeout=5) as client:
        yield client


def section(profile) -> dict[str, Any]:
    return profile["device_signon"]


def acct(profile, role: str) -> dict[str, Any]:
    return next(a for a in section(profile)["accounts"] if a["role"] == role)


def valid(name: str, resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert openapi.errors("device_signon", name, body) == [], (name, body)
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- DSRA helpers ---------------------------------------------------------------------------------


def register(http: httpx.Client) -> dict[str, Any]:
    resp = http.get("/dsra/v1/user/deviceRegistrationCode")
    assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
    return valid("DsraRegistration", resp)


def poll(
    http: httpx.Client, token: str, body: dict[str, Any] | None = None, extra: dict[str, str] | None = None
) -> httpx.Response:
    return http.put(
        "/dsra/v1/user/signOnActivationToken",
        json={"deviceInformation": DEVICE_INFO} if body is None else body,
        headers=bearer(token) | (extra or {}),
    )


def companion_token(http: httpx.Client, profile, role: str = "secondary") -> str:
    account = acct(profile, role)
    resp = http.post(
        "/ias/v3/token/actions/signOnByUserNamePassword",
        json={"username": account["username"], "password": account["password"]},
    )
    assert resp.status_code == 201, resp.text
    return valid("IasTokens", resp)["access_token"]


def approve(http: httpx.Client, token: str, code: str) -> httpx.Response:
    return http.put(
        "/dsra/v1/user/deviceRegistrationCode/actions/approve",
        json={"deviceRegistrationCode": code},
        headers=bearer(token),
    )


def operator_token(http: httpx.Client, profile) -> str:
    sec = section(profile)
    resp = http.post(
        "/auth/realms/operator/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=(sec["operator_client_id"], sec["operator_client_secret"]),
    )
    assert resp.status_code == 200, resp.text
    return valid("OperatorTokenResponse", resp)["access_token"]


def portal_approve(http, token: str, code: str, account_id: str | None, tenant: str | None) -> httpx.Response:
    headers = bearer(token) | ({"nv-tenant-id": tenant} if tenant else {})
    body = {"deviceRegistrationCode": code} | ({"accountId": account_id} if account_id else {})
    return http.put("/dsra/v1/operator/deviceRegistrationCode/actions/approve", json=body, headers=headers)


def collect(http: httpx.Client, token: str, period: float) -> dict[str, Any]:
    time.sleep(period)
    resp = poll(http, token)
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    return valid("DsraActivation", resp)


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


# --- DSRA -----------------------------------------------------------------------------------------


def test_dsra_companion_flow_end_to_end(http, profile):
    reg = register(http)
    timings = profile["reference_server"]["device_signon"]  # what the server was told to advertise
    assert reg["expiresAfterMillis"] == timings["code_ttl_s"] * 1000
    assert reg["pollingPeriodSeconds"] == timings["polling_period_s"]
    assert len(reg["deviceRegistrationCode"]) == 8 and set(reg["deviceRegistrationCode"]) <= set(
        CODE_ALPHABET
    )
    pending = poll(http, reg["dsraToken"], extra={"x-correlation-id": "corr-1"})
    assert pending.status_code == 204 and pending.content == b""
    assert pending.headers["x-correlation-id"] == "corr-1"
    fast = poll(http, reg["dsraToken"])
    assert fast.status_code == 429 and fast.headers["retry-after"] == "1"
    assert valid("ApiError", fast)["code"] == 31005
    code = reg["deviceRegistrationCode"].lower()
    resp = approve(http, companion_token(http, profile), f"{code[:4]}-{code[4:]}")  # normalised
    assert resp.status_code == 202, resp.text
    got = collect(http, reg["dsraToken"], reg["pollingPeriodSeconds"])
    again = poll(http, reg["dsraToken"])
    assert again.status_code == 403 and valid("ApiError", again)["code"] == 31003

    resp = http.post(
        "/ias/v3/token/actions/signOnBySignOnActivationToken", headers=bearer(got["signOnActivationToken"])
    )
    assert resp.status_code == 201 and resp.headers["cache-control"] == "no-store"
    tokens = valid("IasTokens", resp)
    secondary = acct(profile, "secondary")["account_id"]
    assert tokens["client_id"] == got["clientId"] and tokens["accountId"] == secondary
    access = claims(tokens["access_token"])
    assert access["deviceId"] == got["clientId"] and access["accountId"] == secondary
    assert access["typ"] == "DevAuthN" and time.time() < access["exp"] < time.time() + 3600
    jwks = valid("Jwks", http.get("/ias/.well-known/jwks.json"))
    key = jwt.PyJWK(jwks["keys"][0]).key
    jwt.decode(tokens["access_token"], key, algorithms=["RS256"])

    reused = http.post(
        "/ias/v3/token/actions/signOnBySignOnActivationToken", headers=bearer(got["signOnActivationToken"])
    )
    assert reused.status_code == 401 and valid("ApiError", reused)["code"] == 20020
    refreshed = http.post(
        "/ias/v2/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    new = valid("IasTokens", refreshed)
    assert new["refresh_token"] != tokens["refresh_token"] and new["access_token"] != tokens["access_token"]
    old = http.post(
        "/ias/v2/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert old.status_code == 401

    # A known device keeps its clientId; identical deviceInformation makes a new device.
    reg2 = register(http)
    assert reg2["deviceRegistrationCode"] != reg["deviceRegistrationCode"]
    assert approve(http, companion_token(http, profile), reg2["deviceRegistrationCode"]).status_code == 202
    assert collect(http, reg2["dsraToken"], 0)["clientId"] != got["clientId"]
    reg3 = register(http)
    assert approve(http, companion_token(http, profile), reg3["deviceRegistrationCode"]).status_code == 202
    resp = poll(http, reg3["dsraToken"], {"clientId": got["clientId"]})
    assert resp.status_code == 200 and valid("DsraActivation", resp)["clientId"] == got["clientId"]


def test_dsra_portal_flow_binds_account_and_suspension_is_refused(http, profile):
    op = operator_token(http, profile)
    tenant = section(profile)["tenant_id"]
    secondary, suspended = acct(profile, "secondary")["account_id"], acct(profile, "suspended")["account_id"]
    reg = register(http)
    assert portal_approve(http, op, reg["deviceRegistrationCode"], secondary, None).status_code == 400
    assert portal_approve(http, op, reg["deviceRegistrationCode"], None, tenant).status_code == 400
    assert (
        portal_approve(http, op, reg["deviceRegistrationCode"], secondary, "other-tenant").status_code == 403
    )
    device = companion_token(http, profile)
    assert portal_approve(http, device, reg["deviceRegistrationCode"], secondary, tenant).status_code == 403
    assert approve(http, op, reg["deviceRegistrationCode"]).status_code == 403  # operator token at D3
    assert portal_approve(http, op, "BBBBBBBB", secondary, tenant).status_code == 404
    assert portal_approve(http, op, reg["deviceRegistrationCode"], secondary, tenant).status_code == 202
    got = collect(http, reg["dsraToken"], 0)
    tokens = http.post(
        "/ias/v3/token/actions/signOnBySignOnActivationToken", headers=bearer(got["signOnActivationToken"])
    ).json()
    assert tokens["accountId"] == secondary == claims(tokens["access_token"])["accountId"]

    reg = register(http)
    assert portal_approve(http, op, reg["deviceRegistrationCode"], suspended, tenant).status_code == 202
    got = collect(http, reg["dsraToken"], 0)
    resp = http.post(
        "/ias/v3/token/actions/signOnBySignOnActivationToken", headers=bearer(got["signOnActivationToken"])
    )
    assert resp.status_code == 403 and valid("ApiError", resp)["code"] == 20002


def test_dsra_negatives(http, profile):
    reg = register(http)
    token = reg["dsraToken"]
    missing = http.put("/dsra/v1/user/signOnActivationToken", json={"deviceInformation": DEVICE_INFO})
    assert missing.status_code == 401 and valid("ApiError", missing)["code"] == 31000
    assert poll(http, "forged-" + token).status_code == 401
    bare = http.put(
        "/dsra/v1/user/signOnActivationToken", json={"clientId": "x"}, headers={"Authorization": token}
    )
    assert bare.status_code == 401
    assert poll(http, token, {}).status_code == 400
    assert poll(http, token, {"managedDeviceInformation": {"model": "x"}}).status_code == 400
    assert poll(http, token, {"clientId": "PUB_never_issued"}).status_code == 400
    assert http.post("/dsra/v1/user/deviceRegistrationCode").status_code == 405
    assert http.get("/dsra/v1/user/signOnActivationToken").status_code == 405

    companion = companion_token(http, profile)
    no_token = http.put(
        "/dsra/v1/user/deviceRegistrationCode/actions/approve", json={"deviceRegistrationCode": "x"}
    )
    assert no_token.status_code == 400
    assert approve(http, "not-a-token", reg["deviceRegistrationCode"]).status_code == 403
    assert (
        http.put(
            "/dsra/v1/user/deviceRegistrationCode/actions/approve", json={}, headers=bearer(companion)
        ).status_code
        == 400
    )
    assert approve(http, companion, "BBBBBBBB").status_code == 404
    assert approve(http, companion, reg["deviceRegistrationCode"]).status_code == 202
    twice = approve(http, companion, reg["deviceRegistrationCode"])
    assert twice.status_code == 403 and valid("ApiError", twice)["code"] == 31002

    assert http.post("/ias/v3/token/actions/signOnBySignOnActivationToken").status_code == 401
    confused = http.post("/ias/v3/token/actions/signOnBySignOnActivationToken", headers=bearer(token))
    assert confused.status_code == 401
    wrong = http.post(
        "/ias/v3/token/actions/signOnByUserNamePassword",
        json={"username": acct(profile, "primary")["username"], "password": "wrong-password"},
    )
    assert wrong.status_code == 401 and valid("ApiError", wrong)["code"] == 20000

    # Reject (PROPOSED extension): the device is told, and the code cannot be approved afterwards.
    reg = register(http)
    resp = http.put(
        "/dsra/v1/user/deviceRegistrationCode/actions/reject",
        json={"deviceRegistrationCode": reg["deviceRegistrationCode"]},
        headers=bearer(companion),
    )
    assert resp.status_code == 202
    assert poll(http, reg["dsraToken"]).status_code == 403
    assert approve(http, companion, reg["deviceRegistrationCode"]).status_code == 403


def test_dsra_approval_brute_force_is_throttled(http, profile):
    reg = register(http)
    token = companion_token(http, profile, "lockout")
    statuses = [approve(http, token, "BBBBBBB" + ch).status_code for ch in "CDFGHJKL"]
    assert statuses[:5] == [404] * 5 and 429 in statuses
    throttled = approve(http, token, reg["deviceRegistrationCode"])
    assert throttled.status_code == 429 and "retry-after" in throttled.headers
    assert valid("ApiError", throttled)["code"] == 31011


def test_dsra_expiry(quick, profile):
    reg = quick.get("/dsra/v1/user/deviceRegistrationCode").json()
    assert reg["expiresAfterMillis"] == 600
    approved = quick.get("/dsra/v1/user/deviceRegistrationCode").json()
    companion = companion_token(quick, profile)
    assert approve(quick, companion, approved["deviceRegistrationCode"]).status_code == 202
    late = quick.get("/dsra/v1/user/deviceRegistrationCode").json()
    assert approve(quick, companion, late["deviceRegistrationCode"]).status_code == 202
    early = poll(quick, late["dsraToken"]).json()  # collected in time; its activation token will expire
    time.sleep(0.65)
    expired = poll(quick, reg["dsraToken"])
    assert expired.status_code == 403 and valid("ApiError", expired)["code"] == 31001
    assert poll(quick, approved["dsraToken"]).status_code == 403  # approved but never collected
    assert approve(quick, companion, reg["deviceRegistrationCode"]).status_code == 403
    stale = quick.post(
        "/ias/v3/token/actions/signOnBySignOnActivationToken", headers=bearer(early["signOnActivationToken"])
    )
    assert stale.status_code == 401


# --- RFC 8628 -------------------------------------------------------------------------------------


def authorize(http: httpx.Client, client_id: str = "ref-tv-app", scope: str = "openid profile email", **kw):
    resp = http.post("/oauth2/device_authorization", data={"client_id": client_id, "scope": scope}, **kw)
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    return valid("DeviceAuthorizationResponse", resp)


def token_poll(http: httpx.Client, device_code: str, client_id: str = "ref-tv-app") -> httpx.Response:
    return http.post(
        "/oauth2/token", data={"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client_id}
    )


def oauth_error(resp: httpx.Response, status: int = 400) -> str:
    assert resp.status_code == status, resp.text
    return valid("OAuthError", resp)["error"]


def page_sign_in(
    http: httpx.Client, profile, user_code: str, role: str = "primary", password: str | None = None
):
    account = acct(profile, role)
    return http.post(
        "/device",
        data={
            "username": account["username"],
            "password": password or account["password"],
            "user_code": user_code,
            "action": "continue",
        },
    )


def page_decide(http: httpx.Client, consent_page: httpx.Response, action: str) -> httpx.Response:
    consent = re.search(r'name="consent" value="([^"]+)"', consent_page.text)
    assert consent, consent_page.text
    return http.post("/device", data={"consent": consent.group(1), "action": action})


def test_rfc8628_flow_end_to_end(http, profile):
    meta = valid("AuthorizationServerMetadata", http.get("/.well-known/oauth-authorization-server"))
    assert DEVICE_GRANT in meta["grant_types_supported"]
    da = authorize(http)
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", da["user_code"])
    assert (
        da["user_code"] in da["verification_uri_complete"] and da["user_code"] not in da["verification_uri"]
    )
    timings = profile["reference_server"]["device_signon"]
    assert da["expires_in"] == timings["code_ttl_s"] and da["interval"] == timings["polling_period_s"]
    assert oauth_error(token_poll(http, da["device_code"])) == "authorization_pending"
    assert oauth_error(token_poll(http, da["device_code"])) == "slow_down"
    time.sleep(timings["polling_period_s"] + profile["device_signon"]["slow_down_increment_s"])  # widened
    assert oauth_error(token_poll(http, da["device_code"])) == "authorization_pending"

    page = http.get(da["verification_uri_complete"])
    assert page.status_code == 200 and f'value="{da["user_code"]}"' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    for name in ('name="username"', 'name="password"', 'name="user_code"', 'name="action" value="continue"'):
        assert name in page.text
    consent = page_sign_in(http, profile, da["user_code"].lower().replace("-", ""), "secondary")
    assert consent.status_code == 200 and da["user_code"] in consent.text
    assert 'value="approve"' in consent.text and 'value="deny"' in consent.text
    done = page_decide(http, consent, "approve")
    assert 'data-result="approved"' in done.text
    assert page_sign_in(http, profile, da["user_code"]).status_code == 400  # used code

    resp = token_poll(http, da["device_code"])
    assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
    assert resp.headers["pragma"] == "no-cache"
    tokens = valid("TokenResponse", resp)
    jwks = http.get("/ias/.well-known/jwks.json").json()
    id_token = jwt.decode(
        tokens["id_token"], jwt.PyJWK(jwks["keys"][0]).key, algorithms=["RS256"], audience="ref-tv-app"
    )
    assert id_token["iss"] == meta["issuer"] and id_token["email"] == acct(profile, "secondary")["username"]
    info = http.get("/oauth2/userinfo", headers=bearer(tokens["access_token"]))
    assert valid("UserInfo", info)["sub"] == id_token["sub"]

    refreshed = http.post(
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "ref-tv-app",
        },
    )
    new = valid("TokenResponse", refreshed)
    assert http.get("/oauth2/userinfo", headers=bearer(new["access_token"])).status_code == 200
    reuse = http.post(
        "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "ref-tv-app",
        },
    )
    assert oauth_error(reuse) == "invalid_grant"
    assert (
        http.get("/oauth2/userinfo", headers=bearer(new["access_token"])).status_code == 401
    )  # grant revoked

    assert oauth_error(token_poll(http, da["device_code"])) == "invalid_grant"  # replay


def test_rfc8628_replay_revokes_and_deny_path(http, profile):
    da = authorize(http)
    page_decide(http, page_sign_in(http, profile, da["user_code"]), "approve")
    first = token_poll(http, da["device_code"]).json()
    assert http.get("/oauth2/userinfo", headers=bearer(first["access_token"])).status_code == 200
    assert oauth_error(token_poll(http, da["device_code"])) == "invalid_grant"
    revoked = http.get("/oauth2/userinfo", headers=bearer(first["access_token"]))
    assert revoked.status_code == 401 and 'error="invalid_token"' in revoked.headers["www-authenticate"]
    valid("BearerError", revoked)
    challenge = http.get("/oauth2/userinfo")
    assert (
        challenge.status_code == 401
        and challenge.headers["www-authenticate"] == 'Bearer realm="device_signon"'
    )

    da = authorize(http)
    done = page_decide(http, page_sign_in(http, profile, da["user_code"]), "deny")
    assert 'data-result="denied"' in done.text
    assert oauth_error(token_poll(http, da["device_code"])) == "access_denied"
    time.sleep(0.2)
    assert oauth_error(token_poll(http, da["device_code"])) == "access_denied"


def test_rfc8628_negatives(http, profile):
    sec = section(profile)
    assert (
        oauth_error(http.post("/oauth2/device_authorization", data={"client_id": "nobody"}), 401)
        == "invalid_client"
    )
    assert oauth_error(http.post("/oauth2/device_authorization", data={}), 401) == "invalid_client"
    dup = http.post(
        "/oauth2/device_authorization",
        content=b"client_id=ref-tv-app&scope=openid&scope=email",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert oauth_error(dup) == "invalid_request"
    bad_scope = http.post("/oauth2/device_authorization", data={"client_id": "ref-tv-app", "scope": "admin"})
    assert oauth_error(bad_scope) == "invalid_scope"
    conf_id = sec["confidential_client_id"]
    wrong = http.post("/oauth2/device_authorization", data={"scope": "openid"}, auth=(conf_id, "wrong"))
    assert oauth_error(wrong, 401) == "invalid_client" and wrong.headers["www-authenticate"].startswith(
        "Basic"
    )
    assert (
        oauth_error(http.post("/oauth2/device_authorization", data={"client_id": conf_id}), 401)
        == "invalid_client"
    )
    da = valid(
        "DeviceAuthorizationResponse",
        http.post(
            "/oauth2/device_authorization",
            data={"scope": "openid"},
            auth=(conf_id, sec["confidential_client_secret"]),
        ),
    )
    other = token_poll(http, da["device_code"], sec["other_public_client_id"])
    assert oauth_error(other) == "invalid_grant"
    assert oauth_error(token_poll(http, "unknown-device-code")) == "invalid_grant"
    missing = http.post("/oauth2/token", data={"grant_type": DEVICE_GRANT, "client_id": "ref-tv-app"})
    assert oauth_error(missing) == "invalid_request"
    odd = http.post("/oauth2/token", data={"grant_type": "password", "client_id": "ref-tv-app"})
    assert oauth_error(odd) == "unsupported_grant_type"
    got = http.get(
        "/oauth2/token", params={"grant_type": DEVICE_GRANT, "device_code": "x", "client_id": "ref-tv-app"}
    )
    assert oauth_error(got, 405) == "invalid_request"

    da = authorize(http)
    bad_pw = page_sign_in(http, profile, da["user_code"], password="wrong-password")
    assert bad_pw.status_code == 400 and 'data-error="invalid_credentials"' in bad_pw.text
    statuses = [page_sign_in(http, profile, "BBBB-BBB" + ch, "lockout").status_code for ch in "CDFGHJK"]
    assert statuses[:5] == [400] * 5 and statuses[-1] == 429
    throttled = page_sign_in(http, profile, da["user_code"], "lockout")
    assert throttled.status_code == 429 and 'data-error="rate_limited"' in throttled.text


def test_rfc8628_expiry(quick, profile):
    da = quick.post("/oauth2/device_authorization", data={"client_id": "ref-tv-app"}).json()
    time.sleep(0.65)
    assert oauth_error(token_poll(quick, da["device_code"])) == "expired_token"
    expired = page_sign_in(quick, profile, da["user_code"])
    assert expired.status_code == 400 and 'data-error="expired_code"' in expired.text


# --- faults, catalogue, schema ------------------------------------------------------------------


def test_catalogue_is_big_enough_and_faults_reference_only_its_ids():
    cat = catalogue.load("device_signon").requirements
    assert len(cat) >= 50
    registered = faults.for_contract("device_signon")
    assert len(registered) >= len([r for r in cat.values() if r.level == "MUST" and not r.untestable])
    settings = {f.name for f in dataclasses.fields(Settings)}
    deviations = {f.name: f.default for f in dataclasses.fields(Deviations)}
    for fault in registered:
        assert fault.name.startswith("device_signon."), fault.name
        assert fault.targets and set(fault.targets) <= set(cat), (fault.name, fault.targets)
        kinds = [kind for kind in (fault.reply, fault.deviate, fault.configure) if kind]
        assert len(kinds) == 1, fault.name
        assert set(fault.configure) <= settings, fault.name
        assert set(fault.deviate) <= set(deviations), fault.name
        if fault.reply is not None:
            assert str(fault.endpoint).startswith("device_signon."), fault.name
    assert all(default is False for default in deviations.values()), "a clean server deviates from nothing"
    targeted = {t for f in registered for t in f.targets}
    untested = [r.id for r in cat.values() if r.level == "MUST" and not r.untestable and r.id not in targeted]
    assert untested == []


def test_every_fault_can_be_switched_on(server):
    for fault in faults.for_contract("device_signon"):
        server.set_faults([fault.name])
        assert server.state.faults.names == [fault.name]
    server.set_faults([])


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        (
            "device_signon.dsra_missing_token_400",
            lambda h, p: h.put("/dsra/v1/user/signOnActivationToken").status_code == 400,
        ),
        (
            "device_signon.dsra_expires_as_string",
            lambda h, p: isinstance(register_raw(h)["expiresAfterMillis"], str),
        ),
        (
            "device_signon.unknown_device_code_invalid_request",
            lambda h, p: token_poll(h, "x").json()["error"] == "invalid_request",
        ),
        ("device_signon.page_frameable", lambda h, p: "x-frame-options" not in h.get("/device").headers),
        (
            "device_signon.device_response_cacheable",
            lambda h, p: (
                "cache-control"
                not in h.post("/oauth2/device_authorization", data={"client_id": "ref-tv-app"}).headers
            ),
        ),
    ],
)
def test_faults_change_behaviour(server, http, profile, fault, check):
    server.set_faults([fault])
    assert check(http, profile)


def register_raw(http: httpx.Client) -> dict[str, Any]:
    return http.get("/dsra/v1/user/deviceRegistrationCode").json()


def test_openapi_document_is_valid_openapi_31():
    from openapi_spec_validator import validate

    doc = copy.deepcopy(openapi.document("device_signon"))
    validate(doc)
    assert doc["openapi"].startswith("3.1")
