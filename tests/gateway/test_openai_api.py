"""The OpenAI-compatible API on a real socket, driven with the official `openai` SDK (and raw HTTP for exact bytes)."""

import json
import socket
import uuid

import gevent
import openai
import pytest
import requests

from goclaw_actors.processor import FALLBACK_REPLY, FALLBACK_STREAM_CHUNK
from goclaw_actors.store.sqlite_tasks import estimate_tokens
from tests.gateway.openai_fixtures import AUTH, HEL_TOOL_LO_CHOICES, TOKEN, gateway, script  # noqa: F401  (fixture)
from tests.helpers import wait_until

CALL = {"id": "call_7", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                                           "parameters": {"type": "object",
                                                          "properties": {"city": {"type": "string"}}}}}]


@pytest.fixture
def client(gateway):
    sdk = openai.OpenAI(base_url=gateway.url + "/v1", api_key=TOKEN, max_retries=0, timeout=20)
    yield sdk
    sdk.close()


def user(text):
    return {"role": "user", "content": text}


def task_id_of(completion_id):
    assert completion_id.startswith("chatcmpl-")
    return completion_id[len("chatcmpl-"):]


def history(gateway, session_id, agent_id="default"):
    return gateway.query("SELECT role, content FROM messages WHERE session_id = ? AND agent_id = ? ORDER BY id",
                         session_id, agent_id)


def post(gateway, body, **kwargs):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(gateway.url + "/v1/chat/completions", data=data, timeout=20,
                         headers={**AUTH, "Content-Type": "application/json"}, **kwargs)


def running_task(gateway):
    return wait_until(lambda: (gateway.query("SELECT id FROM tasks WHERE status = 'RUNNING'") or [[None]])[0][0],
                      what="a running task")


def sse_frames(response, text=None):
    """The raw frames of an event stream (`data: …\\n\\n` or a comment), through `data: [DONE]`."""
    assert response.headers["Content-Type"].startswith("text/event-stream")
    text = response.content.decode() if text is None else text
    assert text.endswith("data: [DONE]\n\n")
    return [frame + "\n\n" for frame in text.split("\n\n")[:-1]]


def chunks_of(frames):
    return [json.loads(frame[len("data: "):]) for frame in frames if frame.startswith("data: {")]


def test_chat_answers_through_a_durable_task(gateway, client):
    completion = client.chat.completions.create(
        model="goclaw-v1", user="alice", temperature=0.3, max_tokens=20,
        messages=[{"role": "system", "content": "be brief"}, user("hi")])
    assert completion.object == "chat.completion" and completion.model == "goclaw-v1"
    choice = completion.choices[0]
    assert (choice.index, choice.finish_reason, choice.message.role) == (0, "stop", "assistant")
    assert choice.message.content == FALLBACK_REPLY
    assert completion.usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"}) == {
        "prompt_tokens": estimate_tokens("hi"), "completion_tokens": estimate_tokens(FALLBACK_REPLY),
        "total_tokens": estimate_tokens("hi") + estimate_tokens(FALLBACK_REPLY)}
    task = gateway.task(task_id_of(completion.id))
    assert (task.status, task.agent_id, task.type) == ("SUCCEEDED", "default", "chat")
    assert task.payload == {"content": "hi", "source": "openai", "sampling": {"temperature": 0.3, "max_tokens": 20}}
    assert task.session_id == str(uuid.uuid5(uuid.NAMESPACE_URL, "goclaw:user:alice:agent:default"))
    assert history(gateway, task.session_id) == [("system", "be brief"), ("user", "hi"),
                                                 ("assistant", FALLBACK_REPLY)]


def test_each_request_replaces_the_stored_history(gateway, client):
    first = client.chat.completions.create(model="agent:writer", user="bob", messages=[user("one")])
    second = client.chat.completions.create(model="agent:writer", user="bob", messages=[
        user("one (edited)"), {"role": "assistant", "content": "an answer"}, user("two")])
    assert second.model == "agent:writer"
    tasks = [gateway.task(task_id_of(c.id)) for c in (first, second)]
    assert tasks[0].session_id == tasks[1].session_id and tasks[1].agent_id == "writer"
    assert history(gateway, tasks[1].session_id, "writer") == [
        ("user", "one (edited)"), ("assistant", "an answer"), ("user", "two"), ("assistant", FALLBACK_REPLY)]


