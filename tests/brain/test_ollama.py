"""Ollama native provider and tool-capability check against a fake server speaking Ollama's API."""

import pytest

from goclaw_actors.brain.providers.base import (RATE_LIMIT, TIMEOUT, UNKNOWN, ChatRequest, ProviderError, ToolCall,
                                                ToolSpec)
from goclaw_actors.brain.providers.http import Timeouts
from goclaw_actors.brain.providers.ollama import OllamaProvider, OllamaToolSupport
from tests.brain.fake_server import FakeServer, Reply, json_reply, ndjson_reply

WEATHER = ToolSpec("weather", "Weather of a city", {"type": "object", "properties": {"city": {"type": "string"}}})
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}}
HISTORY = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Oslo?"},
    {"role": "assistant", "content": "", "tool_calls": [ToolCall("c1", "weather", {"city": "Oslo"})]},
    {"role": "tool", "tool_call_id": "c1", "content": "-3C"},
]


def done_line(content="", reason="stop", calls=None):
    message = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return {"model": "qwen-test", "created_at": "2025-01-01T00:00:00Z", "message": message, "done": True,
            "done_reason": reason, "prompt_eval_count": 21, "eval_count": 7}


def routed(chat_replies, capabilities=("completion", "tools"), show_status=200, show_delay=0.0):
    """A handler answering /api/show with the capabilities and /api/chat with the queued replies."""
    def handle(seen):
        if seen.path == "/api/show":
            return Reply(show_status, delay=show_delay,
                         body=json_reply({"capabilities": list(capabilities), "model_info": {}}).body)
        return chat_replies.pop(0) if len(chat_replies) > 1 else chat_replies[0]
    return handle


def provider(server, read=5.0, show_timeout=3.0):
    return OllamaProvider("qwen-test", server.url, Timeouts(connect=2, read=read),
                          OllamaToolSupport(server.url, timeout=show_timeout))


def chats(server):
    return [seen for seen in server.seen if seen.path == "/api/chat"]


def shows(server):
    return [seen for seen in server.seen if seen.path == "/api/show"]


def test_plain_reply_request_shape_and_cached_tool_check():
    with FakeServer(handler=routed([json_reply(done_line("Cold."))])) as server:
        chat = provider(server)
        request = ChatRequest(model="qwen-test", messages=HISTORY, tools=[WEATHER],
                              sampling={"temperature": 0.3, "top_p": 0.9, "top_k": 20, "max_tokens": 50, "stop": "X"},
                              response_format={"type": "json_schema", "json_schema": {"schema": SCHEMA}})
        reply = chat.chat(request)
        chat.chat(request)
        assert chat.supports_tools is True
    assert len(shows(server)) == 1 and shows(server)[0].body == {"model": "qwen-test"}
    body = chats(server)[0].body
    assert body["model"] == "qwen-test" and body["stream"] is False and body["format"] == SCHEMA
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "weather",
                                                                          "arguments": {"city": "Oslo"}}}]},
        {"role": "tool", "content": "-3C", "tool_name": "weather"}]
    assert body["tools"][0]["function"]["name"] == "weather"
    assert body["options"] == {"temperature": 0.3, "top_p": 0.9, "top_k": 20, "num_predict": 50, "stop": ["X"]}
    assert reply.content == "Cold." and reply.finish_reason == "stop" and reply.model == "qwen-test"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.reported) == (21, 7, True)


def test_model_without_tools_capability_gets_no_tools():
    with FakeServer(handler=routed([json_reply(done_line("ok"))], capabilities=("completion",))) as server:
        chat = provider(server)
        chat.chat(ChatRequest(model="qwen-test", messages=HISTORY[:2], tools=[WEATHER],
                              response_format={"type": "json_object"}))
        assert chat.supports_tools is False
    assert "tools" not in chats(server)[0].body and chats(server)[0].body["format"] == "json"


