"""The OpenAI API's plain logic: request parsing and validation, result mapping, chunk framing, SSE events."""

import json
import uuid

import pytest

from goclaw_actors.attempt_failure import AttemptFailure
from goclaw_actors.http.openai_errors import OpenAIError, ended_task_error
from goclaw_actors.http.openai_messages import parse_completion_request, session_for_user
from goclaw_actors.http.openai_results import client_tool_calls, completion_body, usage_of
from goclaw_actors.http.openai_routes import models_list
from goclaw_actors.http.openai_stream import ChunkFramer, completion_frames
from goclaw_actors.http.principal import TOKEN, Principal
from goclaw_actors.http.sse_routes import task_stream_frames
from goclaw_actors.store.sqlite_tasks import TIMEOUT_ERROR, estimate_tokens
from goclaw_actors.store.task_row import TaskRow
from tests.gateway.openai_fixtures import HEL_TOOL_LO_CHOICES

CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}


def task(status="SUCCEEDED", result=None, error=None, content="hello there", prompt=0, completion=0):
    return TaskRow("t1", "s1", "default", "chat", status, 0, 1, 3, {"content": content},
                   json.dumps(result) if result is not None else None, error, None, None, "", None,
                   "", "", "", None, None, 0, False, None, prompt, completion, prompt + completion)


def parse(**body):
    return parse_completion_request(json.dumps(body).encode())


def error_of(body: bytes):
    with pytest.raises(OpenAIError) as info:
        parse_completion_request(body)
    return info.value.status, info.value.body()


def user(text="hi"):
    return {"role": "user", "content": text}


@pytest.mark.parametrize("body, message", [
    (b"{not json", "Invalid JSON"),
    (b"[1, 2]", "Invalid JSON"),
    (b"", "Invalid JSON"),
    (b'{"model": "goclaw-v1"}', "Messages list is empty"),
    (b'{"messages": []}', "Messages list is empty"),
    (json.dumps({"messages": [user(), {"role": "assistant", "content": "x"}]}).encode(),
     "Last message must be from user"),
    (json.dumps({"messages": [{"role": "system", "content": "x"}]}).encode(), "Last message must be from user"),
    (json.dumps({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]})
     .encode(), "Unsupported content part type: image_url"),
])
def test_invalid_requests_are_400_with_the_contract_messages(body, message):
    assert error_of(body) == (400, {"error": {"message": message, "type": "invalid_request_error", "param": None,
                                              "code": None}})


@pytest.mark.parametrize("fields, param, message", [
    ({"temperature": float("nan")}, "temperature", "temperature must be a number between 0 and 2"),
    ({"temperature": 3}, "temperature", "temperature must be a number between 0 and 2"),
    ({"top_p": float("inf")}, "top_p", "top_p must be a number between 0 and 1"),
    ({"max_tokens": 0}, "max_tokens", "max_tokens must be an integer between 1 and 2.14748e+09"),
    ({"max_tokens": 10**400}, "max_tokens", "max_tokens must be an integer between 1 and 2.14748e+09"),
    ({"top_k": "40"}, "top_k", "top_k must be an integer between 0 and 1e+06"),
    ({"stop": [1]}, "stop", "stop must be a string or an array of at most 16 strings"),
    ({"n": 2}, "n", "Only n=1 is supported"),
    ({"stream": "yes"}, "stream", "stream must be a boolean"),
    ({"tools": [{"type": "function", "function": {"name": "bad name!"}}]}, "tools[0].function.name",
     "tools[0].function.name must be 1 to 64 letters, digits, underscores or dashes"),
    ({"tool_choice": "sometimes"}, "tool_choice", "tool_choice must be none, auto, required or a named function"),
    ({"response_format": {"type": "xml"}}, "response_format", 'response_format: unsupported response_format type "xml"'),
    ({"messages": [user(), {"role": "assistant", "content": None, "tool_calls": [{"function": "f"}]}, user()]},
     "messages[1].tool_calls[0].id", "messages[1].tool_calls[0].id must be a non-empty string"),
    ({"messages": [user(), {"role": "assistant", "content": None,
                            "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": {"a": 1}}}]}, user()]},
     "messages[1].tool_calls[0].function.arguments", "messages[1].tool_calls[0].function.arguments must be a JSON string"),
    ({"messages": [user(), {"role": "tool", "content": "42"}]}, "messages[1].tool_call_id",
     "messages[1].tool_call_id must be a non-empty string"),
    ({"messages": [{"role": "oracle", "content": "x"}, user()]}, "messages[0].role", "Unsupported message role: oracle"),
])
def test_bad_parameters_are_400_naming_the_parameter(fields, param, message):
    """Checked at the edge, so nothing malformed reaches a provider (or counts against its breaker)."""
    body = {"messages": [user()], **fields}
    assert error_of(json.dumps(body).encode()) == (400, {"error": {
        "message": message, "type": "invalid_request_error", "param": param, "code": "invalid_value"}})