def test_stream_frames_on_the_wire(gateway):
    content = script(hold="go", emit=[{"type": "token", "token": "Hel"},
                                      {"type": "tool_call", "tool_name": "web_search"},
                                      {"type": "token", "token": "lo"}],
                     reply="Hello", usage={"prompt_tokens": 9, "completion_tokens": 2})
    response = requests.post(gateway.url + "/v1/chat/completions", stream=True, timeout=20, headers=AUTH,
                             json={"model": "goclaw-v1", "stream": True, "messages": [user(content)]})
    assert response.status_code == 200
    received = ""
    for data in response.iter_content(chunk_size=None, decode_unicode=True):
        received += data
        if received.endswith(": ping\n\n"):  # following the task: let it run
            gateway.processor.gate("go").set()
    frames = [frame for frame in sse_frames(response, received) if frame != ": ping\n\n"]
    assert all(frame.startswith("data: {") for frame in frames[:-1])
    chunks = chunks_of(frames)
    assert len({chunk["id"] for chunk in chunks}) == 1
    task = gateway.task(task_id_of(chunks[0]["id"]))
    assert task.status == "SUCCEEDED" and task.payload["stream"] is True
    assert [chunk["choices"][0] for chunk in chunks] == HEL_TOOL_LO_CHOICES
    assert all("usage" not in chunk for chunk in chunks[:-1])
    assert chunks[-1]["usage"] == {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}
    assert_ran_once(gateway)


def assert_ran_once(gateway):
    assert gateway.query("SELECT COUNT(*) FROM tasks") == [(1,)]
    assert gateway.query("SELECT COUNT(*) FROM task_events WHERE event_type = 'task.running'") == [(1,)]


