"""Access to REST API v2: the bearer token, the service provider, methods, device headers, configuration."""

from __future__ import annotations

import json

import pytest

from conformance.bodies import body_of
from conformance.suite.platform_sso.checks import eec_error, matches_schema, unauthorized
from conformance.suite.platform_sso.client import DEVICE_INFO, b64
from conformance.suite.platform_sso.readers import code_of

req = pytest.mark.requirement

# Every endpoint under /api/v2/{serviceProvider}: (method, path template).
ENDPOINTS = [
    ("GET", "/configuration"),
    ("POST", "/sessions"),
    ("GET", "/sessions/{code}"),
    ("POST", "/sessions/{code}"),
    ("GET", "/profiles"),
    ("GET", "/profiles/{mvpd}"),
    ("GET", "/profiles/code/{code}"),
    ("POST", "/decisions/authorize/{mvpd}"),
    ("POST", "/decisions/preauthorize/{mvpd}"),
    ("GET", "/logout/{mvpd}"),
]
# The endpoints that require AP-Device-Identifier.
DEVICE_ENDPOINTS = [
    ("POST", "/sessions"),
    ("GET", "/profiles"),
    ("GET", "/profiles/{mvpd}"),
    ("POST", "/decisions/authorize/{mvpd}"),
    ("POST", "/decisions/preauthorize/{mvpd}"),
    ("GET", "/logout/{mvpd}"),
]
BAD_DEVICE_IDS = {
    "no-identifier": "fingerprint",
    "not-base64": "fingerprint !!!not*base64!!!",
    "wrong-scheme": "uuid " + b64("ba23d141-d715-561c-94f4-e9e4c966b1eb"),
    "no-space": "fingerprint" + b64("ba23d141-d715-561c-94f4-e9e4c966b1eb"),
}


def _ids(endpoints):
    return [f"{m} {p}" for m, p in endpoints]


def call(psso, app, method, template, headers, sp=None):
    """One valid-looking request to an endpoint, with exactly ``headers``."""
    path = template.format(code="ZZZZZZZZ", mvpd=psso.mvpd)
    url = f"{psso.api}/{sp or psso.sp}{path}"
    kw = {}
    if path.startswith("/decisions/"):
        kw["json"] = {"resources": [psso.section.get("resource", "resource")]}
    elif path == "/sessions":
        kw["data"] = {"mvpd": psso.mvpd, "domainName": psso.domain_name, "redirectUrl": psso.redirect_url}
    elif path.startswith("/logout/"):
        kw["params"] = {"redirectUrl": psso.logout_redirect_url}
    return psso.http.request(method, url, headers=headers, **kw)


@req("PSSO-AUTH-001")
@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=_ids(ENDPOINTS))
def test_without_authorization(psso, app, check, method, path):
    unauthorized(check, "PSSO-AUTH-001", call(psso, app, method, path, app.headers(Authorization=None)))


@req("PSSO-AUTH-002")
@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=_ids(ENDPOINTS))
def test_with_invalid_bearer(psso, app, check, method, path):
    for value in ("Bearer garbage", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "Bearer " + "A" * 40):
        unauthorized(check, "PSSO-AUTH-002", call(psso, app, method, path, app.headers(Authorization=value)))


@req("PSSO-AUTH-007")
def test_bearer_challenge(psso, app, check):
    resp = app.get("/profiles", h={"Authorization": None})
    www = resp.headers.get("www-authenticate", "")
    check.that(
        "PSSO-AUTH-007",
        resp.status_code == 401 and www.lower().startswith("bearer"),
        f"HTTP {resp.status_code} with WWW-Authenticate {www or 'missing'!r}, expected a Bearer challenge",
        passed=f"WWW-Authenticate: {www}",
    )


@req("PSSO-AUTH-003")
def test_application_not_linked_to_service_provider(psso, check):
    unlinked = psso.app("unlinked")
    resp = unlinked.get("/configuration")
    check.status("PSSO-AUTH-003", resp, 401)
    body = body_of(resp)
    check.that(
        "PSSO-AUTH-003",
        body.get("code") == "invalid_access_token_service_provider"
        and body.get("action") == "application-registration",
        f"code {body.get('code')!r} action {body.get('action')!r}, expected "
        "invalid_access_token_service_provider / application-registration",
        passed="invalid_access_token_service_provider / application-registration",
    )


@req("PSSO-AUTH-005")
def test_unknown_service_provider(psso, app, check):
    unknown = psso.need("unknown_service_provider")
    resp = call(psso, app, "GET", "/configuration", app.headers(), sp=unknown)
    eec_error(check, "PSSO-AUTH-005", resp, "invalid_parameter_service_provider")


