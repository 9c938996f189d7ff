"""OpenAI Chat Completions provider against a fake server speaking the real wire format."""

import pytest

from goclaw_actors.brain.providers.base import (AUTH, CONTEXT_OVERFLOW, RATE_LIMIT, TIMEOUT, UNKNOWN, ChatRequest,
                                                ProviderError, ToolCall, ToolSpec)
from goclaw_actors.brain.providers.http import Timeouts
from goclaw_actors.brain.providers.openai_chat import OpenAIChatProvider
from tests.brain.fake_server import FakeServer, Reply, json_reply, sse_reply

KEY = "sk-test-0123456789abcdefghijklmnop"
WEATHER = ToolSpec("weather", "Weather of a city", {"type": "object", "properties": {"city": {"type": "string"}}})


def completion(content="Hello!", tool_calls=None, finish="stop"):
    message = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}}


def provider(server, name="openai", key=KEY, read=5.0):
    return OpenAIChatProvider(name, "gpt-test", server.url + "/v1", key, Timeouts(connect=2, read=read))


def chunk(delta, finish=None, usage=None):
    data = {"object": "chat.completion.chunk", "model": "gpt-test",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage:
        data = {"object": "chat.completion.chunk", "model": "gpt-test", "choices": [], "usage": usage}
    return data


HISTORY = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Oslo?"},
    {"role": "assistant", "content": "", "tool_calls": [ToolCall("call_1", "weather", {"city": "Oslo"})]},
    {"role": "tool", "tool_call_id": "call_1", "name": "weather", "content": "-3C"},
]


def test_plain_reply_and_request_shape():
    with FakeServer([json_reply(completion())]) as server:
        request = ChatRequest(model="gpt-test", messages=HISTORY, tools=[WEATHER], tool_choice="auto",
                              sampling={"temperature": 0.2, "top_p": 0.9, "top_k": 40, "max_tokens": 99,
                                        "stop": ["END"]},
                              response_format={"type": "json_object"})
        reply = provider(server).chat(request)
    seen = server.last
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    body = seen.body
    assert body["model"] == "gpt-test" and body["stream"] is False and "stream_options" not in body
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][2] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}]}
    assert body["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "-3C"}
    assert body["tools"] == [{"type": "function", "function": {"name": "weather", "description": "Weather of a city",
                                                               "parameters": WEATHER.parameters}}]
    assert body["tool_choice"] == "auto"
    assert body["response_format"] == {"type": "json_object"}
    assert (body["temperature"], body["top_p"], body["stop"], body["max_completion_tokens"]) == (0.2, 0.9, ["END"], 99)
    assert "top_k" not in body and "max_tokens" not in body
    assert reply.content == "Hello!" and reply.finish_reason == "stop" and reply.model == "gpt-test"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.reported) == (11, 3, True)
    assert reply.provider == "openai"


def test_compatible_without_key_sends_no_authorization_and_uses_max_tokens():
    with FakeServer([json_reply(completion())]) as server:
        provider(server, name="openai_compatible", key="").chat(
            ChatRequest(model="m", messages=[{"role": "user", "content": "hi"}], sampling={"max_tokens": 5},
                        tool_choice="weather", tools=[WEATHER]))
    assert "authorization" not in server.last.headers
    assert server.last.body["max_tokens"] == 5
    assert server.last.body["tool_choice"] == {"type": "function", "function": {"name": "weather"}}


def test_tool_calls_in_a_plain_reply():
    calls = [{"id": "call_a", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Rome"}'}},
             {"id": "call_b", "type": "function", "function": {"name": "weather", "arguments": "{not json"}}]
    with FakeServer([json_reply(completion(None, calls, "tool_calls"))]) as server:
        reply = provider(server).chat(ChatRequest(model="gpt-test", messages=HISTORY[:2], tools=[WEATHER]))
    assert reply.content == "" and reply.finish_reason == "tool_calls"
    assert reply.tool_calls[0] == ToolCall("call_a", "weather", {"city": "Rome"})
    assert reply.tool_calls[1].arguments == {} and reply.tool_calls[1].extra == {"raw_arguments": "{not json"}


def test_streamed_text_goes_to_on_token_with_usage():
    events = [chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}), chunk({"content": "lo"}),
              chunk({}, finish="stop"), chunk(None, usage={"prompt_tokens": 4, "completion_tokens": 2})]
    tokens = []
    with FakeServer([sse_reply(events, done=True)]) as server:
        reply = provider(server).chat(ChatRequest(model="gpt-test", messages=HISTORY[:2], stream=True),
                                      tokens.append)
    assert server.last.body["stream"] is True
    assert server.last.body["stream_options"] == {"include_usage": True}
    assert server.last.headers["accept"] == "text/event-stream"
    assert tokens == ["Hel", "lo"] and reply.content == "Hello"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.reported) == (4, 2, True)


