"""The Apple partner single sign-on flow of spec §7.3, through real HTTP, and what it creates.

Registration, configuration, Profiles before any authentication, Sessions Partner issuing the SAML
request, the MVPD's response through Profiles Partner, the appleSSO profile on Profiles, decisions
and logout.
"""

from __future__ import annotations

import pytest

from conformance.bodies import body_of
from conformance.suite.partner_sso import checks, saml
from conformance.suite.partner_sso.client import mvpds_of, profiles_map
from conformance.suite.platform_sso.checks import decisions_refused
from conformance.suite.platform_sso.readers import decisions_of, path_of

req = pytest.mark.requirement
SOURCES = ("mvpd", "degradation", "temppass", "dummy")


@req("PTR-REG-001")
def test_registration_and_access_token(partner, check):
    resp = partner.register(partner.software_statement("first"))
    check.status("PTR-REG-001", resp, 201, fatal=True)
    body = check.json_object("PTR-REG-001", resp)
    cid, secret = body.get("client_id"), body.get("client_secret")
    if isinstance(secret, str):
        partner.redactor.remember(secret)
    check.that(
        "PTR-REG-001",
        isinstance(cid, str) and cid and isinstance(secret, str) and secret,
        f"registration members {sorted(body)}: expected client_id and client_secret strings",
        passed="client_id and client_secret",
        fatal=True,
    )
    token = partner.token_request(
        [("client_id", cid), ("client_secret", secret), ("grant_type", "client_credentials")]
    )
    check.status("PTR-REG-001", token, 201)
    access = body_of(token).get("access_token")
    if isinstance(access, str):
        partner.redactor.remember(access)
    check.that(
        "PTR-REG-001",
        isinstance(access, str) and access,
        f"token answer members {sorted(body_of(token))}: expected an access_token string",
        passed="an access token",
    )


@req("PTR-CFG-001")
def test_configuration_maps_the_partner_mvpd(partner, app, check):
    resp = app.get("/configuration")
    check.status("PTR-CFG-001", resp, 200, fatal=True)
    body = check.json_object("PTR-CFG-001", resp)
    mvpds = {m.get("id"): m for m in mvpds_of(resp)}
    m = mvpds.get(partner.mvpd)
    check.that(
        "PTR-CFG-001",
        isinstance(m, dict),
        f"the configuration lists no {partner.mvpd} (ids {sorted(map(str, mvpds))})",
        passed=f"{partner.mvpd} listed",
        fatal=True,
    )
    check.that(
        "PTR-CFG-001",
        isinstance(m.get("platformMappingId"), str)
        and m["platformMappingId"]
        and m.get("enablePlatformServices") is True,
        f"{partner.mvpd}: platformMappingId {m.get('platformMappingId')!r}, enablePlatformServices "
        f"{m.get('enablePlatformServices')!r}; expected a string and true",
        passed="platformMappingId and enablePlatformServices true",
    )
    wrong = [
        f"{mid}.{key}"
        for mid, mv in mvpds.items()
        for key, kind in (
            ("displayInPlatformPicker", bool),
            ("boardingStatus", str),
            ("platformMappingId", str),
            ("enablePlatformServices", bool),
        )
        if key in mv and not isinstance(mv[key], kind)
    ]
    check.that(
        "PTR-CFG-001",
        not wrong,
        f"mistyped members: {', '.join(wrong[:5])}",
        passed="platform members have their types",
    )
    checks.matches_schema(check, "PTR-CFG-001", "ConfigurationResponse", body)


