"""One ACP WebSocket to the daemon (JSON-RPC 2.0 over /ws, SPEC §9.3), built on websocket-client.

    sock = AcpSocket("ws://127.0.0.1:18789/ws", token, on_notification=print)
    sock.call("system.hello")
    sock.call("agent.list")["agents"]

A reader green thread hands each response to its caller and each notification to `on_notification`
(method, params); calls may come from several green threads at once.
"""

import itertools
import json
from typing import Any, Callable

import gevent
import gevent.event
import gevent.lock
import websocket

CONNECT_TIMEOUT_SECONDS = 5.0
CALL_TIMEOUT_SECONDS = 30.0
MAX_FRAME_BYTES = 32 * 1024  # the daemon closes the socket on a larger frame

Notify = Callable[[str, dict[str, Any]], None]


class AcpError(Exception):
    """An error answer from the daemon (`code`, `message`), or the socket's loss (code 0)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class AcpSocket:
    """A connected ACP socket; `closed` once the daemon or `close()` ended it."""

    def __init__(self, url: str, token: str, on_notification: Notify | None = None,
                 timeout: float = CONNECT_TIMEOUT_SECONDS):
        try:
            self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True,
                                                  header=[f"Authorization: Bearer {token}"])
        except (OSError, websocket.WebSocketException) as exc:
            raise AcpError(0, f"cannot open {url}: {exc}") from exc
        self.ws.settimeout(None)
        self.on_notification = on_notification
        self.closed = False
        self._ids = itertools.count(1)
        self._waiting: dict[int, gevent.event.AsyncResult] = {}
        self._sending = gevent.lock.Semaphore()
        self._reader = gevent.spawn(self._read_loop)

    def call(self, method: str, params: dict[str, Any] | None = None,
             timeout: float | None = CALL_TIMEOUT_SECONDS) -> Any:
        """Send a request and wait for its result (None: no time limit); raises AcpError."""
        request_id = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        text = json.dumps(message, ensure_ascii=False)
        if len(text.encode("utf-8")) > MAX_FRAME_BYTES:
            raise AcpError(1000, f"message too long ({len(text.encode('utf-8'))} bytes; the limit is {MAX_FRAME_BYTES})")
        waiter = self._waiting[request_id] = gevent.event.AsyncResult()
        try:
            with self._sending:
                if self.closed:
                    raise AcpError(0, "connection to the daemon closed")
                try:
                    self.ws.send(text)
                except (OSError, websocket.WebSocketException) as exc:
                    self._end()
                    raise AcpError(0, f"connection to the daemon lost: {exc}") from exc
            try:
                response = waiter.get(timeout=timeout)
            except gevent.Timeout:
                raise AcpError(0, f"{method}: no answer within {timeout:g}s") from None
        finally:
            self._waiting.pop(request_id, None)
        if "error" in response:
            error = response["error"] or {}
            raise AcpError(int(error.get("code", 0)), str(error.get("message", "error")))
        return response.get("result")

    def close(self) -> None:
        """Close the socket (pending calls fail with AcpError)."""
        if not self.closed:
            try:
                self.ws.close()
            except (OSError, websocket.WebSocketException):
                pass
        self._end()

    def _read_loop(self) -> None:
        try:
            while True:
                raw = self.ws.recv()
                if not raw:
                    return
                message = json.loads(raw)
                if "method" in message and "id" not in message:
                    if self.on_notification is not None:
                        self.on_notification(message["method"], message.get("params") or {})
                    continue
                waiter = self._waiting.get(message.get("id"))
                if waiter is not None:
                    waiter.set(message)
        except (OSError, ValueError, websocket.WebSocketException):
            return
        finally:
            self._end()

    def _end(self) -> None:
        self.closed = True
        for waiter in list(self._waiting.values()):
            if not waiter.ready():
                waiter.set({"error": {"code": 0, "message": "connection to the daemon closed"}})
