"""The gateway's WebSocket serving: route-decided upgrades, the 32 KiB frame cap (1009), close codes."""

import json
import logging
import socket
import struct

import bottle
import gevent
import pytest
import requests
import websocket

from goclaw_actors.http.server import NoDelayWSGIServer
from goclaw_actors.http.websocket import CLOSE_POLICY, MAX_FRAME_BYTES, UPGRADE_KEY
from tests.helpers import wait_until


def _app() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.get("/plain")
    def plain():
        return {"ok": True}

    @app.get("/echo")
    def echo():
        if bottle.request.get_header("X-Refuse"):
            return bottle.HTTPResponse(status=403, body="forbidden\n")
        accept = bottle.request.environ.get(UPGRADE_KEY)
        ws = accept() if accept else None
        if ws is None:
            return bottle.HTTPResponse(status=400, body="upgrade required\n")
        while True:
            message = ws.receive()
            if message is None:
                return ""
            if message == "bye":
                ws.close(CLOSE_POLICY, "backpressure")
                return ""
            ws.send(message)

    return app


@pytest.fixture
def served():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    srv = NoDelayWSGIServer(listener, _app(), log=None, error_log=logging.getLogger("test.websocket"))
    srv.start()
    yield srv, f"127.0.0.1:{listener.getsockname()[1]}"
    srv.stop(timeout=1)


@pytest.fixture
def server(served):
    return served[1]


def _close_frame(ws: websocket.WebSocket) -> tuple[int, str]:
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    return struct.unpack("!H", data[:2])[0], data[2:].decode()


def test_plain_http_still_served(server):
    assert requests.get(f"http://{server}/plain", timeout=5).json() == {"ok": True}


def test_echo_and_frame_at_the_cap(server):
    ws = websocket.create_connection(f"ws://{server}/echo", timeout=5)
    ws.send("hello")
    assert ws.recv() == "hello"
    exact = "x" * MAX_FRAME_BYTES
    ws.send(exact)
    assert ws.recv() == exact
    ws.close()


def test_frame_over_cap_closes_with_1009(server):
    ws = websocket.create_connection(f"ws://{server}/echo", timeout=5)
    ws.send("y" * (MAX_FRAME_BYTES + 1))
    assert _close_frame(ws) == (1009, "message too big")


def test_close_code_and_reason_are_sent(server):
    ws = websocket.create_connection(f"ws://{server}/echo", timeout=5)
    ws.send("bye")
    assert _close_frame(ws) == (CLOSE_POLICY, "backpressure")


def test_route_refuses_before_upgrade(server):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"ws://{server}/echo", timeout=5, header=["X-Refuse: 1"])
    assert refused.value.status_code == 403


def test_get_without_upgrade_reaches_route(server):
    response = requests.get(f"http://{server}/echo", timeout=5)
    assert response.status_code == 400 and response.text == "upgrade required\n"


def test_many_sockets_concurrently(server):
    sockets = [websocket.create_connection(f"ws://{server}/echo", timeout=5) for _ in range(20)]
    for index, ws in enumerate(sockets):
        ws.send(json.dumps({"n": index}))
    assert [json.loads(ws.recv())["n"] for ws in sockets] == list(range(20))
    for ws in sockets:
        ws.close()
    gevent.sleep(0)


def test_close_websockets_sends_going_away():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    srv = NoDelayWSGIServer(listener, _app(), log=None)
    srv.start()
    ws = websocket.create_connection(f"ws://127.0.0.1:{listener.getsockname()[1]}/echo", timeout=5)
    ws.send("ping")
    assert ws.recv() == "ping"
    assert srv.close_websockets() == 1
    assert _close_frame(ws) == (1001, "server shutting down")
    ws.close()
    wait_until(lambda: not srv.open_websockets, timeout=5, what="handler to end")
    srv.stop(timeout=2)


def test_session_end_is_not_an_application_error(served, caplog):
    srv, address = served
    ws = websocket.create_connection(f"ws://{address}/echo", timeout=5)
    ws.send("once")
    assert ws.recv() == "once"
    ws.close()
    wait_until(lambda: not srv.open_websockets, timeout=5, what="handler to end")
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