@req(
    "PTR-PRF-006",
    "PTR-SESS-001",
    "PTR-SESS-002",
    "PTR-SESS-003",
    "PTR-SESS-004",
    "PTR-PP-001",
    "PTR-PP-002",
    "PTR-PRF-001",
    "PTR-SCHEMA-001",
)
def test_partner_flow_creates_apple_profile(partner, app, check):
    m = partner.mvpd
    partner.with_pfs(app)
    # B. Check authentication: Profiles with the PFS, before any authentication.
    before = app.profiles()
    check.status("PTR-PRF-006", before, 200)
    check.that(
        "PTR-PRF-006",
        body_of(before).get("profiles") == {},
        f"answer {before.text[:120]!r}",
        passed='"profiles": {}',
    )
    # C.3 Sessions Partner.
    resp = partner.sessions_partner(app)
    check.status("PTR-SESS-001", resp, 200, fatal=True)
    body = check.json_object("PTR-SESS-001", resp)
    seen = (body.get("actionName"), body.get("actionType"), body.get("reasonType"))
    check.that(
        "PTR-SESS-001",
        seen == ("partner_profile", "direct", "none"),
        f"answer is {seen}, expected partner_profile/direct/none",
        passed="partner_profile/direct/none",
        fatal=True,
    )
    want = f"{partner.api_path}/{partner.sp}/profiles/sso/{partner.partner}"
    check.that(
        "PTR-SESS-001",
        path_of(body.get("url")) == want,
        f"url {body.get('url')!r}, expected {want}",
        passed="url names Profiles Partner",
    )
    check.that(
        "PTR-SESS-001",
        body.get("mvpd") == m
        and isinstance(body.get("sessionId"), str)
        and body.get("sessionId")
        and body.get("serviceProvider") == partner.sp,
        f"mvpd {body.get('mvpd')!r} serviceProvider {body.get('serviceProvider')!r} sessionId "
        f"{'present' if body.get('sessionId') else 'absent'}: expected {m}, {partner.sp} and a sessionId",
        passed="mvpd, sessionId, serviceProvider",
    )
    ar = body.get("authenticationRequest")
    ar = ar if isinstance(ar, dict) else {}
    names = ar.get("attributesNames")
    check.that(
        "PTR-SESS-002",
        ar.get("type") == "saml"
        and isinstance(ar.get("request"), str)
        and ar["request"]
        and isinstance(names, list)
        and all(isinstance(n, str) for n in names),
        f"authenticationRequest is type {ar.get('type')!r}, request "
        f"{type(ar.get('request')).__name__}, attributesNames {names!r}",
        passed=f"type saml, a request, attributesNames {names}",
    )
    request = saml.parse_request(ar.get("request"))
    check.that("PTR-SESS-002", request.xml is not None, "request is not Base64", passed="request is Base64")
    check.that(
        "PTR-SESS-003",
        request.namespace == saml.SAMLP and request.id and request.issuer == partner.sp_entity,
        f"the SAML request: {request.summary()}; expected a {saml.SAMLP} request with an ID and "
        f"Issuer {partner.sp_entity}",
        passed=f"the SAML request: {request.summary()}",
    )
    check.that(
        "PTR-SESS-004",
        "authenticationRequest" in body and "code" not in body and "missingParameters" not in body,
        f"partner_profile with members {sorted(body)}: expected authenticationRequest, no code, "
        "no missingParameters",
        passed="authenticationRequest, no code nor missingParameters",
    )
    checks.matches_schema(check, "PTR-SCHEMA-001", "SessionsPartnerResponse", body)
    if request.id is None:
        check.unreached("PTR-PP-001", "no SAML request to answer", by="PTR-SESS-003")
        check.unreached("PTR-PP-002", "no SAML request to answer", by="PTR-SESS-003")
        check.unreached("PTR-PRF-001", "no SAML request to answer", by="PTR-SESS-003")
        return
    # C.4-5 The MVPD's response through Profiles Partner.
    created = partner.profiles_partner(app, partner.respond(request))
    statuses = partner.profile_statuses()
    check.status("PTR-PP-001", created, statuses, fatal=True)
    created_body = check.json_object("PTR-PP-001", created)
    profile = profiles_map(created).get(m)
    checks.is_apple_profile(check, "PTR-PP-001", partner, profile, "Profiles Partner")
    if not isinstance(profile, dict):
        check.unreached("PTR-PP-002", f"no profile for {m} to inspect", by="PTR-PP-001")
    else:
        checks.profile_shape(check, "PTR-PP-002", profile)
    checks.matches_schema(check, "PTR-SCHEMA-001", "ProfilesResponse", created_body)
    # B.2 again: Profiles with the PFS now shows the appleSSO profile.
    after = app.profiles()
    check.status("PTR-PRF-001", after, 200)
    checks.is_apple_profile(check, "PTR-PRF-001", partner, profiles_map(after).get(m), "GET /profiles")


@req("PTR-PRF-002")
def test_profile_for_the_mvpd(partner, signed_in, check):
    app, _ = signed_in
    resp = app.profiles(partner.mvpd)
    check.status("PTR-PRF-002", resp, 200)
    keys = sorted(profiles_map(resp))
    check.that(
        "PTR-PRF-002",
        keys == [partner.mvpd],
        f"GET /profiles/{partner.mvpd} lists {keys}",
        passed=f"only {partner.mvpd}",
    )
    checks.is_apple_profile(
        check, "PTR-PRF-002", partner, profiles_map(resp).get(partner.mvpd), f"GET /profiles/{partner.mvpd}"
    )


@req("PTR-SESS-013")
def test_sessions_partner_with_a_profile_authorizes(partner, signed_in, check):
    app, _ = signed_in
    resp = partner.sessions_partner(app)
    check.status("PTR-SESS-013", resp, 200)
    body = body_of(resp)
    seen = (body.get("actionName"), body.get("actionType"), body.get("reasonType"))
    check.that(
        "PTR-SESS-013",
        seen[:2] == ("authorize", "direct") and seen[2] in ("authenticated", "authenticatedSSO"),
        f"answer is {seen}, expected authorize/direct/authenticated(SSO)",
        passed="/".join(map(str, seen)),
    )
    check.that(
        "PTR-SESS-013",
        "authenticationRequest" not in body,
        "the answer still carries an authenticationRequest",
        passed="no authenticationRequest",
    )
    want = f"{partner.api_path}/{partner.sp}/decisions/authorize/{partner.mvpd}"
    check.that(
        "PTR-SESS-013",
        path_of(body.get("url")) in (want, ""),
        f"url {body.get('url')!r}, expected {want}",
        passed="url names the authorize decision" if body.get("url") else "no url",
    )


