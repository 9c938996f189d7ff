"""ACP framing and the check order: parse errors, invalid requests, hello gating, unknown methods,
requests without id, in-order answers, the frame cap and the server never speaking first."""

import json
import uuid

import pytest
import websocket

from goclaw_actors.http.websocket import MAX_FRAME_BYTES
from tests.gateway.acp_client import AcpClient, port_of
from tests.helpers import wait_until

HELLO = {"protocol": "acp", "version": "1.0", "supported_min": "1.0", "supported_max": "1.0"}


@pytest.fixture
def client(api):
    acp = AcpClient(port_of(api))
    yield acp
    acp.close()


def test_hello_answers_versions_for_any_params(client):
    assert client.call("system.hello", {"client": "test", "anything": [1, 2]}) == HELLO
    assert client.call("system.hello", [1, 2]) == HELLO


def test_parse_error_keeps_the_socket_open(client):
    client.send("{not json")
    assert client.recv() == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
    assert client.call("system.hello") == HELLO


@pytest.mark.parametrize("message", [
    {"id": 7, "method": "system.hello"},
    {"jsonrpc": "1.0", "id": 7, "method": "system.hello"},
    {"jsonrpc": "2.0", "id": 7},
    {"jsonrpc": "2.0", "id": 7, "method": ""},
    {"jsonrpc": "2.0", "id": 7, "method": 5},
])
def test_invalid_requests(client, message):
    client.send(message)
    assert client.recv() == {"jsonrpc": "2.0", "id": 7,
                             "error": {"code": -32600, "message": "invalid JSON-RPC request"}}


def test_non_object_json_is_an_invalid_request(client):
    client.send([1, 2])
    assert client.recv()["error"] == {"code": -32600, "message": "invalid JSON-RPC request"}


def test_mutating_methods_need_hello_first(client):
    session = str(uuid.uuid4())
    for method in ("agent.chat", "session.purge", "cron.add", "agent.create", "config.set", "policy.domain.add"):
        assert client.error(method, {"session_id": session, "content": "x"}) == (
            -32600, "system.hello required before mutating calls")
    assert client.call("session.list") == {"sessions": []}  # reads need no hello
    client.hello()
    assert "task_id" in client.call("agent.chat", {"session_id": session, "content": "hi"})


def test_unknown_method(client):
    assert client.error("no.such.method") == (-32601, "method not found: no.such.method")


def test_request_without_id_is_executed_but_not_answered(client, api):
    client.hello()
    session = str(uuid.uuid4())
    client.send({"jsonrpc": "2.0", "method": "agent.chat", "params": {"session_id": session, "content": "quiet"}})
    client.send({"jsonrpc": "2.0", "method": "no.such.method"})
    assert client.request("system.hello", request_id="after")["id"] == "after"  # the first answer on the socket
    history = client.call("session.history", {"session_id": session})["items"]
    assert [item["content"] for item in history][:1] == ["quiet"]


def test_requests_are_answered_in_order(client):
    client.hello()
    session = str(uuid.uuid4())
    for index in range(20):
        method = "agent.chat" if index % 2 else "session.history"
        client.send({"jsonrpc": "2.0", "id": index, "method": method,
                     "params": {"session_id": session, "content": f"m{index}"}})
    answers = [client.recv() for _ in range(20)]
    assert [answer["id"] for answer in answers] == list(range(20))
    assert all("result" in answer for answer in answers)


def test_frame_over_32_kib_closes_with_1009(client):
    client.send({"jsonrpc": "2.0", "id": 1, "method": "system.hello", "params": {"pad": "x" * MAX_FRAME_BYTES}})
    assert client.close_frame() == (1009, "message too big")


def test_frame_at_the_cap_is_served(client):
    message = {"jsonrpc": "2.0", "id": 1, "method": "system.hello", "params": {"pad": ""}}
    message["params"]["pad"] = "x" * (MAX_FRAME_BYTES - len(json.dumps(message)))
    text = json.dumps(message)
    assert len(text) == MAX_FRAME_BYTES
    client.send(text)
    assert client.recv()["result"] == HELLO


def test_server_never_speaks_first(api):
    quiet = AcpClient(port_of(api))
    talker = AcpClient(port_of(api)).hello()
    talker.call("approval.request", {"action": "deploy"})  # broadcast to sockets that have spoken only
    quiet.ws.settimeout(0.3)
    with pytest.raises(websocket.WebSocketTimeoutException):
        quiet.ws.recv()
    quiet.ws.settimeout(10)
    assert quiet.call("system.hello") == HELLO
    quiet.close()
    talker.close()


def test_many_sockets_and_clean_close(api):
    clients = [AcpClient(port_of(api)) for _ in range(10)]
    for acp in clients:
        assert acp.call("system.hello") == HELLO
        acp.close()
    gateway = api.daemon.runtime.registry.lookup("gateway")
    wait_until(lambda: not gateway.proxy().server.get().open_websockets, what="sockets released")
