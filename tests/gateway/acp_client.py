"""A test client for ACP (JSON-RPC 2.0 over the daemon's /ws), built on websocket-client."""

import itertools
import json
import socket
import sqlite3
import struct
import time
from pathlib import Path
from typing import Any

import websocket

TOKEN = "test-token"


class AcpClient:
    """One socket. `request` sends and reads until its response, keeping notifications seen meanwhile."""

    def __init__(self, port: int, token: str | None = TOKEN, origin: str | None = None, timeout: float = 10,
                 receive_buffer: int | None = None):
        headers = [f"Authorization: Bearer {token}"] if token else []
        options: dict[str, Any] = {"origin": origin} if origin else {"suppress_origin": True}
        if receive_buffer is not None:  # a small TCP receive window: a client that reads slowly fills up fast
            options["sockopt"] = ((socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer),)
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=timeout, header=headers,
                                              **options)
        self.ids = itertools.count(1)
        self.notifications: list[dict[str, Any]] = []

    def send(self, message: Any) -> None:
        """Send `message` as JSON text (a str is sent as it is)."""
        self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def recv(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message, parsed."""
        if timeout is not None:
            self.ws.settimeout(timeout)
        return json.loads(self.ws.recv())

    def request(self, method: str, params: Any = None, request_id: Any = None) -> dict[str, Any]:
        """Send a request and return its response; notifications before it go to `notifications`."""
        request_id = next(self.ids) if request_id is None else request_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.response(request_id)

    def response(self, request_id: Any) -> dict[str, Any]:
        """Read until the response with `request_id`."""
        while True:
            message = self.recv()
            if "method" in message and "id" not in message:
                self.notifications.append(message)
            elif message.get("id") == request_id:
                return message
            else:
                raise AssertionError(f"unexpected message {message} while waiting for id {request_id}")

    def call(self, method: str, params: Any = None) -> Any:
        """The result of a request (fails the test on an error answer)."""
        response = self.request(method, params)
        assert "result" in response, f"{method} failed: {response}"
        return response["result"]

    def error(self, method: str, params: Any = None) -> tuple[int, str]:
        """The (code, message) of a request expected to fail."""
        response = self.request(method, params)
        assert "error" in response, f"{method} succeeded: {response}"
        return response["error"]["code"], response["error"]["message"]

    def hello(self) -> "AcpClient":
        """Send system.hello (mutating calls need it)."""
        self.call("system.hello")
        return self

    def notifications_of(self, method: str) -> list[dict[str, Any]]:
        """Params of the notifications named `method` seen so far."""
        return [message["params"] for message in self.notifications if message["method"] == method]

    def next_notification(self, method: str, timeout: float = 5.0) -> dict[str, Any]:
        """The params of the first notification `method` seen (reading more until `timeout`); it is consumed."""
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self.notifications):
                if message["method"] == method:
                    return self.notifications.pop(index)["params"]
            message = self.recv(timeout=max(deadline - time.monotonic(), 0.01))
            if "method" in message and "id" not in message:
                self.notifications.append(message)

    def close_frame(self) -> tuple[int, str]:
        """Read until the server's close frame; returns (code, reason). Earlier messages go to notifications."""
        while True:
            opcode, data = self.ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return struct.unpack("!H", data[:2])[0], data[2:].decode()
            if opcode == websocket.ABNF.OPCODE_TEXT:
                self.notifications.append(json.loads(data))

    def close(self) -> None:
        """Close the socket."""
        self.ws.close()


def insert_events(db_path: Path, session_id: str, count: int, task_id: str = "t-replay") -> list[int]:
    """Append `count` committed-looking events of `session_id` by SQL; returns their ids in order."""
    with sqlite3.connect(db_path, timeout=10) as conn:
        ids = []
        for index in range(count):
            cursor = conn.execute(
                "INSERT INTO task_events (task_id, session_id, run_id, trace_id, event_type, state_from, state_to, "
                "payload_json, created_at) VALUES (?, ?, '', ?, 'task.enqueued', NULL, 'QUEUED', ?, "
                "'2026-01-01 00:00:00.000000')",
                (task_id, session_id, session_id, json.dumps({"n": index})))
            ids.append(cursor.lastrowid)
    return ids


def port_of(api: Any) -> int:
    """The port of a `running_daemon` (tests.gateway.rest_fixtures.Api)."""
    return api.daemon.boot.listener.getsockname()[1]