def test_streamed_tool_call_deltas_are_assembled_by_index():
    events = [
        chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                               "function": {"name": "weather", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                               "function": {"name": "weather", "arguments": '{"ci'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": 'ty": "Paris"}'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Oslo"}'}}]}),
        chunk({}, finish="tool_calls"),
    ]
    with FakeServer([sse_reply(events, done=True)]) as server:
        reply = provider(server).chat(ChatRequest(model="gpt-test", messages=HISTORY[:2], tools=[WEATHER],
                                                  stream=True), lambda token: None)
    assert reply.finish_reason == "tool_calls"
    assert reply.tool_calls == [ToolCall("call_a", "weather", {"city": "Oslo"}),
                                ToolCall("call_b", "weather", {"city": "Paris"})]


def call_error(reply, **chat):
    with FakeServer([reply] if isinstance(reply, Reply) else reply) as server:
        with pytest.raises(ProviderError) as info:
            provider(server, read=chat.pop("read", 5.0)).chat(
                ChatRequest(model="gpt-test", messages=HISTORY[:2], **chat), lambda token: None)
    return info.value


def test_401_is_auth_and_never_shows_the_key():
    error = call_error(json_reply({"error": {"message": f"Incorrect API key provided: {KEY}",
                                             "type": "invalid_request_error", "code": "invalid_api_key"}}, 401))
    assert error.error_class == AUTH and error.status == 401 and error.provider == "openai"
    assert KEY not in str(error) and "Incorrect API key provided" in str(error)


def test_429_retry_after_is_waited_once():
    limited = json_reply({"error": {"message": "Rate limit reached"}}, 429, {"Retry-After": "2"})
    with FakeServer([limited, json_reply(completion("after wait"))]) as server:
        chat = provider(server)
        slept = []
        chat.transport.sleep = slept.append
        reply = chat.chat(ChatRequest(model="gpt-test", messages=HISTORY[:2]))
    assert reply.content == "after wait" and slept == [2.0] and len(server.seen) == 2


def test_429_twice_is_rate_limit_with_retry_after():
    limited = json_reply({"error": {"message": "Rate limit reached"}}, 429, {"Retry-After": "0"})
    error = call_error([limited, limited])
    assert error.error_class == RATE_LIMIT and error.status == 429 and error.retry_after == 0.0


def test_429_with_a_long_or_dated_retry_after():
    long_wait = json_reply({"error": {"message": "Rate limit reached"}}, 429, {"Retry-After": "120"})
    with FakeServer([long_wait]) as server:
        with pytest.raises(ProviderError) as info:
            provider(server).chat(ChatRequest(model="gpt-test", messages=HISTORY[:2]))
    assert info.value.retry_after == 120.0 and len(server.seen) == 1, "too long to wait in-line: fail over now"
    dated = json_reply({"error": {"message": "later"}}, 429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    with FakeServer([dated, json_reply(completion("ok"))]) as server:
        chat = provider(server)
        slept = []
        chat.transport.sleep = slept.append
        assert chat.chat(ChatRequest(model="gpt-test", messages=HISTORY[:2])).content == "ok"
    assert slept == [0.0], "a date in the past means retry at once"


def test_500_and_context_overflow_are_classified():
    assert call_error(Reply(500, b"upstream exploded")).error_class == UNKNOWN
    overflow = call_error(json_reply({"error": {"message": "This model's maximum context length is 128000 tokens",
                                                "code": "context_length_exceeded"}}, 400))
    assert overflow.error_class == CONTEXT_OVERFLOW and overflow.status == 400


def test_error_object_in_a_200_stream_is_classified():
    error = call_error(sse_reply([{"error": {"code": 429, "message": "Provider returned error"}}]), stream=True)
    assert error.error_class == RATE_LIMIT


def test_read_timeouts_before_and_during_a_stream():
    slow = Reply(delay=1.0, body=b"{}")
    assert call_error(slow, read=0.2).error_class == TIMEOUT
    stalled = sse_reply([chunk({"content": "Hi"})])
    stalled.chunks.append(1.0)
    tokens = []
    with FakeServer([stalled]) as server:
        with pytest.raises(ProviderError) as info:
            provider(server, read=0.2).chat(ChatRequest(model="gpt-test", messages=HISTORY[:2], stream=True),
                                            tokens.append)
    assert info.value.error_class == TIMEOUT and tokens == ["Hi"]


def test_malformed_bodies_are_unknown_with_a_clear_message():
    for bad in (Reply(body=b"<html>oops</html>"), json_reply({"choices": []}), json_reply([1, 2])):
        error = call_error(bad)
        assert error.error_class == UNKNOWN and "malformed response" in str(error)
    assert "not JSON" in str(call_error(sse_reply(["{broken"]), stream=True))
    assert "ended before" in str(call_error(sse_reply([chunk({"content": "x"})]), stream=True))


def test_connection_refused_is_a_provider_error():
    with FakeServer([json_reply({})]) as server:
        chat = provider(server)
    with pytest.raises(ProviderError) as info:
        chat.chat(ChatRequest(model="gpt-test", messages=HISTORY[:2]))
    assert info.value.error_class == UNKNOWN and "request failed" in str(info.value)
