"""Requests cannot make the daemon hold memory before they are admitted: bodies are read only after
authentication, unread bodies of refused requests are drained by a bounded number at once (or the connection
closed), and a WebSocket message is capped at 32 KiB across its fragments, checked frame by frame."""

import contextlib
import socket
import time

import pytest
import websocket

from goclaw_actors.http.request_framing import MAX_CONCURRENT_DRAINS
from goclaw_actors.http.websocket import MAX_FRAME_BYTES
from tests.gateway.acp_client import TOKEN, port_of
from tests.gateway.rest_fixtures import running_daemon
from tests.helpers import wait_until

MIB = 1024 * 1024


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path) as api:
        yield api


def connect(api) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port_of(api)), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_response_head(sock: socket.socket) -> bytes:
    """Bytes up to the end of the response head."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection within `seconds` (whatever it sends first is skipped)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


def test_an_unauthenticated_chunked_body_is_answered_before_it_is_sent(api):
    sock = connect(api)
    try:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + b"100000\r\n" + b"x" * 65536)  # 1 MiB announced, 64 KiB sent, never finished
        assert read_response_head(sock).startswith(b"HTTP/1.1 401")  # no byte of the body was needed to refuse it
    finally:
        sock.close()


def test_unread_bodies_are_drained_a_bounded_number_at_once(api):
    holders = []
    with contextlib.ExitStack() as stack:
        for _ in range(MAX_CONCURRENT_DRAINS):  # refused (405) requests whose bodies trickle: each holds a drain
            sock = stack.enter_context(connect(api))
            sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\nabc")
            assert read_response_head(sock).startswith(b"HTTP/1.1 405")
            holders.append(sock)
        extra = stack.enter_context(connect(api))
        extra.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\nabc")
        assert read_response_head(extra).startswith(b"HTTP/1.1 405")
        assert closed_within(extra, 2.0)  # no drain left: closed, the rest of its body never read
    wait_until(lambda: _refused_body_is_drained(api, b"x" * MIB), timeout=10,
               what="the drains freed by their clients serving a refused body again")


def _refused_body_is_drained(api, body: bytes) -> bool:
    """Whether a refused request's whole body is read and dropped, leaving the connection usable."""
    with connect(api) as sock:
        try:
            sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            if not read_response_head(sock).startswith(b"HTTP/1.1 405"):
                return False
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            return read_response_head(sock).startswith(b"HTTP/1.1 200")
        except (ConnectionResetError, BrokenPipeError):  # closed undrained: no drain was free yet
            return False


def acp_socket(api) -> websocket.WebSocket:
    return websocket.create_connection(f"ws://127.0.0.1:{port_of(api)}/ws", timeout=10, suppress_origin=True,
                                       header=[f"Authorization: Bearer {TOKEN}"])


def close_code(ws: websocket.WebSocket) -> int | None:
    """The code of the server's close frame (None when the connection just ended)."""
    while True:
        try:
            opcode, data = ws.recv_data(control_frame=True)
        except (websocket.WebSocketConnectionClosedException, ConnectionResetError):
            return None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big")


def send_fragments(ws: websocket.WebSocket, parts: list[bytes]) -> None:
    for index, part in enumerate(parts):
        opcode = websocket.ABNF.OPCODE_TEXT if index == 0 else websocket.ABNF.OPCODE_CONT
        ws.send_frame(websocket.ABNF.create_frame(part, opcode, fin=int(index == len(parts) - 1)))


def test_a_fragmented_message_within_32_kib_is_served(api):
    ws = acp_socket(api)
    try:
        text = b'{"jsonrpc": "2.0", "id": 1, "method": "system.hello", "params": {"pad": "'
        text += b"x" * (MAX_FRAME_BYTES - len(text) - 3) + b'"}}'
        assert len(text) == MAX_FRAME_BYTES
        send_fragments(ws, [text[i:i + 1024] for i in range(0, len(text), 1024)])
        assert '"protocol":"acp"' in ws.recv()
    finally:
        ws.close()


def test_fragments_adding_up_past_32_kib_close_with_1009(api):
    ws = acp_socket(api)
    try:
        send_fragments(ws, [b"x" * 1024] * 33)  # each frame is small; the message is not
        assert close_code(ws) == 1009
    finally:
        ws.close()


def test_a_continuation_frame_announcing_too_much_is_refused_from_its_header(api):
    ws = acp_socket(api)
    try:
        ws.send_frame(websocket.ABNF.create_frame(b"x" * 30_000, websocket.ABNF.OPCODE_TEXT, fin=0))
        # a header announcing 100 MiB, and no payload: the server answers from the header alone
        frame = websocket.ABNF(1, 0, 0, 0, websocket.ABNF.OPCODE_CONT, 1, b"")
        header = bytearray(frame.format())
        header[1] = 0x80 | 127
        ws.sock.sendall(bytes(header[:2]) + (100 * MIB).to_bytes(8, "big") + b"\x00\x00\x00\x00")
        assert close_code(ws) == 1009
    finally:
        ws.close()
