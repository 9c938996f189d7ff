"""GatewayActor: serves the HTTP app on an already-bound listener."""

import logging
import socket
from typing import Callable

import pykka

from goclaw_actors.http.server import NoDelayWSGIServer

log = logging.getLogger("goclaw.gateway")

GRACEFUL_STOP_SECONDS = 5.0  # in-flight requests get this long to finish on shutdown


class GatewayActor(pykka.ThreadingActor):
    """Accepts connections while running; stops accepting on stop and lets requests finish.

    `listen` returns the listening socket: the one bound at start-up first, a fresh one after a restart.
    """

    def __init__(self, listen: Callable[[], socket.socket], app):
        super().__init__()
        self.listen = listen
        self.app = app
        self.listener: socket.socket | None = None
        self.server: NoDelayWSGIServer | None = None

    def on_start(self) -> None:
        self.listener = self.listen()
        self.server = NoDelayWSGIServer(self.listener, self.app, log=None, error_log=log)
        self.server.start()

    def on_stop(self) -> None:
        if self.server is not None:
            self.server.close()  # stop accepting first
            self.server.close_websockets()  # 1001 "going away" (SPEC §13)
            self.server.stop(timeout=GRACEFUL_STOP_SECONDS)

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        if self.server is not None:
            self.server.stop(timeout=0)

    def address(self) -> str:
        """`host:port` being served."""
        host, port = self.listener.getsockname()[:2]
        return f"{host}:{port}"
