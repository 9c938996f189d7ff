"""Anthropic Messages provider against a fake server speaking the real wire format."""

import pytest

from goclaw_actors.brain.providers.anthropic_messages import AnthropicProvider
from goclaw_actors.brain.providers.base import (AUTH, CONTEXT_OVERFLOW, RATE_LIMIT, TIMEOUT, UNKNOWN, ChatRequest,
                                                ProviderError, ToolCall, ToolSpec)
from goclaw_actors.brain.providers.http import Timeouts
from tests.brain.fake_server import FakeServer, Reply, json_reply, sse_reply

KEY = "sk-ant-api03-0123456789abcdefghij"
WEATHER = ToolSpec("weather", "Weather of a city", {"type": "object", "properties": {"city": {"type": "string"}}})
HISTORY = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Oslo and Rome?"},
    {"role": "assistant", "content": "Checking.", "tool_calls": [ToolCall("tu_1", "weather", {"city": "Oslo"}),
                                                                  ToolCall("tu_2", "weather", {"city": "Rome"})]},
    {"role": "tool", "tool_call_id": "tu_1", "content": "-3C"},
    {"role": "tool", "tool_call_id": "tu_2", "content": "18C"},
]


def message(content, stop="end_turn"):
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test", "content": content,
            "stop_reason": stop, "usage": {"input_tokens": 20, "output_tokens": 5, "cache_read_input_tokens": 2}}


def provider(server, read=5.0):
    return AnthropicProvider("claude-test", KEY, server.url, Timeouts(connect=2, read=read))


def ask(server, stream=False, tokens=None, read=5.0, **fields):
    request = ChatRequest(model="claude-test", messages=fields.pop("messages", HISTORY[:2]), stream=stream, **fields)
    return provider(server, read).chat(request, tokens.append if tokens is not None else None)


def test_plain_reply_and_request_shape():
    with FakeServer([json_reply(message([{"type": "text", "text": "Cold and mild."}]))]) as server:
        reply = ask(server, messages=HISTORY, tools=[WEATHER], tool_choice="required",
                    sampling={"temperature": 0.5, "top_p": 0.8, "top_k": 7, "stop": "END"})
    seen = server.last
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == KEY and seen.headers["anthropic-version"] == "2023-06-01"
    body = seen.body
    assert body["system"] == "Be brief." and body["model"] == "claude-test" and body["stream"] is False
    assert body["max_tokens"] == 8192
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Oslo and Rome?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Checking."},
                                          {"type": "tool_use", "id": "tu_1", "name": "weather",
                                           "input": {"city": "Oslo"}},
                                          {"type": "tool_use", "id": "tu_2", "name": "weather",
                                           "input": {"city": "Rome"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "-3C"},
                                     {"type": "tool_result", "tool_use_id": "tu_2", "content": "18C"}]}]
    assert body["tools"] == [{"name": "weather", "description": "Weather of a city",
                              "input_schema": WEATHER.parameters}]
    assert body["tool_choice"] == {"type": "any"}
    assert (body["temperature"], body["top_p"], body["top_k"], body["stop_sequences"]) == (0.5, 0.8, 7, ["END"])
    assert reply.content == "Cold and mild." and reply.finish_reason == "stop" and reply.model == "claude-test"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.reported) == (22, 5, True)


def test_tool_use_blocks_in_a_plain_reply():
    content = [{"type": "text", "text": "Let me check."},
               {"type": "tool_use", "id": "tu_9", "name": "weather", "input": {"city": "Lima"}}]
    with FakeServer([json_reply(message(content, "tool_use"))]) as server:
        reply = ask(server, tools=[WEATHER], sampling={"max_tokens": 50})
    assert server.last.body["max_tokens"] == 50
    assert reply.finish_reason == "tool_calls" and reply.content == "Let me check."
    assert reply.tool_calls == [ToolCall("tu_9", "weather", {"city": "Lima"})]