def test_developer_messages_are_system_messages_and_n_1_is_fine():
    request = parse(messages=[{"role": "developer", "content": "answer in French"}, user()], n=1)
    assert request.messages == [{"role": "system", "content": "answer in French"}, user()]


def test_text_parts_join_with_newlines_and_roles_are_kept():
    request = parse(messages=[
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    ])
    assert request.content == "a\nb"
    assert request.messages == [
        {"role": "system", "content": "be brief"}, {"role": "user", "content": "one\ntwo"},
        {"role": "assistant", "content": "", "tool_calls": [CALL]},
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1"}, {"role": "user", "content": "a\nb"}]


def test_a_tool_answer_may_be_the_last_message():
    request = parse(messages=[user(), {"role": "assistant", "content": None, "tool_calls": [CALL]},
                              {"role": "tool", "content": "sunny", "tool_call_id": "call_1"}])
    assert request.content == "sunny" and request.messages[-1]["role"] == "tool"


def test_agent_comes_from_the_model_and_session_from_the_user():
    request = parse(model="agent:writer", user="alice", messages=[user()])
    assert (request.agent_id, request.model) == ("writer", "agent:writer")
    assert request.session_id == str(uuid.uuid5(uuid.NAMESPACE_URL, "goclaw:user:alice:agent:writer"))
    assert request.session_id == session_for_user("alice", "writer") != session_for_user("alice", "default")
    anonymous = [parse(messages=[user()]) for _ in range(2)]
    assert anonymous[0].agent_id == "default" and anonymous[0].model == "goclaw-v1"
    assert anonymous[0].session_id != anonymous[1].session_id
    assert uuid.UUID(anonymous[0].session_id).version == 4


def test_payload_fields_are_forwarded():
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    request = parse(messages=[user()], temperature=0.2, top_p=0.9, top_k=40, max_tokens=50, stop=["\n"],
                    response_format={"type": "json_object"}, tools=tools, tool_choice="auto", stream=True,
                    stream_options={"include_usage": True})
    assert request.extra == {
        "source": "openai", "sampling": {"temperature": 0.2, "top_p": 0.9, "top_k": 40, "max_tokens": 50,
                                         "stop": ["\n"]},
        "response_format": {"type": "json_object"}, "client_tools": tools, "tool_choice": "auto"}
    assert (request.stream, request.include_usage, request.has_tools) == (True, True, True)
    plain = parse(messages=[user()], max_completion_tokens=7)
    assert plain.extra == {"source": "openai", "sampling": {"max_tokens": 7}}
    assert (plain.stream, plain.include_usage, plain.has_tools) == (False, False, False)


def test_client_tool_calls_are_openai_shaped():
    assert client_tool_calls({"tool_calls": [CALL]}) == [CALL]
    assert client_tool_calls({"tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}) == [
        {"id": "call_0", "type": "function", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]
    assert client_tool_calls({"reply": "x"}) == []


def test_usage_is_the_rows_when_reported_else_estimated():
    assert usage_of(task(prompt=12, completion=5), "whatever") == {
        "prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
    reply = "a reply of six words here"
    assert usage_of(task(), reply) == {"prompt_tokens": estimate_tokens("hello there"),
                                       "completion_tokens": estimate_tokens(reply),
                                       "total_tokens": estimate_tokens("hello there") + estimate_tokens(reply)}


def test_completion_body_with_reply_or_client_tool_calls():
    body = completion_body(task(result={"reply": "hi!"}, prompt=3, completion=2), "agent:default")
    assert body["id"] == "chatcmpl-t1" and body["object"] == "chat.completion" and body["model"] == "agent:default"
    assert body["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "hi!"},
                                "finish_reason": "stop"}]
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    calls = completion_body(task(result={"reply": "", "tool_calls": [CALL]}), "goclaw-v1")["choices"][0]
    assert calls == {"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [CALL]},
                     "finish_reason": "tool_calls"}


def test_the_provider_finish_reason_is_passed_through():
    for kept in ("length", "content_filter", "stop"):
        body = completion_body(task(result={"reply": "cut", "finish_reason": kept}), "goclaw-v1")
        assert body["choices"][0]["finish_reason"] == kept
    assert completion_body(task(result={"reply": "x", "finish_reason": "end_turn"}), "m")["choices"][0][
        "finish_reason"] == "stop"


UPSTREAM_400 = "brain respond: openai: HTTP 400: maximum context length is 8192 tokens (invalid_request_error)"


@pytest.mark.parametrize("status, error, failure, expected", [
    ("DEAD_LETTER", "boom", AttemptFailure(), (500, "server_error", "task_failed", "Task failed: boom", None)),
    ("CANCELED", "aborted", AttemptFailure(), (409, "server_error", "task_canceled", "Task canceled: aborted", None)),
    ("DEAD_LETTER", "brain respond: input blocked by safety filter: x", AttemptFailure("input_blocked"),
     (400, "invalid_request_error", "input_blocked", "Task failed: brain respond: input blocked by safety filter: x",
      None)),
    ("DEAD_LETTER", UPSTREAM_400, AttemptFailure("context_length_exceeded", False),
     (400, "invalid_request_error", "context_length_exceeded", UPSTREAM_400[len("brain respond: "):], None)),
    ("DEAD_LETTER", "brain respond: openai: HTTP 422: bad", AttemptFailure("upstream_invalid_request", False),
     (400, "invalid_request_error", "upstream_invalid_request", "openai: HTTP 422: bad", None)),
    ("DEAD_LETTER", "brain respond: openai: HTTP 429: slow", AttemptFailure("upstream_rate_limited", True, 7.2),
     (429, "rate_limit_error", "upstream_rate_limited", "openai: HTTP 429: slow", "8")),
    ("DEAD_LETTER", "brain respond: openai: HTTP 429: slow", AttemptFailure("upstream_rate_limited"),
     (429, "rate_limit_error", "upstream_rate_limited", "openai: HTTP 429: slow", "1")),
    ("DEAD_LETTER", "brain respond: all providers failed: openai: circuit open", AttemptFailure(
        "provider_unavailable", True, 299.5), (503, "server_error", "provider_unavailable",
                                               "all providers failed: openai: circuit open", "300")),
    ("DEAD_LETTER", "brain respond: openai: HTTP 401: no", AttemptFailure("upstream_authentication_error", False),
     (502, "server_error", "upstream_authentication_error", "openai: HTTP 401: no", None)),
    ("DEAD_LETTER", TIMEOUT_ERROR, AttemptFailure(),
     (504, "server_error", "task_timeout", f"Task failed: {TIMEOUT_ERROR}", None)),
])
def test_a_task_that_ended_without_a_reply_maps_by_its_failure(status, error, failure, expected):
    """SPEC §9.4: the status and code follow the kind of the last attempt's failure."""
    mapped = ended_task_error(task(status, error=error), failure)
    body = mapped.body()["error"]
    assert (mapped.status, body["type"], body["code"], body["message"], mapped.headers.get("Retry-After")) == expected


def frames_of(items, include_usage=False, has_tools=False):
    framer = ChunkFramer("t1", "goclaw-v1", include_usage)
    frames = list(completion_frames(items, framer, has_tools, lambda task: ended_task_error(task, AttemptFailure())))
    assert all(frame.endswith("\n\n") for frame in frames)
    assert frames[-1] == "data: [DONE]\n\n"
    return [frame if frame.startswith(":") else json.loads(frame[len("data: "):]) for frame in frames[:-1]]


def test_stream_frames_content_tools_final_and_usage():
    done = {"type": "done", "task": task(result={"reply": "Hello"}, prompt=4, completion=1)}
    chunks = frames_of([{"type": "token", "token": "Hel"}, {"type": "idle"},
                        {"type": "tool_call", "tool_name": "web_search"}, {"type": "token", "token": "lo"}, done])
    assert chunks[1] == ": ping\n\n"
    chunks = [chunks[0]] + chunks[2:]
    assert {chunk["id"] for chunk in chunks} == {"chatcmpl-t1"}
    assert all(chunk["object"] == "chat.completion.chunk" and chunk["model"] == "goclaw-v1" for chunk in chunks)
    assert [chunk["choices"][0] for chunk in chunks] == HEL_TOOL_LO_CHOICES
    assert "usage" not in chunks[0]
    assert chunks[-1]["usage"] == {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5}


def test_stream_frames_hide_server_tools_when_the_client_brought_tools_and_send_client_calls():
    done = {"type": "done", "task": task(result={"reply": "", "tool_calls": [CALL]})}
    chunks = frames_of([{"type": "tool_call", "tool_name": "web_search"}, done], has_tools=True)
    assert [chunk["choices"][0] for chunk in chunks] == [
        {"index": 0, "delta": {"role": "assistant", "tool_calls": [{"index": 0, **CALL}]}, "finish_reason": None},
        {"index": 0, "delta": {}, "finish_reason": "tool_calls"}]


def test_stream_frames_with_include_usage_and_an_unstreamed_reply():
    chunks = frames_of([{"type": "done", "task": task(result={"reply": "whole reply"})}], include_usage=True)
    assert [chunk["usage"] for chunk in chunks[:-1]] == [None, None]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "whole reply"}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == estimate_tokens("whole reply")


def test_stream_frames_of_a_failed_task_end_with_an_error_event():
    assert frames_of([{"type": "token", "token": "x"}, {"type": "done", "task": task("DEAD_LETTER", error="boom")}],
                     include_usage=True)[1:] == [
        {"error": {"message": "Task failed: boom", "type": "server_error", "param": None, "code": "task_failed"}}]


def test_stream_frames_keep_the_length_finish_reason():
    done = {"type": "done", "task": task(result={"reply": "cut off", "finish_reason": "length"})}
    chunks = frames_of([{"type": "token", "token": "cut off"}, done])
    assert chunks[-1]["choices"] == [{"index": 0, "delta": {}, "finish_reason": "length"}]


def sse_events(items):
    return [frame if frame.startswith(":") else json.loads(frame[len("data: "):])
            for frame in task_stream_frames(items)]


def test_task_stream_events():
    ok = task(result={"reply": "all of it"})
    assert sse_events([{"type": "idle"}, {"type": "done", "task": ok}]) == [
        ": ping\n\n", {"type": "token", "token": "all of it"}, {"type": "done", "status": "SUCCEEDED"}]
    assert sse_events([{"type": "token", "token": "all"}, {"type": "tool_call", "tool_name": "exec"},
                       {"type": "done", "task": ok}]) == [
        {"type": "token", "token": "all"}, {"type": "tool_call", "tool_name": "exec"},
        {"type": "done", "status": "SUCCEEDED"}]
    assert sse_events([{"type": "done", "task": task("CANCELED", error="aborted")}]) == [
        {"type": "error", "error": "aborted"}, {"type": "done", "status": "CANCELED"}]


def test_models_list_follows_the_agent_scope():
    agents = [{"agent_id": "default"}, {"agent_id": "coder"}, {"agent_id": "writer"}]
    ids = [model["id"] for model in models_list(agents, TOKEN)["data"]]
    assert ids == ["goclaw-v1", "agent:default", "agent:coder", "agent:writer"]
    scoped = models_list(agents, Principal("api_key", "k1", frozenset({"writer"})))
    assert scoped == {"object": "list", "data": [
        {"id": "agent:writer", "object": "model", "created": 1677610602, "owned_by": "goclaw"}]}
