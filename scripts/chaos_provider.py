"""The chaos run's model: answers in OpenAI Chat Completions form (plain JSON and SSE), served on 127.0.0.1 by
the test suite's fake provider server (tests/brain/fake_server.py).

A user message that is a JSON script `{"nonce": ..., "calls": [[tool, arguments], ...]}` is answered with
those tool calls; the turn after the tool results, and every other message, gets `reply_for(<content>)`, a
reply the client can predict. Each answer waits a random 0..`max_delay` seconds so that kills land while
tasks are in flight.
"""

import json
import random
import threading
from typing import Any

from tests.brain.fake_server import Reply, Seen, json_reply


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


class ChaosModel:
    """The handler of a tests.brain.fake_server.FakeServer: answers every request as `answer` says, after a
    random 0..`max_delay` seconds, as SSE when the request streams."""

    def __init__(self, max_delay: float = 0.1, seed: int = 0):
        self.max_delay = max_delay
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self, seen: Seen) -> Reply:
        body = seen.body if isinstance(seen.body, dict) else {}
        message = answer(body)
        with self._lock:
            delay = self._random.uniform(0, self.max_delay)
        if body.get("stream"):
            return Reply(chunks=stream_chunks(message), headers={"Content-Type": "text/event-stream"}, delay=delay)
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        reply = json_reply({"id": "chatcmpl-chaos", "object": "chat.completion", "model": "chaos", "usage": _usage(),
                            "choices": [{"index": 0, "message": {"role": "assistant", **message},
                                         "finish_reason": finish}]})
        reply.delay = delay
        return reply
