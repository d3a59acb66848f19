"""Pre-flight of `partner_sso`: would this profile let the suite test the vendor?

In the profile alone: the SAML set-up the suite plays the MVPD with (``features.saml = "sign"``:
the key signs a response that verifies with the certificate the vendor is told to pin; ``hook``:
a ``response_command`` is named). Live: the "first" application registers (the vendor trusts the
suite's software statements) and gets an access token, and the configuration of service_provider
answers; whether it maps the MVPD to a platformMappingId is a note (PTR-CFG-001 judges it).
Nothing is sent to Sessions Partner or Profiles Partner: those are the run's to judge.
"""

from __future__ import annotations

from conformance.checks import Blocked
from conformance.probe import Findings, Probe
from conformance.profile import Profile
from conformance.suite.partner_sso import saml
from conformance.suite.partner_sso.client import CONTRACT, Partner, mvpds_of
from conformance.suite.platform_sso.preflight import configuration, registered_app


def static(profile: Profile) -> list[str]:
    s = profile.section(CONTRACT)
    cfg = s.get("saml", {}) if isinstance(s.get("saml"), dict) else {}
    mode = str(s.get("features", {}).get("saml", "sign"))
    key = f"{CONTRACT}.saml"
    if mode == "hook":
        return (
            [] if cfg.get("response_command") else [f"{key}: features.saml is 'hook' but no response_command"]
        )
    if mode != "sign":
        return [f"{CONTRACT}.features.saml: {mode!r} is neither sign nor hook"]
    if not cfg.get("idp_entity_id"):
        return [f"{key}: no idp_entity_id (the Issuer of the responses the suite signs)"]
    try:
        keys = saml.trusted(cfg, profile.path.parent)
        answer = saml.Answer(in_response_to=saml.new_id(), idp=cfg["idp_entity_id"], name_id="preflight")
        saml.verify(saml.signed_response(answer, keys), keys.cert_pem)
    except Blocked as exc:
        return [f"{key}: {exc}"]
    except Exception as exc:  # noqa: BLE001 - any failure of the profile's key pair is one finding
        return [
            f"{key}: a response signed with signing_key_file does not verify with certificate_file "
            f"({type(exc).__name__}): are they a pair?"
        ]
    return []


def check(profile: Profile, probe: Probe, out: Findings) -> None:
    partner = Partner(profile, probe.http, probe.redactor)
    app = registered_app(partner, probe, out)
    if app is None:
        return
    resp = configuration(partner, app, probe, out)
    if resp is None:
        return
    mapped = {m.get("id"): m.get("platformMappingId") for m in mvpds_of(resp)}
    if not partner.section.get("platform_mapping_id") and not isinstance(mapped.get(partner.mvpd), str):
        out.note(
            f"{CONTRACT}.mvpd",
            f"the configuration gives {partner.mvpd} no platformMappingId: the partner tests will be "
            "blocked by PTR-CFG-001 (platform_mapping_id in the profile overrides it)",
        )
