"""WebSocket serving: the socket class of accepted upgrades, with its message size cap and close codes.

gevent-websocket upgrades every upgrade request before the application runs, so a route could not
answer 401/403 (nor could a middleware). The gateway's handler (goclaw_actors/http/gateway_handler.py)
only offers the upgrade: the route checks the request, then calls `environ[UPGRADE_KEY]()`, which
completes the handshake (101) and returns the socket. gevent-websocket also has no size limit and sends
close frames without their status code; `CappedWebSocket` closes with 1009 on a message over
MAX_FRAME_BYTES, fragmented or not (checked from each frame's header against what the message has left,
before that frame's payload is read), and sends proper close codes.
"""

import struct

import gevent
from geventwebsocket.exceptions import FrameTooLargeException, ProtocolError, WebSocketError
from geventwebsocket.websocket import Header, WebSocket

MAX_FRAME_BYTES = 32 * 1024  # SPEC §9.3: frames (and messages) over 32 KiB close the socket with 1009
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
UPGRADE_KEY = "goclaw.websocket.upgrade"  # environ entry: callable completing the handshake
DISCARD_LIMIT = 1024 * 1024  # bytes of a refused frame read and dropped so the close frame is not lost to a RST
DISCARD_SECONDS = 2.0
CONTROL_OPCODE_BIT = 0x8  # close, ping and pong


class CappedWebSocket(WebSocket):
    """A server-side WebSocket that refuses messages over MAX_FRAME_BYTES and sends real close codes."""

    __slots__ = ()  # same layout as WebSocket, so an accepted socket can take this class

    def read_frame(self, budget: int = MAX_FRAME_BYTES):
        """Read one frame; a data frame whose header announces more than `budget` bytes (what its message
        has left) closes with 1009 unread. Control frames are never part of a message.

        Reading goes on after we closed (the peer's closing handshake), so the stream is held locally.
        """
        stream = self.stream
        if stream is None:
            raise WebSocketError("connection is already closed")
        header = Header.decode_header(stream)
        if header.flags:
            raise ProtocolError("reserved bits set")
        cap = MAX_FRAME_BYTES if header.opcode & CONTROL_OPCODE_BIT else budget
        if header.length > cap:
            self.close(CLOSE_TOO_BIG, "message too big")
            _discard(stream.read, min(header.length, DISCARD_LIMIT))
            raise FrameTooLargeException(f"message over {MAX_FRAME_BYTES} bytes")
        if not header.length:
            return header, b""
        payload = stream.read(header.length)
        if len(payload) != header.length:
            raise WebSocketError("unexpected EOF reading frame payload")
        if header.mask:
            payload = header.unmask_payload(payload)
        return header, payload

    def read_message(self):
        """The next text or binary message, its fragments assembled within MAX_FRAME_BYTES in all
        (gevent-websocket's own loop, with the budget passed to each frame read)."""
        opcode = None
        message = bytearray()
        while True:
            header, payload = self.read_frame(MAX_FRAME_BYTES - len(message))
            f_opcode = header.opcode
            if f_opcode in (self.OPCODE_TEXT, self.OPCODE_BINARY):
                if opcode:
                    raise ProtocolError(f"the opcode in a non-fin frame is expected to be zero, got {f_opcode!r}")
                self.utf8validator.reset()
                self.utf8validate_last = (True, True, 0, 0)
                opcode = f_opcode
            elif f_opcode == self.OPCODE_CONTINUATION:
                if not opcode:
                    raise ProtocolError("unexpected frame with opcode=0")
            elif f_opcode == self.OPCODE_PING:
                self.handle_ping(header, payload)
                continue
            elif f_opcode == self.OPCODE_PONG:
                self.handle_pong(header, payload)
                continue
            elif f_opcode == self.OPCODE_CLOSE:
                self.handle_close(header, payload)
                return None
            else:
                raise ProtocolError(f"unexpected opcode={f_opcode!r}")
            if opcode == self.OPCODE_TEXT:
                self.validate_utf8(payload)
            message += payload
            if header.fin:
                break
        if opcode == self.OPCODE_TEXT:
            self.validate_utf8(message)
            return self._decode_bytes(message)
        return message

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
