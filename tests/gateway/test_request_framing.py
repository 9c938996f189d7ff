"""Request smuggling: length headers a proxy in front and the daemon could read differently are refused with
400 and the connection closed, before the application runs (RFC 9112 §6.3). Over a real socket."""

import socket

import pytest

from goclaw_actors.http.request_framing import framing_problem
from tests.gateway.acp_client import port_of
from tests.gateway.rest_fixtures import running_daemon

SMUGGLED = b"GET /api/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\n\r\n"


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path) as api:
        yield api


def exchange(api, head: bytes, body: bytes) -> bytes:
    """Everything the daemon answers to `head` + `body` before it closes (10 s at most)."""
    with socket.create_connection(("127.0.0.1", port_of(api)), timeout=10) as sock:
        sock.sendall(head + b"\r\n" + body)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except socket.timeout:
            answer += b"<still open>"
    return answer


def test_ambiguous_lengths_are_400_and_the_connection_closes(api):
    start = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\n"
    body = b"0\r\n\r\n" + SMUGGLED
    for headers in (b"Content-Length: 5\r\nContent-Length: 56\r\n",
                    b"Content-Length: 5, 56\r\n",
                    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                    b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                    b"Transfer-Encoding: gzip, chunked\r\n",
                    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                    b"Transfer-Encoding: xchunked\r\n",
                    b"Content-Length: +5\r\n",
                    b"Content-Length: 1_0\r\n"):
        answer = exchange(api, start + headers, body)
        assert answer.startswith(b"HTTP/1.1 400 Bad Request"), (headers, answer[:200])
        assert answer.count(b"HTTP/1.1") == 1, (headers, answer)  # the smuggled request was never served
    assert api.get("/api/tasks").json()["total"] == 0


def test_unambiguous_lengths_are_served(api):
    start = b"POST /a2a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\nConnection: close\r\n"
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "x"}'
    for headers in (b"Content-Length: %d\r\n" % len(body), b"Content-Length: %d\r\nContent-Length: %d\r\n" % (
            len(body), len(body))):
        answer = exchange(api, start + headers, body)
        assert answer.startswith(b"HTTP/1.1 200") and b"-32601" in answer, answer
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    answer = exchange(api, start + b"Transfer-Encoding: chunked\r\n", chunked)
    assert answer.startswith(b"HTTP/1.1 200") and b"-32601" in answer, answer


def test_framing_rules():
    assert framing_problem([], []) is None
    assert framing_problem(["12"], []) is None
    assert framing_problem(["12", "12"], []) is None
    assert framing_problem([], ["Chunked"]) is None
    assert framing_problem(["12", "13"], []) == "conflicting Content-Length headers"
    assert framing_problem(["12"], ["chunked"]) == "Content-Length together with Transfer-Encoding"
    assert framing_problem([], ["gzip, chunked"]) == "unsupported Transfer-Encoding"
    assert framing_problem(["-1"], []) == "invalid Content-Length"
