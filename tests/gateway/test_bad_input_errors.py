"""Bad input gets the documented client error with a plain message on every surface, never a 5xx or -32603,
and no exception class or traceback text ever reaches a client (SPEC §9). Against the running daemon."""

import json
import socket
import uuid

import pytest
import requests

from goclaw_actors.http.acp.dispatcher import Dispatcher, Method
from goclaw_actors.http.json_input import InvalidJson, parse_json
from goclaw_actors.http.principal import TOKEN as TOKEN_PRINCIPAL
from goclaw_actors.http.route_access import AGENT_DATA, Scope
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import running_daemon

SURROGATE = '{"model": "goclaw-v1", "messages": [{"role": "user", "content": "\\ud800"}]}'
DEEP = "[" * 1000 + "]" * 1000
TOO_DEEP_FOR_US = "[" * 101 + "]" * 101
HUGE = 2 ** 63
INTERNAL_MARKERS = ("Traceback", "Error(", "Exception", "RecursionError", "OverflowError", "UnicodeEncodeError",
                    "secret-detail")


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path) as api:
        yield api


def plain(text: str) -> bool:
    return not any(marker in text for marker in INTERNAL_MARKERS)


def test_json_the_daemon_cannot_keep_is_refused_at_the_edge():
    for raw in (SURROGATE, '{"\\udfff": 1}', DEEP, TOO_DEEP_FOR_US, b"\xff\xfe{}", "[1, 2", "1" * 5000):
        with pytest.raises(InvalidJson):
            parse_json(raw)
    assert parse_json('{"emoji": "\\ud83d\\ude00"}') == {"emoji": "\U0001F600"}  # a surrogate pair is fine
    assert parse_json("[" * 100 + "]" * 100)


def test_openai_rest_and_a2a_answer_400_and_invalid_params(api):
    for body in (SURROGATE, DEEP, TOO_DEEP_FOR_US):
        response = api.post("/v1/chat/completions", data=body.encode(), headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and response.json()["error"]["message"] == "Invalid JSON"
        response = api.post("/a2a", data=body.encode())
        assert response.json()["error"] == {"code": -32700, "message": "parse error"}
        response = api.post("/api/plans/x/execute", data=body.encode())
        assert response.status_code in (400, 404) and plain(response.text)
    for offset in (str(HUGE), "9" * 40):
        response = api.get("/api/tasks", params={"offset": offset})
        assert response.status_code == 400 and "offset must be between" in response.json()["error"]
    for token in (str(HUGE), "9" * 5000, "²", "١٢"):
        response = api.post("/a2a", json={"jsonrpc": "2.0", "id": HUGE, "method": "ListTasks",
                                          "params": {"pageToken": token}})
        assert response.json()["error"] == {"code": -32602, "message": "invalid params: unknown pageToken"}
        assert response.json()["id"] == HUGE
    assert api.get("/api/tasks").json()["total"] == 0


def test_acp_answers_parse_error_and_1000(api):
    client = AcpClient(port_of(api)).hello()
    try:
        client.send(SURROGATE.replace('"model"', '"jsonrpc": "2.0", "id": 1, "method": "system.hello", "x"'))
        answer = client.recv()  # JSON, answered by its id, refused for the text it holds
        assert answer["id"] == 1
        assert answer["error"] == {"code": 1000, "message": "string holds a lone surrogate (not valid Unicode)"}
        client.send(DEEP)
        assert client.recv()["error"] == {"code": -32700, "message": "parse error"}
        session = str(uuid.uuid4())
        for method, params in [("agent.chat", {"session_id": session, "content": "x", "priority": HUGE}),
                               ("session.events.subscribe", {"session_id": session, "from_event_id": 2 ** 64}),
                               ("session.history", {"session_id": session, "limit": -HUGE - 1}),
                               ("session.list", {"limit": "9" * 5000}),
                               ("subtask.create", {"parent_task_id": "p", "session_id": session,
                                                   "payload": {"content": "x"}, "priority": 1e308})]:
            code, message = client.error(method, params)
            assert code == 1000 and plain(message), (method, message)
        assert client.error("cron.add", {"name": "never", "cron_expr": "0 0 31 2 *"}) == \
            (1000, "invalid cron_expr: no date matches it")
        assert client.call("cron.list")["schedules"] == []
    finally:
        client.close()


def raw_exchange(api, head: bytes, body: bytes) -> bytes:
    """Send a request head and part of its body, close our side, and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port_of(api)), timeout=10) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_truncated_bodies_are_400(api):
    auth = b"Authorization: Bearer test-token\r\nHost: x\r\n"
    sized = raw_exchange(api, b"POST /v1/chat/completions HTTP/1.1\r\n" + auth + b"Content-Length: 100\r\n\r\n",
                         b'{"messages": [')
    assert sized.startswith(b"HTTP/1.1 400") and sized.endswith(b"incomplete request body\n")
    chunked = raw_exchange(api, b"POST /a2a HTTP/1.1\r\n" + auth + b"Transfer-Encoding: chunked\r\n\r\n",
                           b"10\r\n{\"jsonrpc\": ")
    assert chunked.startswith(b"HTTP/1.1 400") and plain(chunked.decode("latin-1"))
    assert requests.get(api.base + "/healthz", timeout=5).json()["healthy"] is True


def test_an_internal_failure_answers_without_its_detail(api):
    routes = api.daemon.runtime.app.routes

    @routes.get("/api/test/boom", access=AGENT_DATA)
    def boom():
        raise RuntimeError("secret-detail at /home/user/.goclaw")

    response = api.get("/api/test/boom")
    assert (response.status_code, response.json()) == (500, {"error": "internal server error"})


class _Socketless:
    """What the dispatcher needs of a connection, without a socket: it records the answers."""

    principal = TOKEN_PRINCIPAL
    hello = True

    def __init__(self, ctx):
        self.ctx = ctx
        self.replies = []

    def admit(self) -> bool:
        return True

    def reply(self, document):
        self.replies.append(document)


def test_acp_internal_error_is_plain(api):
    def boom(call):
        raise KeyError("secret-detail")

    dispatch = Dispatcher({"test.boom": Method(boom, Scope.AGENTS)})
    conn = _Socketless(api.context())
    dispatch(conn, json.dumps({"jsonrpc": "2.0", "id": 7, "method": "test.boom"}))
    assert conn.replies == [{"jsonrpc": "2.0", "id": 7, "error": {"code": -32603, "message": "internal error"}}]


def test_an_id_that_is_not_a_string_or_number_is_never_echoed(api):
    """JSON-RPC 2.0: a request whose id is an object, an array or a boolean is invalid, answered with id null
    (found by the route fuzz: /a2a echoed `"id": []`)."""
    for bad_id in ([], {"a": 1}, True, [1, 2]):
        response = api.post("/a2a", json={"jsonrpc": "2.0", "id": bad_id, "method": "SendMessage"})
        assert response.json() == {"jsonrpc": "2.0", "id": None,
                                   "error": {"code": -32600, "message": "invalid JSON-RPC request"}}, bad_id
    client = AcpClient(port_of(api)).hello()
    try:
        for bad_id in ([], {"a": 1}, False):
            client.send({"jsonrpc": "2.0", "id": bad_id, "method": "system.status"})
            assert client.recv() == {"jsonrpc": "2.0", "id": None,
                                     "error": {"code": -32600, "message": "invalid JSON-RPC request"}}, bad_id
        assert client.call("system.status")["healthy"] is True
    finally:
        client.close()
