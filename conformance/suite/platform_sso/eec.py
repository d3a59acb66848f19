"""The REST API v2 Enhanced Error Codes the suite knows (spec §5.4): each code's status and action."""

from __future__ import annotations

# code -> (HTTP status, action).
EEC_TABLE = {
    "invalid_parameter_service_provider": (400, "none"),
    "invalid_parameter_mvpd": (400, "none"),
    "invalid_parameter_code": (400, "none"),
    "invalid_parameter_resources": (400, "none"),
    "invalid_parameter_redirect_url": (400, "none"),
    "invalid_header_device_info": (400, "none"),
    "invalid_header_device_identifier": (400, "none"),
    "invalid_integration": (400, "none"),
    "invalid_authentication_session": (400, "none"),
    "preauthorization_denied_by_mvpd": (403, "none"),
    "authorization_denied_by_mvpd": (403, "none"),
    "internal_server_error": (500, "none"),
    "too_many_resources": (403, "configuration"),
    "invalid_access_token_service_provider": (401, "application-registration"),
    "invalid_access_token_client_application": (401, "application-registration"),
    "authenticated_profile_missing": (403, "authentication"),
    "authenticated_profile_expired": (403, "authentication"),
    "authenticated_profile_invalidated": (403, "authentication"),
    "network_received_error": (403, "retry"),
}
# The HTTP statuses the code list gives (§5.4), so an error with one of them carries an EEC body;
# 401 may be bodiless (rule 10) and other statuses (405, 404) are not in the list.
EEC_STATUSES = frozenset(status for status, _ in EEC_TABLE.values()) - {401}
EEC_ACTIONS = {
    "none",
    "configuration",
    "application-registration",
    "authentication",
    "authorization",
    "retry",
}
