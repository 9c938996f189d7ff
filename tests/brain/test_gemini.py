"""Gemini provider against a fake server speaking the real wire format."""

import pytest

from goclaw_actors.brain.providers.base import (AUTH, CONTEXT_OVERFLOW, RATE_LIMIT, TIMEOUT, UNKNOWN, ChatRequest,
                                                ProviderError, ToolCall, ToolSpec)
from goclaw_actors.brain.providers.gemini import PLACEHOLDER_SIGNATURE, GeminiProvider
from goclaw_actors.brain.providers.http import Timeouts
from tests.brain.fake_server import FakeServer, Reply, json_reply, sse_reply

KEY = "AIzaSyTEST0123456789abcdefghijklmnopqr"
WEATHER = ToolSpec("weather", "Weather of a city", {"type": "object", "properties": {"city": {"type": "string"}},
                                                    "additionalProperties": False})
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
HISTORY = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Oslo?"},
    {"role": "assistant", "content": "", "tool_calls": [
        ToolCall("c1", "weather", {"city": "Oslo"}, {"thought_signature": "sig-abc"}).as_message_dict()]},
    {"role": "tool", "tool_call_id": "c1", "content": "-3C"},
]


def generation(parts, finish="STOP", usage=True):
    data = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
            "modelVersion": "gemini-test-001"}
    if usage:
        data["usageMetadata"] = {"promptTokenCount": 9, "candidatesTokenCount": 4, "thoughtsTokenCount": 2,
                                 "totalTokenCount": 15}
    return data


def ask(server, stream=False, tokens=None, read=5.0, model="gemini-test", **fields):
    request = ChatRequest(model=model, messages=fields.pop("messages", HISTORY[:2]), stream=stream, **fields)
    chat = GeminiProvider(model, KEY, server.url + "/v1beta", Timeouts(connect=2, read=read))
    return chat.chat(request, tokens.append if tokens is not None else None)


def test_plain_reply_and_request_shape():
    with FakeServer([json_reply(generation([{"text": "thinking…", "thought": True}, {"text": "Cold."}]))]) as server:
        reply = ask(server, messages=HISTORY, tools=[WEATHER], tool_choice="auto",
                    sampling={"temperature": 0.1, "top_p": 0.9, "top_k": 5, "max_tokens": 64, "stop": ["END"]},
                    response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}})
    seen = server.last
    assert seen.path == "/v1beta/models/gemini-test:generateContent"
    assert seen.headers["x-goog-api-key"] == KEY and "key=" not in seen.path
    body = seen.body
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Weather in Oslo?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "weather", "args": {"city": "Oslo"}},
                                     "thoughtSignature": "sig-abc"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "weather", "response": {"content": "-3C"}}}]}]
    assert body["tools"] == [{"functionDeclarations": [{"name": "weather", "description": "Weather of a city",
                                                        "parametersJsonSchema": WEATHER.parameters}]}]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert body["generationConfig"] == {"temperature": 0.1, "topP": 0.9, "topK": 5, "maxOutputTokens": 64,
                                        "stopSequences": ["END"], "responseMimeType": "application/json",
                                        "responseJsonSchema": SCHEMA}
    assert reply.content == "Cold." and reply.finish_reason == "stop" and reply.model == "gemini-test-001"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.reported) == (9, 6, True)


def test_gemini_3_gets_a_placeholder_signature_for_unsigned_calls():
    unsigned = [{"role": "user", "content": "hi"},
                {"role": "assistant", "content": "", "tool_calls": [ToolCall("x", "weather", {}).as_message_dict(),
                                                                     ToolCall("y", "weather", {}).as_message_dict()]},
                {"role": "tool", "tool_call_id": "x", "name": "weather", "content": "1"},
                {"role": "tool", "tool_call_id": "y", "name": "weather", "content": "2"}]
    with FakeServer([json_reply(generation([{"text": "ok"}]))]) as server:
        ask(server, model="gemini-3-pro-preview", messages=unsigned, tool_choice="weather", tools=[WEATHER],
            response_format={"type": "json_object"})
    body = server.last.body
    model_parts = body["contents"][1]["parts"]
    assert model_parts[0]["thoughtSignature"] == PLACEHOLDER_SIGNATURE and "thoughtSignature" not in model_parts[1]
    assert len(body["contents"][2]["parts"]) == 2
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["weather"]}}
    assert body["generationConfig"] == {"responseMimeType": "application/json"}