def test_failed_tool_checks_say_no_and_are_asked_again():
    with FakeServer(handler=routed([json_reply({})], show_status=404)) as server:
        check = OllamaToolSupport(server.url)
        assert check("missing") is False and check("missing") is False
        assert len(shows(server)) == 2
    with FakeServer(handler=routed([json_reply({})], show_delay=1.0)) as server:
        assert OllamaToolSupport(server.url, timeout=0.2)("slow") is False


def test_tool_calls_in_a_plain_reply():
    calls = [{"function": {"name": "weather", "arguments": {"city": "Rome"}}},
             {"function": {"name": "weather", "arguments": '{"city": "Lima"}'}}]
    with FakeServer(handler=routed([json_reply(done_line("", calls=calls))])) as server:
        reply = provider(server).chat(ChatRequest(model="qwen-test", messages=HISTORY[:2], tools=[WEATHER]))
    assert reply.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("weather", {"city": "Rome"}),
                                                                 ("weather", {"city": "Lima"})]
    assert reply.tool_calls[0].id and reply.tool_calls[0].id != reply.tool_calls[1].id


def test_streamed_ndjson_text_tool_call_and_usage():
    lines = [{"model": "qwen-test", "message": {"role": "assistant", "content": "Hel"}, "done": False},
             {"model": "qwen-test", "message": {"role": "assistant", "content": "lo"}, "done": False},
             {"model": "qwen-test", "message": {"role": "assistant", "content": "", "tool_calls": [
                 {"function": {"name": "weather", "arguments": {"city": "Oslo"}}}]}, "done": False},
             done_line()]
    tokens = []
    with FakeServer(handler=routed([ndjson_reply(lines)])) as server:
        reply = provider(server).chat(ChatRequest(model="qwen-test", messages=HISTORY[:2], tools=[WEATHER],
                                                  stream=True), tokens.append)
    assert chats(server)[0].body["stream"] is True
    assert tokens == ["Hel", "lo"] and reply.content == "Hello" and reply.finish_reason == "tool_calls"
    assert reply.tool_calls[0].arguments == {"city": "Oslo"} and reply.usage.completion_tokens == 7


def failure(reply, stream=False, read=5.0):
    replies = [reply] if isinstance(reply, Reply) else reply
    with FakeServer(handler=routed(replies)) as server:
        with pytest.raises(ProviderError) as info:
            provider(server, read).chat(ChatRequest(model="qwen-test", messages=HISTORY[:2], stream=stream),
                                        lambda token: None)
    return info.value


def test_http_errors_are_classified():
    missing = failure(json_reply({"error": "model 'qwen-test' not found"}, 404))
    assert missing.error_class == UNKNOWN and "not found" in str(missing) and missing.provider == "ollama"
    assert failure([json_reply({"error": "busy"}, 429)] * 2).error_class == RATE_LIMIT
    assert failure(json_reply({"error": "llama runner crashed"}, 500)).status == 500


def test_429_retry_after_then_success():
    limited = json_reply({"error": "busy"}, 429, {"Retry-After": "1"})
    with FakeServer(handler=routed([limited, json_reply(done_line("ok"))])) as server:
        chat = provider(server)
        slept = []
        chat.transport.sleep = slept.append
        assert chat.chat(ChatRequest(model="qwen-test", messages=HISTORY[:2])).content == "ok"
    assert slept == [1.0]


def test_error_line_mid_stream_and_read_timeout():
    error = failure(ndjson_reply([{"message": {"content": "a"}, "done": False}, {"error": "out of memory"}]),
                    stream=True)
    assert "out of memory" in str(error)
    assert failure(Reply(delay=1.0, body=b"{}"), read=0.2).error_class == TIMEOUT


def test_malformed_bodies():
    for bad in (Reply(body=b"nope"), json_reply({"done": True})):
        error = failure(bad)
        assert error.error_class == UNKNOWN and "malformed response" in str(error)
    assert "not JSON" in str(failure(ndjson_reply(["{bad"]), stream=True))
    assert "done: true" in str(failure(ndjson_reply([{"message": {"content": "a"}, "done": False}]), stream=True))
