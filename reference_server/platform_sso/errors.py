"""Enhanced Error Codes (EEC): the error object every REST API v2 error carries.

Top-level errors are the whole body (HTTP status = ``status``); item-level errors sit under a
decision's ``error`` while the HTTP status stays 200. DCR errors are OAuth style instead
(``{"error": ...}``, see dcr.py). Spec: specs/adobe-pass-v2.md §5.
"""

from __future__ import annotations

import uuid
from typing import Any

from reference_server.endpoint import ProtocolError
from reference_server.platform_sso import pages
from reference_server.reply import Reply

HELP_URL = "https://experienceleague.adobe.com/docs/pass/authentication/auth-features/error-reportn/enhanced-error-codes.html"
ACTIONS = ("none", "configuration", "application-registration", "authentication", "authorization", "retry")

# code -> (status, action, message); §5.4 plus the few answers the table does not cover.
CODES: dict[str, tuple[int, str, str]] = {
    "invalid_parameter_service_provider": (
        400,
        "none",
        "The service provider parameter value is missing or invalid.",
    ),
    "invalid_parameter_mvpd": (400, "none", "The MVPD parameter value is missing or invalid."),
    "invalid_parameter_code": (400, "none", "The code parameter value is missing or invalid."),
    "invalid_parameter_resources": (400, "none", "The resources parameter value is missing or invalid."),
    "invalid_parameter_redirect_url": (
        400,
        "none",
        "The redirect URL parameter value is missing or invalid.",
    ),
    "invalid_header_device_info": (400, "none", "The device information header value is missing or invalid."),
    "invalid_header_device_identifier": (
        400,
        "none",
        "The device identifier header value is missing or invalid.",
    ),
    "invalid_integration": (400, "none", "The integration between service provider and MVPD is not active."),
    "invalid_authentication_session": (400, "none", "The authentication session is missing or invalid."),
    "preauthorization_denied_by_mvpd": (403, "none", "The MVPD denied the preauthorization request."),
    "authorization_denied_by_mvpd": (403, "none", "The MVPD denied the authorization request."),
    "internal_server_error": (500, "none", "The server encountered an internal error."),
    "too_many_resources": (403, "configuration", "The request asks for more resources than allowed."),
    "invalid_access_token_service_provider": (
        401,
        "application-registration",
        "The access token is not valid for this service provider.",
    ),
    "invalid_access_token_client_application": (
        401,
        "application-registration",
        "The access token is missing, expired or not valid for the client application.",
    ),
    "authenticated_profile_missing": (403, "authentication", "No authenticated profile was found."),
    "authenticated_profile_expired": (403, "authentication", "The authenticated profile has expired."),
    # Partner (Apple) single sign-on (§2.7, §4.9, §4.10); all 400, action none.
    "invalid_parameter_partner": (400, "none", "The partner parameter value is missing or invalid."),
    "invalid_parameter_saml_response": (
        400,
        "none",
        "The SAML response parameter value is missing or invalid.",
    ),
    "invalid_header_pfs_permission_access_not_present": (
        400,
        "none",
        "The partner framework status header does not carry the permission access status.",
    ),
    "invalid_header_pfs_permission_access_not_determined": (
        400,
        "none",
        "The user has not determined the partner framework permission access.",
    ),
    "invalid_header_pfs_permission_access_not_granted": (
        400,
        "none",
        "The partner framework permission access was not granted.",
    ),
    "invalid_header_pfs_provider_id_not_determined": (
        400,
        "none",
        "The partner framework provider id is not associated with a known MVPD.",
    ),
    "invalid_header_pfs_provider_id_mismatch": (
        400,
        "none",
        "The partner framework provider id does not match the MVPD of the request.",
    ),
    "invalid_header_pfs_provider_info_expired": (
        400,
        "none",
        "The partner framework provider information has expired.",
    ),
    # Not in the REST API v2 table: the reference server's choice for 405 and unknown paths.
    "method_not_allowed": (405, "none", "The HTTP method is not allowed on this endpoint."),
    "not_found": (404, "none", "No REST API v2 endpoint has this path."),
}


def error_object(code: str, details: str | None = None, status: int | None = None) -> dict[str, Any]:
    """The EEC object for ``code``: status, code, message, action, helpUrl, trace (+ details)."""
    known_status, action, message = CODES.get(code, (status or 400, "none", code.replace("_", " ")))
    body: dict[str, Any] = {
        "status": status or known_status,
        "code": code,
        "message": message,
        "action": action,
        "helpUrl": HELP_URL,
        "trace": str(uuid.uuid4()),
    }
    if details:
        body["details"] = details
    return body


class PassError(ProtocolError):
    """A top-level EEC error; ``reply()`` renders it as the whole JSON body."""

    def __init__(
        self,
        code: str,
        details: str | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.code, self.details, self.headers = code, details, headers or {}
        self.status = status or CODES.get(code, (400,))[0]

    def reply(self) -> Reply:
        return Reply(self.status, error_object(self.code, self.details, self.status), dict(self.headers))


class HtmlError(ProtocolError):
    """An error of the user-agent endpoints: ``text/html`` body, no EEC (spec §4.5)."""

    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(title)
        self.status, self.title, self.text = status, title, text

    def reply(self) -> Reply:
        return pages.message(self.title, self.text, self.status)