@req("PTR-DEC-001")
def test_authorize_with_apple_profile(partner, signed_in, check):
    app, _ = signed_in
    resource = partner.need("resource")
    resp = app.authorize([resource])
    check.status("PTR-DEC-001", resp, 200, fatal=True)
    body = check.json_object("PTR-DEC-001", resp)
    items = decisions_of(resp)
    check.that(
        "PTR-DEC-001",
        len(items) == 1,
        f"{len(items)} decisions for one resource",
        passed="one decision",
        fatal=True,
    )
    item = items[0]
    token = item.get("token") if isinstance(item.get("token"), dict) else {}
    serialized = token.get("serializedToken")
    if isinstance(serialized, str):
        partner.redactor.remember(serialized)
    check.that(
        "PTR-DEC-001",
        item.get("resource") == resource
        and item.get("mvpd") == partner.mvpd
        and item.get("serviceProvider") == partner.sp
        and item.get("source") in SOURCES
        and item.get("authorized") is True
        and isinstance(serialized, str)
        and serialized,
        f"decision {_summary(item)} token {'present' if serialized else 'absent'}: expected a permit "
        "with a media token",
        passed="a permit with token.serializedToken",
    )
    checks.matches_schema(check, "PTR-DEC-001", "DecisionsResponse", body)


@req("PTR-DEC-002")
def test_authorize_denied_resource_with_apple_profile(partner, signed_in, check):
    app, _ = signed_in
    resource = partner.need("denied_resource")
    resp = app.authorize([resource])
    check.status("PTR-DEC-002", resp, 200)
    items = decisions_of(resp)
    item = items[0] if items else {}
    err = item.get("error") if isinstance(item.get("error"), dict) else {}
    check.that(
        "PTR-DEC-002",
        len(items) == 1
        and item.get("resource") == resource
        and item.get("authorized") is False
        and isinstance(err.get("code"), str)
        and isinstance(err.get("status"), int)
        and isinstance(err.get("action"), str)
        and "token" not in item,
        f"{len(items)} decisions; {_summary(item)} error {err.get('code')!r}/{err.get('status')!r} "
        f"token {'present' if 'token' in item else 'absent'}: expected a deny with an EEC error, no token",
        passed=f"denied with {err.get('code')}",
    )


@req("PTR-DEC-004")
def test_preauthorize_with_apple_profile(partner, signed_in, check):
    app, _ = signed_in
    resources = [partner.need("resource")]
    if partner.section.get("denied_resource"):
        resources.append(partner.section["denied_resource"])
    resp = app.authorize(resources, kind="preauthorize")
    check.status("PTR-DEC-004", resp, 200)
    items = decisions_of(resp)
    check.that(
        "PTR-DEC-004",
        sorted(str(d.get("resource")) for d in items) == sorted(resources)
        and all(isinstance(d.get("authorized"), bool) for d in items),
        f"decisions {[_summary(d) for d in items]} for {resources}",
        passed=f"{len(items)} decisions",
    )
    check.that(
        "PTR-DEC-004",
        items and not any("token" in d for d in items),
        "a preauthorize decision carries a token (or there is none)",
        passed="no tokens",
    )
    checks.matches_schema(check, "PTR-DEC-004", "PreauthorizeDecisionsResponse", body_of(resp))


@req("PTR-DEC-003")
def test_authorize_without_pfs(partner, signed_in, check):
    app, _ = signed_in
    app.pfs = None
    resp = app.authorize([partner.need("resource")])
    decisions_refused(check, "PTR-DEC-003", resp, "authenticated_profile_missing")


@req("PTR-LOG-001", "PTR-LOG-002")
def test_logout_apple_profile(partner, signed_in, check):
    app, _ = signed_in
    m = partner.mvpd
    resp = app.logout()
    check.status("PTR-LOG-001", resp, 200)
    body = body_of(resp)
    logouts = body.get("logouts") if isinstance(body.get("logouts"), dict) else {}
    action = logouts.get(m) if isinstance(logouts.get(m), dict) else {}
    check.that(
        "PTR-LOG-001",
        (action.get("actionName"), action.get("actionType")) == ("partner_logout", "partner_interactive")
        and action.get("mvpd") == m
        and "url" not in action,
        f"logouts.{m} is {action!r}, expected partner_logout/partner_interactive with mvpd and no url",
        passed="partner_logout/partner_interactive without url",
    )
    checks.matches_schema(check, "PTR-LOG-001", "LogoutResponse", body)
    after = app.profiles(m)
    check.status("PTR-LOG-002", after, 200)
    check.that(
        "PTR-LOG-002",
        body_of(after).get("profiles") == {},
        f"GET /profiles/{m} after logout answers {after.text[:120]!r}",
        passed='"profiles": {}',
    )


def _summary(item):
    return {k: item.get(k) for k in ("resource", "serviceProvider", "mvpd", "source", "authorized")}
