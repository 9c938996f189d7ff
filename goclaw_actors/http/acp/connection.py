"""One ACP socket: requests are read as they come and answered in order; notifications interleave.

Three kinds of green threads share the socket: the reader (frames ⇒ inbox), the worker (inbox ⇒
dispatch, one request at a time) and pumps (live session events, broadcasts). Every outgoing message
takes the connection's order lock; a response first sends the broadcasts already delivered to this
socket, so e.g. `approval.required` reaches the requester before its `approval.request` response.
"""

import json
from typing import Any, Callable

import gevent
import gevent.event
import gevent.lock
import gevent.queue
from geventwebsocket.exceptions import WebSocketError

from goclaw_actors.http.acp.errors import ConnectionGone
from goclaw_actors.http.context import GatewayContext, Watch
from goclaw_actors.http.principal import Principal
from goclaw_actors.http.websocket import CLOSE_NORMAL
from goclaw_actors.logs.system_log import get_logger

INBOX_SIZE = 64  # requests read ahead of the one being served; beyond that the reader waits (TCP backpressure)

log = get_logger("acp")

Dispatch = Callable[["AcpConnection", str], None]


class AcpConnection:
    """Serves one accepted WebSocket until the peer closes it or a handler closes it with a code."""

    def __init__(self, ws: Any, ctx: GatewayContext, principal: Principal, dispatch: Dispatch,
                 admit: Callable[[], bool] | None = None):
        self.ws = ws
        self.ctx = ctx
        self.principal = principal
        self.admit: Callable[[], bool] = admit or (lambda: True)  # one rate-limit token per request
        self.hello = False  # system.hello seen: mutating calls allowed
        self.origin = "acp"  # the audit reason of changes made through this connection
        self.trace_id: str | None = None  # audit rows of its calls belong to no task
        self._dispatch = dispatch
        self._inbox: gevent.queue.Queue = gevent.queue.Queue(INBOX_SIZE)
        self._order = gevent.lock.Semaphore()
        self._done = gevent.event.Event()
        self._pumps: list[gevent.Greenlet] = []
        self._subscriptions: dict[str, tuple[Watch, gevent.Greenlet | None]] = {}
        self._broadcasts: Watch | None = None

    # --- life -------------------------------------------------------------------------------

    def serve(self) -> None:
        """Block until the socket is done, then stop every green thread and subscription of it."""
        threads = [gevent.spawn(self._read_loop), gevent.spawn(self._work_loop)]
        try:
            self._done.wait()
        finally:
            gevent.killall(threads + self._pumps + [pump for _, pump in self._subscriptions.values() if pump])
            for watch, _ in self._subscriptions.values():
                watch.close()
            if self._broadcasts is not None:
                self._broadcasts.close()
            if not self.ws.closed:
                self.ws.close(CLOSE_NORMAL)

    def close(self, code: int, reason: str) -> None:
        """Close the socket with `code` (after anything already sent) and end the connection."""
        with self._order:
            if not self.ws.closed:
                self.ws.close(code, reason)
        self._done.set()

    def _read_loop(self) -> None:
        try:
            while True:
                message = self.ws.receive()
                if message is None:
                    return
                if not isinstance(message, str):  # the socket caps messages, fragmented or not
                    message = bytes(message).decode("utf-8", "replace")
                self._inbox.put(message)
        except WebSocketError:
            return
        finally:
            self._done.set()

    def _work_loop(self) -> None:
        try:
            while True:
                raw = self._inbox.get()
                if self._broadcasts is None:  # subscribe on the first request: the server never speaks first
                    self._broadcasts = self.ctx.watch_broadcasts()
                    self.spawn(self._pump_broadcasts)
                self._dispatch(self, raw)
        except ConnectionGone:
            pass
        except Exception as exc:
            log.error("acp connection failed", error=repr(exc))
        finally:
            self._done.set()

    # --- sending ----------------------------------------------------------------------------

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification now."""
        with self._order:
            self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def reply(self, document: dict[str, Any]) -> None:
        """Send a response (or error), after the broadcasts already delivered to this socket."""
        with self._order:
            self._send_broadcasts()
            self._send(document)

    def _send(self, document: dict[str, Any]) -> None:
        if self.ws.closed:
            raise ConnectionGone()
        try:
            self.ws.send(json.dumps(document, separators=(",", ":"), ensure_ascii=False))
        except WebSocketError as exc:
            self._done.set()
            raise ConnectionGone() from exc

    def _pump_broadcasts(self) -> None:
        queue = self._broadcasts.queue
        while True:
            queue.peek()  # taken off the queue only under the order lock, see reply()
            with self._order:
                self._send_broadcasts()

    def _send_broadcasts(self) -> None:
        if self._broadcasts is None:
            return
        while True:
            try:
                event = self._broadcasts.queue.get_nowait()
            except gevent.queue.Empty:
                return
            self._send({"jsonrpc": "2.0", "method": event["event_type"], "params": event["params"]})

    # --- background work --------------------------------------------------------------------

    def spawn(self, fn: Callable[..., None], *args: Any) -> gevent.Greenlet:
        """Run `fn(*args)` for as long as the connection lives; a failure ends the connection."""
        pump = gevent.spawn(self._guarded, fn, *args)
        self._pumps.append(pump)
        return pump

    def _guarded(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except ConnectionGone:
            pass
        except Exception as exc:
            log.error("acp notification pump failed", error=repr(exc))
            self._done.set()

    def subscribe(self, key: str, watch: Watch, pump: Callable[..., None] | None = None, *args: Any) -> None:
        """Keep `watch` (and its pump, started now) under `key`, replacing an earlier one."""
        self.unsubscribe(key)
        greenlet = gevent.spawn(self._guarded, pump, *args) if pump is not None else None
        self._subscriptions[key] = (watch, greenlet)

    def unsubscribe(self, key: str) -> None:
        """Stop the subscription under `key`, if any."""
        previous = self._subscriptions.pop(key, None)
        if previous is not None:
            watch, greenlet = previous
            if greenlet is not None:
                greenlet.kill(block=False)
            watch.close()