def test_function_calls_keep_their_thought_signature():
    parts = [{"functionCall": {"name": "weather", "args": {"city": "Rome"}}, "thoughtSignature": "sig-1"},
             {"functionCall": {"name": "weather", "args": {"city": "Lima"}}}]
    with FakeServer([json_reply(generation(parts))]) as server:
        reply = ask(server, tools=[WEATHER])
    assert reply.finish_reason == "tool_calls"
    first, second = reply.tool_calls
    assert (first.name, first.arguments, first.extra) == ("weather", {"city": "Rome"}, {"thought_signature": "sig-1"})
    assert (second.arguments, second.extra) == ({"city": "Lima"}, {}) and first.id != second.id


def test_streamed_text_function_call_and_usage():
    events = [generation([{"text": "Hel"}], finish=None, usage=False),
              generation([{"text": "lo"}], finish=None, usage=False),
              generation([{"functionCall": {"name": "weather", "args": {"city": "Oslo"}}, "thoughtSignature": "s"}])]
    tokens = []
    with FakeServer([sse_reply(events)]) as server:
        reply = ask(server, stream=True, tokens=tokens, tools=[WEATHER])
    assert server.last.path == "/v1beta/models/gemini-test:streamGenerateContent?alt=sse"
    assert tokens == ["Hel", "lo"] and reply.content == "Hello"
    assert reply.tool_calls[0].arguments == {"city": "Oslo"} and reply.finish_reason == "tool_calls"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (9, 6)


def failure(reply, stream=False, read=5.0):
    with FakeServer([reply] if isinstance(reply, Reply) else reply) as server:
        with pytest.raises(ProviderError) as info:
            ask(server, stream=stream, tokens=[], read=read)
    return info.value


def api_error(code, status, text):
    return json_reply({"error": {"code": code, "message": text, "status": status}}, code)


def test_http_errors_are_classified_and_redacted():
    bad_key = failure(api_error(400, "INVALID_ARGUMENT", f"API key not valid: {KEY}"))
    assert bad_key.error_class == AUTH and KEY not in str(bad_key) and bad_key.provider == "google"
    assert failure(api_error(401, "UNAUTHENTICATED", "no")).error_class == AUTH
    assert failure([api_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded")] * 2).error_class == RATE_LIMIT
    assert failure(api_error(500, "INTERNAL", "boom")).error_class == UNKNOWN
    overflow = failure(api_error(400, "INVALID_ARGUMENT",
                                 "The input token count (2000000) exceeds the maximum number of tokens allowed"))
    assert overflow.error_class == CONTEXT_OVERFLOW


def test_429_retry_after_then_success():
    with FakeServer([api_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded"), json_reply(generation([{"text": "ok"}]))]
                    ) as server:
        server.replies[0].headers["Retry-After"] = "3"
        chat = GeminiProvider("gemini-test", KEY, server.url, Timeouts(connect=2, read=5))
        slept = []
        chat.transport.sleep = slept.append
        reply = chat.chat(ChatRequest(model="gemini-test", messages=HISTORY[:2]))
    assert reply.content == "ok" and slept == [3.0]


def test_error_in_stream_and_blocked_prompt():
    streamed = failure(sse_reply([{"error": {"code": 503, "message": "The model is overloaded",
                                             "status": "UNAVAILABLE"}}]), stream=True)
    assert streamed.error_class == UNKNOWN and "overloaded" in str(streamed)
    blocked = failure(json_reply({"promptFeedback": {"blockReason": "SAFETY"}}))
    assert "prompt blocked by Gemini: SAFETY" in str(blocked)


def test_read_timeout():
    assert failure(Reply(delay=1.0, body=b"{}"), read=0.2).error_class == TIMEOUT


def test_malformed_bodies():
    for bad in (Reply(body=b"<html>"), json_reply({}), json_reply({"candidates": "nope"})):
        error = failure(bad)
        assert error.error_class == UNKNOWN and "malformed response" in str(error)
    assert "before a finishReason" in str(failure(sse_reply([]), stream=True))
