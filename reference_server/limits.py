"""What the reference server accepts from one client, and the ASGI guard that enforces the body limit.

Every limit lives in ``Limits``; ``server.py`` applies the transport ones (timeouts, connection
cap, header size) and ``app.py`` installs ``BodyLimit``. docs/reference-server-limits.md lists them.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1_048_576  # request body, announced or streamed (chunked); over it: 413
    header_timeout_s: float = 10.0  # from connect (or a request's first byte) to the end of its headers
    body_timeout_s: float = 10.0  # from the end of the headers to the end of the body
    max_connections: int = 256  # open at once; past it the oldest idle one (else the new one) is closed
    max_json_depth: int = 64  # nesting of a JSON body or JSON header; deeper is the endpoint's 400
    max_header_bytes: int = 65_536  # request line and headers; over it: 431
    keep_alive_s: float = 30.0  # an idle keep-alive connection is closed after this
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For is believed
    credential_failures: int = 5  # per account (and peer) within credential_window_s
    spray_failures: int = 30  # per peer over all accounts within credential_window_s
    credential_window_s: float = 60.0


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a streamed body passes the limit; never a ValueError on purpose,
    so handlers that turn ValueError into their 400 let it through to ``BodyLimit``."""


def too_large_body(limit: int) -> bytes:
    return json.dumps(
        {"error": "request_too_large", "error_description": f"the request body is over {limit} bytes"}
    ).encode()


class BodyLimit:
    """Answers 413 (JSON, Connection: close) to a body over ``max_body_bytes``, never buffering more.

    A Content-Length over the limit is refused before the app runs. A body without one (chunked) is
    counted as the app reads it. A Content-Length within the limit needs no counting: the HTTP parser
    never delivers more than it announces, so the hot path passes straight through.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        if length is not None and not chunked:
            try:
                announced = int(length)
            except ValueError:
                announced = -1  # the parser already refuses a bad Content-Length; be safe anyway
            if announced < 0 or announced > self.limit:
                await self._refuse(send)
                return
            await self._run(scope, receive, send)
            return
        if not chunked:
            await self._run(scope, receive, send)
            return
        await self._counted(scope, receive, send)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The client (or a read timeout) closed the connection: nobody is left to answer.
        with contextlib.suppress(ClientDisconnect):
            await self.app(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)
        except ClientDisconnect:
            pass

    async def _refuse(self, send: Send) -> None:
        # Connection: close makes the server drop the rest of the upload instead of reading it.
        body = too_large_body(self.limit)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