def stream_events(*middle):
    return [{"type": "message_start", "message": {"id": "msg_1", "model": "claude-test", "content": [],
                                                  "usage": {"input_tokens": 12, "output_tokens": 1}}},
            {"type": "ping"}, *middle,
            {"type": "message_stop"}]


def test_streamed_text_and_usage():
    events = stream_events(
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 6}})
    tokens = []
    with FakeServer([sse_reply(events, named=True)]) as server:
        reply = ask(server, stream=True, tokens=tokens)
    assert server.last.body["stream"] is True and server.last.headers["accept"] == "text/event-stream"
    assert tokens == ["Hel", "lo"] and reply.content == "Hello" and reply.finish_reason == "stop"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (12, 6)


def test_streamed_tool_use_with_input_json_deltas():
    events = stream_events(
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "On it."}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": "tu_5", "name": "weather", "input": {}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"ci'}},
        {"type": "content_block_delta", "index": 1,
         "delta": {"type": "input_json_delta", "partial_json": 'ty": "Oslo"}'}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_start", "index": 2,
         "content_block": {"type": "tool_use", "id": "tu_6", "name": "weather", "input": {}}},
        {"type": "content_block_stop", "index": 2},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}})
    tokens = []
    with FakeServer([sse_reply(events, named=True)]) as server:
        reply = ask(server, stream=True, tokens=tokens, tools=[WEATHER])
    assert tokens == ["On it."] and reply.finish_reason == "tool_calls"
    assert reply.tool_calls == [ToolCall("tu_5", "weather", {"city": "Oslo"}), ToolCall("tu_6", "weather", {})]


def failure(reply, stream=False, read=5.0):
    with FakeServer([reply] if isinstance(reply, Reply) else reply) as server:
        with pytest.raises(ProviderError) as info:
            ask(server, stream=stream, tokens=[], read=read)
    return info.value


def api_error(kind, text, status):
    return json_reply({"type": "error", "error": {"type": kind, "message": text}}, status)


def test_http_errors_are_classified_and_redacted():
    auth = failure(api_error("authentication_error", f"invalid x-api-key {KEY}", 401))
    assert auth.error_class == AUTH and auth.provider == "anthropic" and KEY not in str(auth)
    limited = failure([api_error("rate_limit_error", "slow down", 429)] * 2)
    assert limited.error_class == RATE_LIMIT and limited.retry_after is None
    assert failure(api_error("api_error", "Internal server error", 500)).error_class == UNKNOWN
    overflow = failure(api_error("invalid_request_error", "prompt is too long: 250000 tokens > 200000 maximum", 400))
    assert overflow.error_class == CONTEXT_OVERFLOW


def test_429_retry_after_then_success():
    with FakeServer([json_reply({"type": "error", "error": {"type": "rate_limit_error", "message": "x"}}, 429,
                                {"Retry-After": "1"}),
                     json_reply(message([{"type": "text", "text": "ok"}]))]) as server:
        chat = provider(server)
        slept = []
        chat.transport.sleep = slept.append
        reply = chat.chat(ChatRequest(model="claude-test", messages=HISTORY[:2]))
    assert reply.content == "ok" and slept == [1.0]


def test_error_event_mid_stream():
    events = stream_events({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    error = failure(sse_reply(events, named=True), stream=True)
    assert error.error_class == UNKNOWN and "Overloaded (overloaded_error)" in str(error)


def test_read_timeout():
    assert failure(Reply(delay=1.0, body=b"{}"), read=0.2).error_class == TIMEOUT


def test_malformed_bodies():
    for bad in (Reply(body=b"not json"), json_reply({"type": "message"}), json_reply({"content": ["x"]})):
        error = failure(bad)
        assert error.error_class == UNKNOWN and "malformed response" in str(error)
    truncated = stream_events()[:-1]
    assert "before message_stop" in str(failure(sse_reply(truncated, named=True), stream=True))