@req("PSSO-AUTH-006")
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/sessions"), ("DELETE", "/profiles"), ("POST", "/profiles")]
)
def test_wrong_method(psso, app, check, method, path):
    check.status("PSSO-AUTH-006", call(psso, app, method, path, app.headers()), 405)


@req("PSSO-HDR-001")
@pytest.mark.parametrize(("method", "path"), DEVICE_ENDPOINTS, ids=_ids(DEVICE_ENDPOINTS))
def test_missing_device_identifier(psso, app, check, method, path):
    resp = call(psso, app, method, path, app.headers(**{"AP-Device-Identifier": None}))
    eec_error(check, "PSSO-HDR-001", resp, "invalid_header_device_identifier")


@req("PSSO-HDR-002")
@pytest.mark.parametrize(("method", "path"), DEVICE_ENDPOINTS, ids=_ids(DEVICE_ENDPOINTS))
def test_malformed_device_identifier(psso, app, check, method, path):
    for name, value in BAD_DEVICE_IDS.items():
        resp = call(psso, app, method, path, app.headers(**{"AP-Device-Identifier": value}))
        check.that(
            "PSSO-HDR-002",
            resp.status_code == 400 and code_of(resp) == "invalid_header_device_identifier",
            f"{name}: HTTP {resp.status_code} code {code_of(resp)!r}, expected 400 "
            "invalid_header_device_identifier",
            passed=f"{name}: 400 invalid_header_device_identifier",
        )


@req("PSSO-HDR-003")
def test_configuration_without_device_headers(psso, app, check):
    resp = app.get("/configuration", h={"AP-Device-Identifier": None, "X-Device-Info": None})
    check.status("PSSO-HDR-003", resp, 200)
    # A 200 counts only when it is a Configuration: an HTML page answering everything is not one.
    matches_schema(check, "PSSO-HDR-003", "Configuration", body_of(resp))


@req("PSSO-HDR-004")
@pytest.mark.parametrize(
    "value",
    ["%%%not-base64%%%", b64("not json"), b64("[1, 2]")],
    ids=["not-base64", "not-json", "not-object"],
)
def test_malformed_device_info(psso, app, check, value):
    resp = app.session(h={"X-Device-Info": value})
    eec_error(check, "PSSO-HDR-004", resp, "invalid_header_device_info")


@req("PSSO-HDR-005")
def test_without_device_info(psso, app, check):
    _answers(check, "PSSO-HDR-005", app.session(h={"X-Device-Info": None}), "actionName")
    _answers(check, "PSSO-HDR-005", app.profiles(h={"X-Device-Info": None}), "profiles")


@req("PSSO-HDR-006")
def test_device_info_with_type_key(psso, app, check):
    info = {k: v for k, v in DEVICE_INFO.items() if k != "primaryHardwareType"}
    info.update(type="TV", model="AppleTV", osName="tvOS")
    _answers(check, "PSSO-HDR-006", app.session(h={"X-Device-Info": b64(json.dumps(info))}), "actionName")


def _answers(check, req: str, resp, member: str) -> None:
    """200 with the API's JSON answer (``member`` present): a 200 HTML page is no answer."""
    check.status(req, resp, 200)
    body = body_of(resp)
    check.that(
        req,
        member in body,
        f"HTTP {resp.status_code} without {member!r} in a JSON body",
        passed=f"HTTP 200 with {member}",
    )


@req("PSSO-CFG-001", "PSSO-CFG-002")
def test_configuration_lists_mvpds(psso, app, check):
    resp = app.get("/configuration")
    check.status("PSSO-CFG-001", resp, 200, fatal=True)
    body = check.json_object("PSSO-CFG-001", resp)
    requestor = body.get("requestor") if isinstance(body.get("requestor"), dict) else {}
    mvpds = requestor.get("mvpds", body.get("mvpds"))
    mvpds = [m for m in mvpds if isinstance(m, dict)] if isinstance(mvpds, list) else []
    ids = [m.get("id") for m in mvpds]
    check.that(
        "PSSO-CFG-001",
        psso.mvpd in ids and all(isinstance(m.get("displayName"), str) for m in mvpds),
        f"the MVPD list {ids} lacks {psso.mvpd} or an entry without displayName",
        passed=f"{len(ids)} MVPDs including {psso.mvpd}",
    )
    inactive = psso.section.get("inactive_mvpd")
    check.that(
        "PSSO-CFG-002",
        inactive not in ids,
        f"{inactive} (disabled integration) is listed",
        passed="not listed",
    )
