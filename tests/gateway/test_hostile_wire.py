"""Hostile bytes on the daemon's real socket: abused request heads get a 4xx (never a 5xx, never a traceback
in the daemon's output), slow clients are cut off at `gateway.request_head_timeout_seconds` without holding
up anyone else, and the daemon serves on."""

import socket
import time

import gevent
import pytest
import requests

from tests.gateway.acp_client import port_of
from tests.gateway.rest_fixtures import AUTH, running_daemon

HEAD_TIMEOUT = 0.5
AUTH_LINES = b"Authorization: Bearer test-token\r\nHost: x\r\n"
ABUSED_HEADS = {  # name: (raw request, expected status)
    "request line over 8 KiB": (b"GET /api/tasks?" + b"a" * 100_000 + b" HTTP/1.1\r\n" + AUTH_LINES + b"\r\n", 414),
    "header line over 64 KiB": (b"GET /api/tasks HTTP/1.1\r\n" + AUTH_LINES + b"X-Big: " + b"h" * 100_000 + b"\r\n\r\n",
                                400),
    "2000 headers": (b"GET /api/tasks HTTP/1.1\r\n" + AUTH_LINES + b"".join(b"X-%d: v\r\n" % i for i in range(2000))
                     + b"\r\n", 400),
    "NUL in a header value": (b"GET /api/tasks HTTP/1.1\r\n" + AUTH_LINES + b"X-N: a\x00b\r\n\r\n", 400),
    "folded header": (b"GET /api/tasks HTTP/1.1\r\n" + AUTH_LINES + b"X-F: a\r\n  folded\r\n\r\n", 400),
    "space in a header name": (b"GET /api/tasks HTTP/1.1\r\n" + AUTH_LINES + b"X Bad: v\r\n\r\n", 400),
    "line without a colon": (b"GET /api/tasks HTTP/1.1\r\ngarbage\r\n" + AUTH_LINES + b"\r\n", 400),
    "HTTP/9.9": (b"GET /api/tasks HTTP/9.9\r\n" + AUTH_LINES + b"\r\n", 400),
    "TLS hello": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100, 400),
    "negative Content-Length": (b"POST /a2a HTTP/1.1\r\n" + AUTH_LINES + b"Content-Length: -5\r\n\r\n{}", 400),
    "Content-Length past 2^64": (b"POST /a2a HTTP/1.1\r\n" + AUTH_LINES + b"Content-Length: " + b"9" * 30
                                 + b"\r\n\r\n{}", 413),
    "Transfer-Encoding gzip": (b"POST /a2a HTTP/1.1\r\n" + AUTH_LINES + b"Transfer-Encoding: gzip\r\n\r\n{}", 400),
    "chunk size not hex": (b"POST /a2a HTTP/1.1\r\n" + AUTH_LINES + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"
                           b"0\r\n\r\n", 400),
    "WebSocket version 99": (b"GET /ws HTTP/1.1\r\n" + AUTH_LINES + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Version: 99\r\nSec-WebSocket-Key: x\r\n\r\n", 400),
    "CONNECT": (b"CONNECT evil.example:443 HTTP/1.1\r\n" + AUTH_LINES + b"\r\n", 404),
}


@pytest.fixture
def api(tmp_path):
    config = f"gateway:\n  request_head_timeout_seconds: {HEAD_TIMEOUT}\n"
    with running_daemon(tmp_path, config) as api:
        yield api


def exchange(port: int, data: bytes) -> bytes:
    """Send `data`, close our side, read the whole answer (a reset after the answer ends it too)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.") else 0


def test_abused_request_heads_get_4xx_and_no_traceback(api, capfd):
    port = port_of(api)
    for name, (raw, expected) in ABUSED_HEADS.items():
        answer = exchange(port, raw)
        assert status_of(answer) == expected, (name, answer[:200])
    assert requests.get(api.base + "/api/tasks", headers=AUTH, timeout=5).status_code == 200
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


def test_slow_clients_are_cut_off_at_the_head_deadline_and_hold_up_no_one(api):
    port = port_of(api)
    started = time.monotonic()
    stalled = []
    for index in range(60):  # heads that never finish: a request line, or headers, or nothing at all
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall([b"", b"GET /api/ta", b"GET /api/tasks HTTP/1.1\r\nHost: x\r\nX-Slow: "][index % 3])
        stalled.append(sock)

    def trickle() -> bytes:  # one byte of header every 0.1 s, forever
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /api/tasks HTTP/1.1\r\n")
            try:
                for _ in range(100):
                    sock.sendall(b"X-Trickle: a\r\n"[:1])
                    gevent.sleep(0.1)
            except OSError:
                pass
            try:
                return sock.recv(1024)
            except OSError:
                return b""

    trickler = gevent.spawn(trickle)
    for _ in range(5):  # everyone else is served meanwhile
        assert requests.get(api.base + "/api/tasks", headers=AUTH, timeout=5).status_code == 200
    for sock in stalled:  # each is closed by the daemon (a 400 for a head cut short, or nothing)
        answer = sock.recv(1024)
        assert answer in (b"",) or status_of(answer) == 400, answer
        sock.close()
    trickled = trickler.get(timeout=10)
    assert trickled == b"" or status_of(trickled) == 400
    assert time.monotonic() - started < HEAD_TIMEOUT + 5  # cut off at the deadline, not when they gave up
    assert requests.get(api.base + "/healthz", timeout=5).json()["healthy"] is True


def test_an_open_route_answers_at_once_without_reading_a_declared_body(api):
    """No credential, a 10 MB body announced and never sent: the open routes (and a 404) answer at once,
    and the daemon holds no memory for the body; the connection is then drained within bounds or closed."""
    port = port_of(api)
    for target in (b"GET /healthz", b"GET /openapi.json", b"GET /.well-known/agent.json", b"GET /nope"):
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            sock.sendall(target + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nabc")
            answer = sock.recv(200)
            assert status_of(answer) in (200, 404), (target, answer)
    assert requests.get(api.base + "/api/tasks", headers=AUTH, timeout=5).status_code == 200
