"""An OpenAI-compatible fake provider for dashboard tests: streams `you said: <last user message>` in
three chunks with pauses (so a running task can be watched), with usage."""

import json

from tests.brain.fake_server import FakeServer, Reply, Seen

KEY = "sk-test-0123456789abcdefghij"


def _chunk(data: dict) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


def streamed_reply(text: str, pause: float) -> Reply:
    """`text` as an OpenAI chat-completions stream in three parts, `pause` seconds apart, then usage."""
    third = max(1, len(text) // 3)
    parts = [text[:third], text[third:2 * third], text[2 * third:]]
    chunks: list[bytes | float] = []
    for part in parts:
        chunks += [_chunk({"object": "chat.completion.chunk", "model": "gpt-test",
                           "choices": [{"index": 0, "delta": {"content": part}, "finish_reason": None}]}), pause]
    chunks.append(_chunk({"object": "chat.completion.chunk", "model": "gpt-test",
                          "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    chunks.append(_chunk({"object": "chat.completion.chunk", "model": "gpt-test", "choices": [],
                          "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}))
    chunks.append(b"data: [DONE]\n\n")
    return Reply(chunks=chunks, headers={"Content-Type": "text/event-stream"})


def echo_provider(pause: float = 0.05) -> FakeServer:
    """A fake server answering every chat with a streamed echo (a plain JSON reply when not streaming)."""
    def answer(seen: Seen) -> Reply:
        last = seen.body["messages"][-1]["content"]
        if seen.body.get("stream"):
            return streamed_reply(f"you said: {last}", pause)
        body = {"id": "c1", "object": "chat.completion", "model": "gpt-test",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": f"you said: {last}"},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}
        return Reply(body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return FakeServer(handler=answer)


def provider_env(server: FakeServer) -> dict[str, str]:
    """Environment that points the daemon's OpenAI provider at `server`."""
    return {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": server.url + "/v1"}
