"""The chaos run's model: a fake OpenAI Chat Completions server (plain JSON and SSE) on 127.0.0.1.

A user message that is a JSON script `{"nonce": ..., "calls": [[tool, arguments], ...]}` is answered with
those tool calls; the turn after the tool results, and every other message, gets `reply_for(<content>)`, a
reply the client can predict. Each answer waits a random 0..`max_delay` seconds so that kills land while
tasks are in flight.
"""

import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def reply_for(content: str) -> str:
    """The final reply the fake model gives to a user message (the task's expected result)."""
    try:
        script = json.loads(content)
    except ValueError:
        return f"echo: {content}"
    return f"tools done: {script.get('nonce', '?')}" if isinstance(script, dict) else f"echo: {content}"


def _last_user(messages: list[dict[str, Any]]) -> str:
    user = next((m for m in reversed(messages) if m.get("role") == "user"), {"content": ""})
    content = user.get("content") or ""
    if isinstance(content, list):
        content = "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """The assistant message (content or tool_calls) for one request body."""
    messages = body.get("messages") or []
    content = _last_user(messages)
    if messages and messages[-1].get("role") == "tool":
        return {"content": reply_for(content)}
    try:
        script = json.loads(content)
    except ValueError:
        script = None
    if isinstance(script, dict) and script.get("calls"):
        return {"content": None, "tool_calls": [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(script["calls"])]}
    return {"content": reply_for(content)}


def _usage() -> dict[str, int]:
    return {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: dict[str, int] | None = None) -> bytes:
    body = {"id": "chatcmpl-chaos", "object": "chat.completion.chunk", "model": "chaos",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage:
        body["usage"] = usage
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def stream_chunks(message: dict[str, Any]) -> list[bytes]:
    """The SSE frames of `message` as an OpenAI stream (content in three pieces)."""
    if message.get("tool_calls"):
        calls = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
        return [_chunk({"role": "assistant", "tool_calls": calls}), _chunk({}, "tool_calls", _usage()),
                b"data: [DONE]\n\n"]
    text = message["content"]
    third = max(1, len(text) // 3)
    pieces = [text[:third], text[third:2 * third], text[2 * third:]]
    frames = [_chunk({"role": "assistant", "content": ""})]
    frames += [_chunk({"content": piece}) for piece in pieces if piece]
    return frames + [_chunk({}, "stop", _usage()), b"data: [DONE]\n\n"]


class _QuietServer(ThreadingHTTPServer):
    """Connections reset by a killed daemon are expected: no traceback for them."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class ChaosProvider:
    """The fake model server; `with ChaosProvider(max_delay) as p:` serves at `p.url` (base URL, no /v1)."""

    def __init__(self, port: int, max_delay: float = 0.1, seed: int = 0):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.max_delay = max_delay
        self.requests = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "ChaosProvider":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _delay(self) -> float:
        with self._lock:
            self.requests += 1
            return self._random.uniform(0, self.max_delay)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                time.sleep(provider._delay())
                message = answer(body)
                try:
                    if body.get("stream"):
                        self._stream(stream_chunks(message))
                    else:
                        self._json({"id": "chatcmpl-chaos", "object": "chat.completion", "model": "chaos",
                                    "choices": [{"index": 0, "message": {"role": "assistant", **message},
                                                 "finish_reason": "tool_calls" if message.get("tool_calls")
                                                 else "stop"}], "usage": _usage()})
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the daemon was killed mid-answer

            def _json(self, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, frames: list[bytes]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for frame in frames:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

        return Handler
