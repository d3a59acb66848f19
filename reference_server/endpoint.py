"""One way for every contract to declare an endpoint and answer from it.

- ``Endpoints``: a contract's endpoint names as checked constants (``DSO.dsra_poll``); the fault
  seam only accepts these, so a misspelt endpoint fails when a fault is registered, at import.
- ``ProtocolError``: the base of every contract's error (OAuth, DSRA/IAS, Adobe Pass EEC, HTML
  pages); each renders itself as a ``Reply``.
- ``endpoint()``: a Starlette endpoint that runs a handler ``async fn(call) -> Reply`` after the
  contract's common checks (``before``), turns any ``ProtocolError`` into its reply, and answers
  through ``state.respond``: the one place where faults see replies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reference_server.reply import Reply

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class EndpointName:
    contract: str
    name: str

    def __str__(self) -> str:
        return f"{self.contract}.{self.name}"


DECLARED: dict[str, EndpointName] = {}  # "contract.name" -> constant; what the fault seam checks against


class Endpoints:
    """A contract's endpoint names: ``Endpoints("ott_idp", "token", "signup").token``."""

    def __init__(self, contract: str, *names: str) -> None:
        self.contract = contract
        for name in names:
            key = EndpointName(contract, name)
            if str(key) in DECLARED:
                raise ValueError(f"endpoint {key} declared twice")
            DECLARED[str(key)] = key
            setattr(self, name, key)

    def __getattr__(self, name: str) -> EndpointName:  # only reached for undeclared names
        raise AttributeError(f"{self.contract} has no endpoint {name!r}")


class ProtocolError(Exception):
    """An answer that ends a request early; each contract's errors say how they look."""

    def reply(self) -> Reply:  # pragma: no cover - every subclass renders itself
        raise NotImplementedError


@dataclass
class Call:
    """One request on its way through an endpoint: what handlers and common checks read."""

    request: Request
    state: Any  # ServerState (typed loosely to keep this module free of the state import)
    endpoint: EndpointName
    settings: Any  # the contract's Settings: what a deployment configures
    deviations: Any  # the contract's Deviations: the fault seam's switches, all off when clean

    @property
    def store(self) -> Any:
        return self.state.store

    @property
    def peer(self) -> str | None:
        return self.request.client.host if self.request.client else None


Handler = Callable[[Any], Awaitable[Reply]]
Check = Callable[[Any], Awaitable[Reply | None]]  # a common check; a Reply short-circuits the handler


def endpoint(
    name: EndpointName,
    fn: Handler,
    *,
    before: Sequence[Check] = (),
    call_type: type[Call] = Call,
    after: Callable[[Any, Reply], None] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint: common checks, then ``fn``, errors as replies, answered through the seam."""

    async def handler(request: Request) -> Response:
        state = request.app.state.server
        call = call_type(request, state, name, state.settings(name.contract), state.deviations(name.contract))
        try:
            reply = None
            for check in before:
                reply = await check(call)
                if reply is not None:
                    break
            if reply is None:
                reply = await fn(call)
        except ProtocolError as err:
            reply = err.reply()
        if after is not None:
            after(call, reply)
        return state.respond(name, reply)

    handler.__name__ = handler.__qualname__ = f"{name.contract}_{name.name}"
    return handler


def route(path: str, handler: Callable[[Request], Awaitable[Response]]) -> Route:
    """Every method reaches the handler, so a wrong method gets the contract's own 405, not Starlette's."""
    return Route(path, handler, methods=ALL_METHODS)


def method_check(allowed: Sequence[str], error: Callable[[tuple[str, ...]], ProtocolError]) -> Check:
    """A common check: a method outside ``allowed`` raises the contract's 405 error."""
    methods = tuple(allowed)

    async def check(call: Call) -> None:
        if call.request.method not in methods:
            raise error(methods)
        return None

    return check
