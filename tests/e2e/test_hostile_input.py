"""Hostile input on every endpoint of a real daemon: each gets its documented error, the daemon stays
healthy, and work accepted before (and during) the assault is not lost."""

import json
import sqlite3

import requests
import websocket

from tests.helpers import insert_task, wait_until

TOKEN = "hostile-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BAD_UTF8 = b'{"model": "goclaw-v1", "messages": [{"role": "user", "content": "\xff\xfe"}]}'


def statuses(db_path):
    with sqlite3.connect(db_path, timeout=5) as conn:
        return dict(conn.execute("SELECT id, status FROM tasks"))


def post(url, data, headers=None):
    return requests.post(url, data=data, headers={**AUTH, "Content-Type": "application/json", **(headers or {})},
                         timeout=10)


def test_hostile_requests_get_documented_errors_and_lose_nothing(home, daemons):
    daemon = daemons(home, env={"GOCLAW_AUTH_TOKEN": TOKEN}).start().wait_healthy()
    with sqlite3.connect(daemon.db_path) as conn:
        accepted = [insert_task(conn, f"before {i}") for i in range(5)]
    url = daemon.url

    # OpenAI API
    for body, fragment in [(b"{not json", "Invalid JSON"), (b'{"messages": "x"}', ""), (b"[]", ""),
                           (b'{"messages": []}', "Messages list is empty"), (BAD_UTF8, "Invalid JSON")]:
        response = post(url + "/v1/chat/completions", body)
        assert response.status_code == 400, (body, response.text)
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error" and fragment in error["message"]
    huge = post(url + "/v1/chat/completions", b"{" + b" " * (11 * 1024 * 1024) + b"}")
    assert huge.status_code == 413
    assert requests.get(url + "/v1/chat/completions", headers=AUTH, timeout=5).status_code == 405
    assert requests.post(url + "/v1/chat/completions", data=b"{}", timeout=5).status_code == 401

    # REST and SSE
    assert requests.get(url + "/api/tasks/nope", headers=AUTH, timeout=5).status_code == 404
    assert requests.get(url + "/api/tasks?status=BOGUS", headers=AUTH, timeout=5).status_code == 400
    assert requests.get(url + "/api/v1/task/stream", headers=AUTH, timeout=5).status_code == 400
    assert requests.get(url + "/api/no/such/route", headers=AUTH, timeout=5).status_code == 404

    # A2A JSON-RPC
    for body, code in [(b"{oops", -32700), (BAD_UTF8, -32700), (b'{"jsonrpc": "2.0", "id": 1, "method": "x/y"}', -32601),
                       (b'{"jsonrpc": "2.0", "id": 2, "method": "tasks/get", "params": {"id": 5}}', -32602)]:
        response = post(url + "/a2a", body)
        assert response.json()["error"]["code"] == code, (body, response.text)

    # ACP WebSocket
    ws = websocket.create_connection(url.replace("http", "ws") + "/ws", header=[f"Authorization: Bearer {TOKEN}"],
                                     timeout=10)
    ws.send("{not json")
    assert json.loads(ws.recv())["error"]["code"] == -32700
    ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "no.such.method"}))
    assert json.loads(ws.recv())["error"]["code"] == -32601
    ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "system.hello", "params": {}}))
    assert json.loads(ws.recv())["result"]["protocol"] == "acp"
    ws.send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "agent.chat", "params": {"session_id": 7, "content": []}}))
    assert json.loads(ws.recv())["error"]["code"] == 1000
    ws.send(json.dumps({"jsonrpc": "1.0", "id": 4, "method": "system.status"}))
    assert json.loads(ws.recv())["error"]["code"] == -32600
    ws.send("x" * (33 * 1024))
    try:
        opcode, data = ws.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(data[:2], "big") == 1009
    except websocket.WebSocketConnectionClosedException:
        pass
    ws.close()

    # the daemon is healthy, accepted work finishes, and no request above created a task
    assert requests.get(url + "/healthz", timeout=5).json()["healthy"] is True
    wait_until(lambda: all(statuses(daemon.db_path)[t] == "SUCCEEDED" for t in accepted), timeout=20)
    assert set(statuses(daemon.db_path)) == set(accepted)
    assert daemon.terminate() == 0


def test_paths_bottle_would_route_after_dropping_bytes_are_refused(home, daemons):
    """The authentication bypass of the hostile-input probe, against `goclaw daemon`: a path with bytes that
    are not UTF-8 used to skip the token check and still reach /api/tasks or /v1/chat/completions."""
    import http.client

    daemon = daemons(home, env={"GOCLAW_AUTH_TOKEN": TOKEN}).start().wait_healthy()
    chat = json.dumps({"messages": [{"role": "user", "content": "on the operator's key"}]}).encode()
    for method, path, body in [("GET", "/ap%FFi/tasks", None), ("POST", "/%FFv1/chat/completions", chat),
                               ("GET", "/metrics%FF", None), ("POST", "/a%FF2a", b"{}")]:
        conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
        conn.request(method, path, body=body)
        response = conn.getresponse()
        assert (response.status, json.loads(response.read())) == (400, {"error": "invalid request path"}), path
        conn.close()
    assert requests.get(daemon.url + "/api/%74asks", timeout=5).status_code == 401
    assert requests.get(daemon.url + "/api/%74asks", headers=AUTH, timeout=5).json()["total"] == 0
    assert statuses(daemon.db_path) == {}  # nothing was enqueued
    assert daemon.terminate() == 0
