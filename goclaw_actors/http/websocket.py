"""WebSocket serving: a gevent-websocket handler whose upgrade the route decides, and a frame size cap.

gevent-websocket upgrades every upgrade request before the application runs, so a route could not
answer 401/403 (nor could a middleware). Here the handler only offers the upgrade: the route checks
the request, then calls `environ[UPGRADE_KEY]()`, which completes the handshake (101) and returns the
socket. gevent-websocket also has no size limit and sends close frames without their status code;
`CappedWebSocket` closes with 1009 on a frame over MAX_FRAME_BYTES (checked from the frame header,
before the payload is read) and sends proper close codes.
"""

import struct

import gevent
import gevent.lock
from gevent.pywsgi import WSGIHandler
from geventwebsocket.exceptions import FrameTooLargeException, ProtocolError, WebSocketError
from geventwebsocket.handler import WebSocketHandler
from geventwebsocket.websocket import Header, WebSocket

MAX_FRAME_BYTES = 32 * 1024  # SPEC §9.3: frames over 32 KiB close the socket with 1009
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
UPGRADE_KEY = "goclaw.websocket.upgrade"  # environ entry: callable completing the handshake
DISCARD_LIMIT = 1024 * 1024  # bytes of a refused frame read and dropped so the close frame is not lost to a RST
DISCARD_SECONDS = 2.0


class CappedWebSocket(WebSocket):
    """A server-side WebSocket that refuses frames over MAX_FRAME_BYTES and sends real close codes."""

    __slots__ = ()  # same layout as WebSocket, so an accepted socket can take this class

    def read_frame(self):
        """Read one frame; a header announcing more than MAX_FRAME_BYTES closes with 1009 unread.

        Reading goes on after we closed (the peer's closing handshake), so the stream is held locally.
        """
        stream = self.stream
        if stream is None:
            raise WebSocketError("connection is already closed")
        header = Header.decode_header(stream)
        if header.flags:
            raise ProtocolError("reserved bits set")
        if header.length > MAX_FRAME_BYTES:
            self.close(CLOSE_TOO_BIG, "message too big")
            _discard(stream.read, min(header.length, DISCARD_LIMIT))
            raise FrameTooLargeException(f"frame of {header.length} bytes exceeds {MAX_FRAME_BYTES}")
        if not header.length:
            return header, b""
        payload = stream.read(header.length)
        if len(payload) != header.length:
            raise WebSocketError("unexpected EOF reading frame payload")
        if header.mask:
            payload = header.unmask_payload(payload)
        return header, payload

    def send_frame(self, message, opcode):
        """Send one frame; frames from different green threads never interleave on the wire."""
        with self.handler.send_lock:
            super().send_frame(message, opcode)

    def close(self, code: int = CLOSE_NORMAL, message: bytes | str = b"") -> None:
        """Send a close frame carrying `code` and `message` (once), then stop using the stream."""
        if self.closed:
            return
        reason = message.encode("utf-8") if isinstance(message, str) else bytes(message or b"")
        try:
            self.send_frame(struct.pack("!H", code) + reason[:123], self.OPCODE_CLOSE)
        except WebSocketError:
            pass  # the peer is gone; closing anyway
        finally:
            self.closed = True
            self.stream = None
            self.raw_write = None
            self.raw_read = None
            self.environ = None


def _discard(read, count: int) -> None:
    """Read and drop up to `count` bytes (a closing socket with unread input is reset, losing our close frame)."""
    with gevent.Timeout(DISCARD_SECONDS, False):
        while count > 0:
            chunk = read(min(count, 64 * 1024))
            if not chunk:
                return
            count -= len(chunk)


class GatewayHandler(WebSocketHandler):
    """Runs every request through the WSGI app; upgrade requests get `environ[UPGRADE_KEY]`.

    Accepted sockets are listed in the server's `open_websockets` (when it has one) while they run,
    so that shutdown can close them with 1001.
    """

    def run_application(self):
        if self.environ.get("HTTP_UPGRADE", "").lower() != "websocket":
            return WSGIHandler.run_application(self)
        self.environ[UPGRADE_KEY] = self._accept
        try:
            return WSGIHandler.run_application(self)
        finally:
            websocket = getattr(self, "websocket", None)
            if websocket is not None:
                getattr(self.server, "open_websockets", set()).discard(websocket)

    def _accept(self) -> CappedWebSocket | None:
        """Complete the handshake and send the 101; None if the request is not a valid upgrade."""
        self.upgrade_websocket()
        websocket = self.environ.get("wsgi.websocket")
        if websocket is None:
            return None
        self.send_lock = gevent.lock.Semaphore()
        websocket.__class__ = CappedWebSocket
        self.write(b"")
        getattr(self.server, "open_websockets", set()).add(websocket)
        return websocket

    def start_response(self, status, headers, exc_info=None):
        """After a WebSocket session the app's own response has nothing left to say: the 101 was sent."""
        if self.headers_sent and self.environ.get("wsgi.websocket") is not None:
            return self.write
        return super().start_response(status, headers, exc_info)

    def log_request(self):
        return WSGIHandler.log_request(self)