def test_stream_with_the_sdk_and_include_usage(gateway, client):
    stream = client.chat.completions.create(model="goclaw-v1", messages=[user("hi")], stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == FALLBACK_STREAM_CHUNK
    assert [c.usage for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == (
        estimate_tokens("hi") + estimate_tokens(FALLBACK_STREAM_CHUNK))
    assert_ran_once(gateway)


def test_tools_and_response_format_are_accepted_and_forwarded(gateway, client):
    completion = client.chat.completions.create(
        model="goclaw-v1", messages=[user("weather in Oslo?")], tools=TOOLS, tool_choice="auto",
        response_format={"type": "json_object"})
    assert completion.choices[0].message.content == FALLBACK_REPLY  # the fallback calls no tools
    assert completion.choices[0].finish_reason == "stop"
    payload = gateway.task(task_id_of(completion.id)).payload
    assert (payload["client_tools"], payload["tool_choice"], payload["response_format"]) == (
        TOOLS, "auto", {"type": "json_object"})


def test_client_tool_calls_come_back_as_tool_calls(gateway, client):
    content = script(reply="", tool_calls=[CALL], usage={"prompt_tokens": 30, "completion_tokens": 8})
    completion = client.chat.completions.create(model="goclaw-v1", messages=[user(content)], tools=TOOLS)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert [call.model_dump() for call in choice.message.tool_calls] == [CALL]
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens) == (
        30, 8, 38)
    # the client answers with the tool's output: a `tool` last message is a valid turn
    answer = client.chat.completions.create(model="goclaw-v1", messages=[
        user(content), {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_7", "content": "sunny"}], tools=TOOLS)
    task = gateway.task(task_id_of(answer.id))
    assert task.payload["content"] == "sunny" and answer.choices[0].message.content == FALLBACK_REPLY
    assert history(gateway, task.session_id)[-2:] == [("tool", "sunny"), ("assistant", FALLBACK_REPLY)]


def test_streamed_client_tool_calls_and_hidden_server_tools(gateway, client):
    content = script(hold="go", emit=[{"type": "tool_call", "tool_name": "web_search"}], reply="",
                     tool_calls=[CALL])
    stream = client.chat.completions.create(model="goclaw-v1", messages=[user(content)], tools=TOOLS, stream=True)
    gateway.processor.gate("go").set()  # the headers came with the first ping: the stream is followed
    chunks = list(stream)
    deltas = [call for c in chunks for call in (c.choices[0].delta.tool_calls or [])]
    assert [(d.index, d.id, d.function.name, d.function.arguments) for d in deltas] == [
        (0, "call_7", "get_weather", CALL["function"]["arguments"])]  # no call_web_search: the client has tools
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("body, message", [
    ("{nope", "Invalid JSON"),
    ({"model": "goclaw-v1", "messages": []}, "Messages list is empty"),
    ({"messages": [user("hi"), {"role": "assistant", "content": "x"}]}, "Last message must be from user"),
    ({"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
     "Unsupported content part type: input_audio"),
])
def test_invalid_requests(gateway, body, message):
    response = post(gateway, body)
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": {"message": message, "type": "invalid_request_error", "param": None,
                                         "code": None}}
    assert gateway.query("SELECT COUNT(*) FROM tasks") == [(0,)]


def test_unknown_agent_is_model_not_found_and_writes_nothing(gateway, client):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="agent:nope", messages=[user("hi")])
    assert info.value.body == {"message": "The model 'agent:nope' does not exist", "type": "not_found_error",
                               "param": None, "code": "model_not_found"}
    assert gateway.query("SELECT COUNT(*) FROM tasks") == [(0,)]
    assert gateway.query("SELECT COUNT(*) FROM messages") == [(0,)]


@pytest.mark.parametrize("method, path", [("GET", "/v1/chat/completions"), ("PUT", "/v1/chat/completions"),
                                          ("POST", "/v1/models"), ("DELETE", "/v1/models")])
def test_other_methods_are_405(gateway, method, path):
    for headers in (AUTH, {}):  # the method is checked before the credentials
        response = requests.request(method, gateway.url + path, headers=headers, timeout=10)
        assert response.status_code == 405 and response.headers["Content-Type"] == "application/json"
        assert response.json() == {"error": {"message": f"Method {method} not allowed",
                                             "type": "invalid_request_error", "param": None,
                                             "code": "method_not_allowed"}}


def test_a_saturated_queue_is_429(gateway):
    gateway.enqueue(script(hold="writer"), agent_id="writer")
    running_task(gateway)
    gateway.enqueue("queued", agent_id="writer")  # the writer's max_queue_depth is 1
    response = post(gateway, {"model": "agent:writer", "messages": [user("one more")]})
    assert response.status_code == 429
    assert response.json() == {"error": {"message": "queue saturated; retry later", "type": "rate_limit_error",
                                         "param": None, "code": "queue_saturated"}}
    assert gateway.query("SELECT COUNT(*) FROM tasks") == [(2,)]


def test_a_canceled_task_is_409_task_canceled(gateway):
    waiting = gevent.spawn(post, gateway, {"messages": [user(script(hold="never"))]})
    gateway.ctx.store.tasks.cancel(task_id=running_task(gateway))
    response = waiting.get(timeout=20)
    assert response.status_code == 409
    assert response.json() == {"error": {"message": "Task canceled: aborted", "type": "server_error", "param": None,
                                         "code": "task_canceled"}}


def test_a_stream_whose_task_fails_ends_with_an_error_event(gateway):
    waiting = gevent.spawn(post, gateway, {"stream": True, "messages": [user(script(hold="never"))]})
    gateway.ctx.store.tasks.cancel(task_id=running_task(gateway))
    frames = sse_frames(waiting.get(timeout=20))
    assert frames[-2:] == [
        'data: {"error":{"message":"Task canceled: aborted","type":"server_error","param":null,'
        '"code":"task_canceled"}}\n\n', "data: [DONE]\n\n"]


def test_an_idle_stream_is_pinged(gateway):
    response = requests.post(gateway.url + "/v1/chat/completions", stream=True, timeout=20, headers=AUTH,
                             json={"stream": True, "messages": [user(script(hold="go", reply="done"))]})
    lines = response.iter_lines(decode_unicode=True)
    assert wait_until(lambda: next(lines) == ": ping", what="a ping")
    gateway.processor.gate("go").set()
    rest = [line for line in lines if line and line != ": ping"]
    assert rest[-1] == "data: [DONE]" and '"content":"done"' in rest[0]


def raw_request(gateway, body):
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", gateway.daemon.boot.listener.getsockname()[1]), timeout=20)
    sock.sendall((f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data)
    return sock


def test_a_client_that_leaves_gets_504_and_its_task_runs_once(gateway):
    sock = raw_request(gateway, {"messages": [user(script(hold="later", reply="finished"))]})
    task_id = running_task(gateway)
    sock.shutdown(socket.SHUT_WR)  # the client is done: the server sees EOF while it waits
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    sock.close()
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 504")
    assert json.loads(body) == {"error": {"message": "Client disconnected before the task finished",
                                          "type": "server_error", "param": None, "code": "client_disconnected"}}
    assert gateway.task(task_id).status == "RUNNING"  # left running
    gateway.processor.gate("later").set()
    wait_until(lambda: gateway.task(task_id).status == "SUCCEEDED", what="the task to finish")
    assert_ran_once(gateway)


def test_a_client_that_drops_the_connection_loses_nothing(gateway):
    sock = raw_request(gateway, {"user": "carol", "messages": [user(script(hold="later", reply="kept"))]})
    task_id = running_task(gateway)
    sock.close()
    gateway.processor.gate("later").set()
    wait_until(lambda: gateway.task(task_id).status == "SUCCEEDED", what="the task to finish")
    assert_ran_once(gateway)
    assert [role for role, _ in history(gateway, gateway.task(task_id).session_id)] == ["user", "assistant"]


def test_models_lists_every_agent_in_order(gateway, client):
    models = client.models.list()
    assert [m.id for m in models.data] == ["goclaw-v1", "agent:default", "agent:coder", "agent:writer"]
    assert {(m.object, m.created, m.owned_by) for m in models.data} == {("model", 1677610602, "goclaw")}
    raw = requests.get(gateway.url + "/v1/models", headers=AUTH, timeout=10).json()
    assert raw["object"] == "list" and raw["data"][0] == {"id": "goclaw-v1", "object": "model",
                                                          "created": 1677610602, "owned_by": "goclaw"}
