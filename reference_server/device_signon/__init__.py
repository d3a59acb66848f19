"""`device_signon`: sign a TV in through a second, already signed-in device.

Two variants share accounts, timings, code handling and throttles (``shared``):

- ``dsra``: Nagra OPF's DSRA registration code, polling for a sign-on/activation token, approval
  from the companion app or the operator portal (``dsra``), and the IAS sign-on with that token
  (``ias``); specs/device-and-ropc.md §1, with the PROPOSED state machine and codes of §1.9;
- ``rfc8628``: the OAuth 2.0 device authorization grant (RFC 8628; ``rfc8628``) with an HTML
  verification page (``page``), a userinfo endpoint and refresh.

All state lives in ``state.store``; single-use transitions are one atomic store call. Handlers are
``async fn(call) -> Reply`` served through ``reference_server.endpoint.endpoint``; faults name
endpoints by ``ENDPOINTS`` and switch ``Deviations`` (reference_server/faults/device_signon.py).
Imports flow one way: this package module -> handler modules -> ``api``/``shared`` -> ``settings``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reference_server.device_signon import dsra, ias, page, rfc8628
from reference_server.device_signon.api import dsra_checks, echo_correlation
from reference_server.device_signon.settings import CONTRACT, ENDPOINTS, Deviations, Settings
from reference_server.device_signon.shared import seed
from reference_server.endpoint import Call, EndpointName, Handler, endpoint
from reference_server.keys import jwks
from reference_server.reply import Reply
from reference_server.state import ServerState

__all__ = ["CONTRACT", "ENDPOINTS", "Deviations", "Settings", "routes", "seed"]

DSRA_METHODS = ["GET", "PUT", "POST", "DELETE"]  # the handlers answer 405 themselves (a fault relaxes it)
E = ENDPOINTS
Served = Callable[[Request], Awaitable[Response]]


async def _jwks(call: Call) -> Reply:
    return Reply(200, jwks(call.state.key))


def _dsra(name: EndpointName, fn: Handler, allowed: str) -> Served:
    """A DSRA endpoint: its method and correlation-id checks, and the x-correlation-id echo."""
    return endpoint(name, fn, before=dsra_checks(allowed), after=echo_correlation)


def _ias(name: EndpointName, fn: Handler) -> Served:
    return endpoint(name, fn, after=echo_correlation)


def _route(path: str, handler: Served, methods: Sequence[str]) -> Route:
    return Route(path, handler, methods=list(methods))


def routes(state: ServerState) -> list[Route]:
    s: Settings = state.base_settings[CONTRACT]
    out = [_route(s.jwks_path, endpoint(E.jwks, _jwks), ["GET"])]
    if "dsra" in s.variants:
        out += [
            _route(s.dsra_code_path, _dsra(E.dsra_code, dsra.registration_code, "GET"), DSRA_METHODS),
            _route(s.dsra_poll_path, _dsra(E.dsra_poll, dsra.poll, "PUT"), DSRA_METHODS),
            _route(s.dsra_approve_path, _dsra(E.dsra_approve, dsra.approve, "PUT"), DSRA_METHODS),
            _route(s.dsra_reject_path, _dsra(E.dsra_reject, dsra.reject, "PUT"), DSRA_METHODS),
            _route(
                s.dsra_operator_approve_path,
                _dsra(E.dsra_operator_approve, dsra.operator_approve, "PUT"),
                DSRA_METHODS,
            ),
            _route(s.operator_token_path, endpoint(E.operator_token, dsra.operator_token), ["POST"]),
            _route(s.ias_activation_path, _ias(E.ias_activation, ias.activation_sign_on), ["POST"]),
            _route(s.ias_password_path, _ias(E.ias_password, ias.password_sign_on), ["POST"]),
            _route(s.ias_refresh_path, _ias(E.ias_refresh, ias.refresh), ["POST"]),
        ]
    if "rfc8628" in s.variants:
        out += [
            _route(
                s.device_authorization_path,
                endpoint(E.device_authorization, rfc8628.device_authorization),
                ["POST"],
            ),
            _route(s.token_path, endpoint(E.token, rfc8628.token), ["POST", "GET"]),
            _route(s.userinfo_path, endpoint(E.userinfo, rfc8628.userinfo), ["GET", "POST"]),
            _route(s.metadata_path, endpoint(E.metadata, rfc8628.metadata), ["GET"]),
            _route(s.verification_path, endpoint(E.verification, page.verification), ["GET", "POST"]),
        ]
    return out
