"""Profiles Partner (spec §4.10; docs/partner_sso.md): ``POST {api}/{sp}/profiles/sso/{partner}``.

After the common checks and the partner: the PFS (400 with its ``invalid_header_pfs_*`` code: the
recommended reading of the §4.10 discrepancy), then the SAML response (400
``invalid_parameter_saml_response``, see saml.py), then the PFS mvpd against the request's
(``invalid_header_pfs_provider_id_mismatch``). Success saves the caller's appleSSO profile and
answers it: 201 ([P]; ``partner_profile_status`` 200 follows [O], §8 #5).
"""

from __future__ import annotations

from reference_server.partner_sso import saml
from reference_server.partner_sso.sessions_partner import check_partner
from reference_server.platform_sso import model
from reference_server.platform_sso.context import Call
from reference_server.platform_sso.errors import PassError
from reference_server.platform_sso.pfs import PROVIDER_MISMATCH
from reference_server.reply import Reply


async def profiles_partner(call: Call) -> Reply:
    s, d = call.settings, call.deviations
    check_partner(call, d.profiles_partner_any_partner)
    pfs = call.pfs
    if not pfs.valid:
        raise PassError(pfs.error or "invalid_header_pfs_permission_access_not_present")
    mvpd_id = pfs.mvpd or ""
    form = await call.request.form()
    value = form.get("SAMLResponse")
    answer = saml.validate(call, value if isinstance(value, str) else None, s.mvpd(mvpd_id))
    requested = answer.request.get("mvpd")
    if requested and requested != mvpd_id and not d.pfs_provider_mismatch_ignored:
        raise PassError(PROVIDER_MISMATCH, "the SAML request was issued for another MVPD")
    if not saml.consume(call, answer):
        raise saml.refuse("the SAML request was already answered")
    user, upstream = saml.user_ids(mvpd_id, answer)
    record = model.save_apple_profile(call, mvpd_id, user, upstream)
    return Reply(s.partner_profile_status, {"profiles": {mvpd_id: model.body(record)}})
