"""A scripted HTTP server on 127.0.0.1 for provider tests: records every request and answers with the
replies queued for it (JSON, SSE or NDJSON sent chunk by chunk with chunked encoding, or a slow reply)."""

import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from tests.helpers import free_port


@dataclass
class Reply:
    """One scripted answer: status, headers, a body or chunks (chunked encoding), delay before answering."""

    status: int = 200
    body: bytes = b""
    chunks: list[bytes | float | threading.Event] | None = None  # a float pauses that many seconds, an Event
    # holds the rest of the stream until it is set (at most 10 s)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # after the chunks, close the connection without ending the chunked body


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A JSON body."""
    return Reply(status, json.dumps(data).encode(), headers={"Content-Type": "application/json", **(headers or {})})


def sse_reply(events: list[Any], done: bool = False, named: bool = False) -> Reply:
    """An SSE stream, one chunk per event: dicts as `data: <json>` (with `event: <type>` when `named`),
    strings sent verbatim as data; `data: [DONE]` last when `done`."""
    chunks = []
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event)
        prefix = f"event: {event['type']}\n" if named and isinstance(event, dict) else ""
        chunks.append(f"{prefix}data: {data}\n\n".encode())
    if done:
        chunks.append(b"data: [DONE]\n\n")
    return Reply(chunks=chunks, headers={"Content-Type": "text/event-stream"})


def ndjson_reply(lines: list[Any]) -> Reply:
    """An NDJSON stream, one chunk per line (strings sent verbatim)."""
    chunks = [((line if isinstance(line, str) else json.dumps(line)) + "\n").encode() for line in lines]
    return Reply(chunks=chunks, headers={"Content-Type": "application/x-ndjson"})


@dataclass
class Seen:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class _Server(ThreadingHTTPServer):
    """A client that hangs up (a killed daemon, a timeout) is expected here: no traceback for that."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class FakeServer:
    """Serves queued replies in order (the last one repeats), or `handler(seen) -> Reply` when given."""

    def __init__(self, replies: list[Reply] | None = None, handler: Callable[[Seen], Reply] | None = None):
        self.replies = list(replies or [])
        self.handler = handler
        self.seen: list[Seen] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = _Server(("127.0.0.1", self.port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> "FakeServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def last(self) -> Seen:
        """The most recent request."""
        return self.seen[-1]

    def _next_reply(self, seen: Seen) -> Reply:
        if self.handler:
            return self.handler(seen)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                self._record_and_answer("POST", body)

            def do_GET(self) -> None:
                self._record_and_answer("GET", None)

            def _record_and_answer(self, method: str, body: Any) -> None:
                seen = Seen(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                fake.seen.append(seen)
                self._answer(fake._next_reply(seen))

            def _answer(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.chunks is None:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    try:
                        self.wfile.write(reply.body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client gave up waiting (a timeout test)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in reply.chunks:
                        if isinstance(chunk, float):
                            time.sleep(chunk)
                            continue
                        if isinstance(chunk, threading.Event):
                            chunk.wait(10)
                            continue
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    if reply.drop:
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up mid-stream, which some tests do on purpose

        return Handler
