"""Run the reference server: in a background thread (embedded in a suite run) or in the foreground.

The server stack and every transport limit are set here, from one ``Limits`` (reference_server/limits.py;
what each means for someone exposing the sandbox: docs/reference-server-limits.md).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from reference_server.app import build_app
from reference_server.limits import Limits

# Where a connection is; a deadline runs in the two phases where the client is the one to act.
_IDLE, _HEADERS, _BODY, _APP = range(4)

_TOO_LARGE_JSON = b'{"error":"request_too_large","error_description":"the request headers are too large"}'
_HEADERS_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TOO_LARGE_JSON), _TOO_LARGE_JSON)
)


def guarded_protocol(limits: Limits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with what it lacks: a header-read and a body-read deadline, a
    header size cap, and a connection cap that sheds idle connections first.

    uvicorn only times out idle keep-alive connections, so a client that connects and sends nothing,
    or half its headers, or half its body, would hold a connection (and a slot) forever.
    """
    header_timeout, body_timeout = limits.header_timeout_s, limits.body_timeout_s
    max_header_bytes, cap, keep_alive = limits.max_header_bytes, limits.max_connections, limits.keep_alive_s
    open_: dict[Guarded, None] = {}  # this server's connections, oldest first

    class Guarded(HttpToolsProtocol):
        _phase = _HEADERS
        _deadline: float | None = None
        _timer: Any = None
        _header_bytes = 0
        _began = False

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(open_) >= cap and not _shed_idle():
                transport.close()  # nothing read yet, so nothing to answer; the client may retry
                return
            open_[self] = None
            self._until(header_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            self._forget()
            super().connection_lost(exc)

        def handle_websocket_upgrade(self) -> None:
            # The WebSocket protocol takes the transport over and this one never hears of it again.
            self._forget()
            super().handle_websocket_upgrade()

        def _forget(self) -> None:
            open_.pop(self, None)
            self._deadline = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def data_received(self, data: bytes) -> None:
            counting = self._phase == _HEADERS
            self._began = False
            super().data_received(data)
            # Count whole reads spent inside one request's headers: the parser buffers them.
            if counting and self._phase == _HEADERS and not self._began:
                self._header_bytes += len(data)
                if self._header_bytes > max_header_bytes and not self.transport.is_closing():
                    self.transport.write(_HEADERS_TOO_LARGE)
                    self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._began = True
            self._header_bytes = 0
            if self._phase != _HEADERS:  # a new request on a kept-alive connection
                self._phase = _HEADERS
                self._until(header_timeout)

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._phase = _BODY
            self._until(body_timeout)

        def on_message_complete(self) -> None:
            super().on_message_complete()
            if self.cycle is not None and self.cycle.response_complete:
                # Answered before the body ended: idle now, and uvicorn cancelled its keep-alive
                # timer when the rest of the body arrived, so this deadline stands in for it.
                self._phase = _IDLE
                self._until(keep_alive)
            else:
                self._phase = _APP
                self._deadline = None  # the app's own time is not the client's to answer for

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self._phase == _APP:
                self._phase = _IDLE  # uvicorn's keep-alive timeout takes over

        def idle(self) -> bool:
            """Between requests or still in a request's headers, with no response owed."""
            return self._phase in (_IDLE, _HEADERS) and (self.cycle is None or self.cycle.response_complete)

        def _until(self, seconds: float) -> None:
            # One timer per connection, moved lazily: a new deadline later than the armed one costs
            # nothing now; the timer re-arms itself when it fires early.
            self._deadline = deadline = self.loop.time() + seconds
            if self._timer is not None and self._timer.when() <= deadline:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.loop.call_at(deadline, self._expire)

        def _expire(self) -> None:
            self._timer = None
            deadline = self._deadline
            if deadline is None:
                return
            if self.loop.time() < deadline:
                self._timer = self.loop.call_at(deadline, self._expire)
            elif not self.transport.is_closing():
                self.transport.close()  # too slow: a stalled client gives its slot back

    def _shed_idle() -> bool:
        for conn in open_:
            if conn.idle():
                open_.pop(conn)
                conn.transport.close()
                return True
        return False

    return Guarded


def _config(app: Starlette, limits: Limits, log_level: str = "warning") -> uvicorn.Config:
    # httptools + uvloop and no access log: the per-request log alone costs a third of the throughput.
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        http=guarded_protocol(limits),
        loop="uvloop",
        timeout_keep_alive=limits.keep_alive_s,  # type: ignore[arg-type]  # a float works: call_later
        lifespan="off",
        # The app decides whom to believe (abuse.client_address, Limits.trusted_proxies); uvicorn's
        # default would rewrite the client from any loopback peer's X-Forwarded-For before it looks.
        proxy_headers=False,
    )


class EmbeddedServer:
    """The reference server on a free loopback port, in a daemon thread of this process."""

    def __init__(
        self,
        profile: dict[str, Any],
        faults: list[str] | tuple[str, ...] = (),
        host: str = "127.0.0.1",
        variants: list[str] | tuple[str, ...] = (),
        limits: Limits | None = None,
    ):
        # The suite on loopback is the only client, and it sends X-Forwarded-For on purpose.
        limits = limits or Limits(trusted_proxies=("127.0.0.1", "::1"))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        self.app = build_app(profile, self.url, faults, variants=variants, limits=limits)
        self.server = uvicorn.Server(_config(self.app, limits))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def state(self):
        return self.app.state.server

    def set_faults(self, names: list[str] | tuple[str, ...]) -> None:
        self.state.faults.set(names)

    def reset(self) -> None:
        self.app.state.reset()

    def start(self) -> EmbeddedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the embedded reference server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        self.sock.close()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    profile: dict[str, Any],
    host: str,
    port: int,
    faults: list[str],
    public_url: str | None = None,
    variants: list[str] | tuple[str, ...] = (),
    limits: Limits | None = None,
) -> None:
    # Bind first: a busy port is an OSError the CLI turns into one line, not a logged traceback.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    limits = limits or Limits()
    app = build_app(profile, public_url or f"http://{host}:{port}", faults, variants=variants, limits=limits)
    config = _config(app, limits, log_level="info")
    config.host, config.port = host, port
    uvicorn.Server(config).run(sockets=[sock])
