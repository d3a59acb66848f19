"""Run the reference server: in a background thread (embedded in a suite run) or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette

from reference_server.app import build_app


def _config(app: Starlette, log_level: str = "warning") -> uvicorn.Config:
    # httptools + uvloop and no access log: the per-request log alone costs a third of the throughput.
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        http="httptools",
        loop="uvloop",
        timeout_keep_alive=30,
        lifespan="off",
    )


class EmbeddedServer:
    """The reference server on a free loopback port, in a daemon thread of this process."""

    def __init__(
        self,
        profile: dict[str, Any],
        faults: list[str] | tuple[str, ...] = (),
        host: str = "127.0.0.1",
        variants: list[str] | tuple[str, ...] = (),
    ):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.url = f"http://{host}:{self.sock.getsockname()[1]}"
        self.app = build_app(profile, self.url, faults, variants=variants)
        self.server = uvicorn.Server(_config(self.app))
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
) -> None:
    # Bind first: a busy port is an OSError the CLI turns into one line, not a logged traceback.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    app = build_app(profile, public_url or f"http://{host}:{port}", faults, variants=variants)
    config = _config(app, log_level="info")
    config.host, config.port = host, port
    uvicorn.Server(config).run(sockets=[sock])
