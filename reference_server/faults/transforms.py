"""The fault vocabulary every contract's fault module uses: one way to declare, a few named transforms.

    F = Faults("device_signon")
    F.reply("dsra_pending_202", ["DSO-DSRA-009"], "D2 answers 202 while pending",
            DSO.dsra_poll, when_status(204, set_status(202)))
    F.deviate("dsra_pending_never_expires", ["DSO-DSRA-011"], "...", keep_pending_after_expiry=True)
    F.configure("no_lockout", ["OTT-SEC-002"], "...", bruteforce_max_failures=0)

A transform is ``fn(reply, state) -> None`` that reshapes the reply in place: plain statements,
never state changed inside a boolean expression.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from reference_server.endpoint import EndpointName
from reference_server.faults import ReplyTransform, register
from reference_server.reply import Reply


class Faults:
    """Declares one contract's faults; names are prefixed with the contract key."""

    def __init__(self, contract: str) -> None:
        self.contract = contract

    def reply(
        self, name: str, targets: Iterable[str], description: str, endpoint: EndpointName, fn: ReplyTransform
    ) -> None:
        register(f"{self.contract}.{name}", self.contract, targets, description, endpoint=endpoint, reply=fn)

    def deviate(self, name: str, targets: Iterable[str], description: str, **switches: Any) -> None:
        register(f"{self.contract}.{name}", self.contract, targets, description, deviate=switches)

    def configure(self, name: str, targets: Iterable[str], description: str, **settings: Any) -> None:
        register(f"{self.contract}.{name}", self.contract, targets, description, configure=settings)


# --- conditions: apply ``fn`` only to some replies ------------------------------------------------


def when_status(status: int | tuple[int, ...], fn: ReplyTransform) -> ReplyTransform:
    wanted = (status,) if isinstance(status, int) else status

    def transform(reply: Reply, state: Any) -> None:
        if reply.status in wanted:
            fn(reply, state)

    return transform


def on_success(fn: ReplyTransform) -> ReplyTransform:
    """2xx replies with a JSON object body."""

    def transform(reply: Reply, state: Any) -> None:
        if 200 <= reply.status < 300 and isinstance(reply.body, dict):
            fn(reply, state)

    return transform


def on_error(fn: ReplyTransform) -> ReplyTransform:
    """4xx/5xx replies with a JSON object body."""

    def transform(reply: Reply, state: Any) -> None:
        if reply.status >= 400 and isinstance(reply.body, dict):
            fn(reply, state)

    return transform


# --- changes --------------------------------------------------------------------------------------


def set_status(new: int) -> ReplyTransform:
    def transform(reply: Reply, state: Any) -> None:
        reply.status = new

    return transform


def drop_headers(*names: str) -> ReplyTransform:
    def transform(reply: Reply, state: Any) -> None:
        for name in names:
            reply.headers.pop(name, None)
            reply.headers.pop(name.lower(), None)

    return transform


def set_headers(**headers: str) -> ReplyTransform:
    """Header names with underscores for dashes: ``set_headers(Cache_Control="public")``."""

    def transform(reply: Reply, state: Any) -> None:
        for name, value in headers.items():
            reply.headers[name.replace("_", "-")] = value

    return transform


def set_media_type(media_type: str) -> ReplyTransform:
    def transform(reply: Reply, state: Any) -> None:
        reply.media_type = media_type

    return transform


def drop_members(*names: str) -> ReplyTransform:
    """Remove top-level members of a JSON object body."""

    def transform(reply: Reply, state: Any) -> None:
        if isinstance(reply.body, dict):
            for name in names:
                reply.body.pop(name, None)

    return transform


def set_members(**members: Any) -> ReplyTransform:
    def transform(reply: Reply, state: Any) -> None:
        if isinstance(reply.body, dict):
            reply.body.update(members)

    return transform


def edit_body(fn: Callable[[dict[str, Any]], None]) -> ReplyTransform:
    """Run ``fn`` on a JSON object body (for changes that need the current values)."""

    def transform(reply: Reply, state: Any) -> None:
        if isinstance(reply.body, dict):
            fn(reply.body)

    return transform


def both(*fns: ReplyTransform) -> ReplyTransform:
    def transform(reply: Reply, state: Any) -> None:
        for fn in fns:
            fn(reply, state)

    return transform
