"""The HTTP listener and a gevent WSGI server (WebSocket-capable) that sets TCP_NODELAY on every connection."""

import errno
import socket

import gevent.lock
from gevent.pywsgi import WSGIServer

from goclaw_actors.bind_addr import parse_bind_addr
from goclaw_actors.errors import StartupError
from goclaw_actors.http.request_framing import MAX_CONCURRENT_DRAINS
from goclaw_actors.http.gateway_handler import GatewayHandler
from goclaw_actors.http.websocket import CLOSE_GOING_AWAY

LISTEN_BACKLOG = 1024  # pending connections the kernel queues for us


def bind_listener(bind_addr: str) -> socket.socket:
    """Bind and listen on `bind_addr`; `E_ACP_LISTENER_BIND` if the address is taken or invalid."""
    try:
        host, port = parse_bind_addr(bind_addr)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except (OSError, ValueError) as exc:
        detail = "address already in use" if getattr(exc, "errno", None) == errno.EADDRINUSE else str(exc)
        raise StartupError("E_ACP_LISTENER_BIND", f"listen on {bind_addr}: {detail}") from exc
    return sock


def bound_port(sock: socket.socket) -> int:
    """The port a listener is bound to (useful with port 0)."""
    return sock.getsockname()[1]


class NoDelayWSGIServer(WSGIServer):
    """WSGIServer whose accepted sockets have Nagle's algorithm off (small responses otherwise stall);
    its handler serves WebSocket upgrades that routes accept (goclaw_actors.http.websocket)."""

    handler_class = GatewayHandler

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_websockets: set = set()
        self.body_drains = gevent.lock.BoundedSemaphore(MAX_CONCURRENT_DRAINS)  # unread bodies drained at once

    def close_websockets(self, code: int = CLOSE_GOING_AWAY, reason: str = "server shutting down") -> int:
        """Send a close frame to every open WebSocket (their handlers then end); returns how many."""
        sockets = list(self.open_websockets)
        for websocket in sockets:
            websocket.close(code, reason)
        return len(sockets)

    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().handle(sock, address)
