"""The official `openai` SDK against the daemon (SPEC §9.4), Prometheus' own parser on /metrics/prometheus
(SPEC §9.8), the queue's timeout (SPEC §3.6) and the circuit breaker against bad requests (SPEC §4.5)."""

import json
import sqlite3

import openai
import pydantic
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from goclaw_actors.store.sqlite_tasks import TIMEOUT_ERROR
from tests.clients.conftest import COOLDOWN_SECONDS, TOKEN, query
from tests.clients.fake_upstream import (CONTEXT_ERROR, CUT_REPLY, HELLO_CHUNKS, HELLO_REPLY, MODEL, PERSON,
                                         RETRY_AFTER, USAGE, WEATHER_REPLY)
from tests.helpers import insert_task, wait_until

pytestmark = pytest.mark.clients

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
PERSON_SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                 "required": ["name", "age"], "additionalProperties": False}


class UserInfo(pydantic.BaseModel):
    name: str
    age: int


@pytest.fixture(scope="module")
def client(daemon):
    """The SDK pointed at the daemon, the three lines a user writes."""
    return openai.OpenAI(base_url=daemon.url + "/v1", api_key=TOKEN)


@pytest.fixture(scope="module")
def once(client):
    """The same client without the SDK's own retries, where a test counts upstream calls per request."""
    return client.with_options(max_retries=0)


def user(text):
    return {"role": "user", "content": text}


def breaker_state(daemon, provider="openai"):
    rows = query(daemon, "SELECT value FROM kv_store WHERE key = ?", f"cb:{provider}")
    return json.loads(rows[0][0]) if rows else {"state": "closed", "failures": 0}


def test_chat_completion_and_models(client, upstream):
    completion = client.chat.completions.create(model="goclaw-v1", messages=[user("hello there")], temperature=0.2)
    choice = completion.choices[0]
    assert (choice.message.role, choice.message.content, choice.finish_reason) == ("assistant", HELLO_REPLY, "stop")
    assert completion.model == "goclaw-v1" and completion.id.startswith("chatcmpl-")
    assert completion.usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"}) == USAGE
    (sent,) = upstream.requests_with("hello there")
    assert sent.body["model"] == MODEL and sent.body["temperature"] == 0.2
    assert [model.id for model in client.models.list()] == [
        "goclaw-v1", "agent:default", "agent:coder", "agent:limited", "agent:slow"]
    coder = client.models.retrieve("agent:coder")
    assert (coder.id, coder.object, coder.owned_by) == ("agent:coder", "model", "goclaw")
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("agent:nope")
    assert info.value.body["code"] == "model_not_found"


def test_stream_helper_accumulates_a_message_that_can_be_sent_back(client, upstream):
    first = [{"role": "developer", "content": "Answer briefly."}, user("hello stream")]
    with client.chat.completions.stream(model="agent:coder", user="ada", messages=first) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert deltas == HELLO_CHUNKS and final.choices[0].finish_reason == "stop"
    assert (message.role, message.content) == ("assistant", HELLO_REPLY)
    again = client.chat.completions.create(model="agent:coder", user="ada",
                                           messages=[*first, message, user("hello once more")])
    assert again.choices[0].message.content == HELLO_REPLY
    (sent,) = upstream.requests_with("hello once more")
    assert [(m["role"], m["content"]) for m in sent.body["messages"][1:]] == [
        ("system", "Answer briefly."), ("user", "hello stream"), ("assistant", HELLO_REPLY),
        ("user", "hello once more")]


def test_client_tools_round_trip_plain_and_streamed(client, upstream):
    question = [user("what is the weather in Paris?")]
    asked = client.chat.completions.create(model="goclaw-v1", messages=question, tools=[WEATHER_TOOL])
    choice = asked.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "call_get_weather", "get_weather", {"city": "Paris"})
    with client.chat.completions.stream(model="goclaw-v1", messages=question, tools=[WEATHER_TOOL]) as stream:
        streamed = stream.get_final_completion().choices[0]
    assert streamed.finish_reason == "tool_calls"
    assert [(c.id, c.function.name, c.function.arguments) for c in streamed.message.tool_calls] == [
        (call.id, call.function.name, call.function.arguments)]
    answer = client.chat.completions.create(model="goclaw-v1", tools=[WEATHER_TOOL], messages=[
        *question, choice.message, {"role": "tool", "tool_call_id": call.id, "content": "21 C, sunny"}])
    assert answer.choices[0].message.content == WEATHER_REPLY
    tool_message = upstream.seen[-1].body["messages"][-1]
    assert tool_message == {"role": "tool", "tool_call_id": "call_get_weather", "content": "21 C, sunny"}


def test_response_format_json_schema_only_the_validated_json_is_answered_and_streamed(client, upstream):
    schema_format = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA, "strict": True}}
    plain = client.chat.completions.create(model="goclaw-v1", messages=[user("json person one")],
                                           response_format=schema_format)
    assert json.loads(plain.choices[0].message.content) == PERSON
    assert upstream.conversation_calls("json person one") == 2, "the first reply lacked age: one re-prompt"
    parsed = client.chat.completions.parse(model="goclaw-v1", messages=[user("json person two")],
                                           response_format=UserInfo)
    assert parsed.choices[0].message.parsed == UserInfo(**PERSON)
    with client.chat.completions.stream(model="goclaw-v1", messages=[user("json person three")],
                                        response_format=UserInfo) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert "".join(deltas) == json.dumps(PERSON) and len(deltas) > 1  # never the rejected first reply
    assert final.choices[0].message.parsed == UserInfo(**PERSON)


def test_finish_reason_length_is_passed_through(client):
    cut = client.chat.completions.create(model="goclaw-v1", messages=[user("cut me off")], max_tokens=5)
    assert (cut.choices[0].message.content, cut.choices[0].finish_reason) == (CUT_REPLY, "length")
    chunks = list(client.chat.completions.create(model="goclaw-v1", messages=[user("cut me off streamed")],
                                                 stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == CUT_REPLY
    assert [c.choices[0].finish_reason for c in chunks][-1] == "length"
    with client.chat.completions.stream(model="goclaw-v1", messages=[user("cut me off helper")]) as stream:
        with pytest.raises(openai.LengthFinishReasonError) as info:  # the helper sees the truncation
            stream.get_final_completion()
    assert info.value.completion.choices[0].message.content == CUT_REPLY


def test_unknown_model_and_bad_token(daemon, client):
    before = query(daemon, "SELECT COUNT(*) FROM tasks")
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="agent:nope", messages=[user("hello nobody")])
    assert info.value.body == {"message": "The model 'agent:nope' does not exist", "type": "not_found_error",
                               "param": None, "code": "model_not_found"}
    assert query(daemon, "SELECT COUNT(*) FROM tasks") == before, "nothing enqueued"
    stranger = openai.OpenAI(base_url=daemon.url + "/v1", api_key="wrong-token")
    with pytest.raises(openai.AuthenticationError) as info:
        stranger.chat.completions.create(model="goclaw-v1", messages=[user("hello")])
    assert info.value.body["code"] == "invalid_api_key"


def test_non_retriable_upstream_errors_cost_one_upstream_call(daemon, client, once, upstream):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="goclaw-v1", messages=[user("overflow please")])
    assert info.value.body["code"] == "context_length_exceeded"
    assert CONTEXT_ERROR["message"] in info.value.body["message"]
    assert upstream.calls("overflow please") == 1
    assert query(daemon, "SELECT status, attempt, last_error_code FROM tasks WHERE payload LIKE ?",
                 "%overflow please%") == [("DEAD_LETTER", 1, "DEAD_LETTER_NON_RETRIABLE")]
    with pytest.raises(openai.InternalServerError) as info:
        once.chat.completions.create(model="goclaw-v1", messages=[user("bad key please")])
    assert (info.value.status_code, info.value.body["code"]) == (502, "upstream_authentication_error")
    assert "Incorrect API key provided" in info.value.body["message"]
    assert upstream.calls("bad key please") == 1


def test_upstream_rate_limit_is_429_then_the_open_circuit_is_503(daemon, once, upstream):
    with pytest.raises(openai.RateLimitError) as info:
        once.chat.completions.create(model="agent:limited", messages=[user("rate limit me")])
    assert info.value.body["code"] == "upstream_rate_limited" and "Rate limit reached" in info.value.body["message"]
    assert info.value.response.headers["Retry-After"] == RETRY_AFTER
    assert upstream.calls("rate limit me") == 3, "retried by the queue, as a transient failure"
    assert breaker_state(daemon, "openai_compatible")["state"] == "open"
    with pytest.raises(openai.InternalServerError) as info:
        once.chat.completions.create(model="agent:limited", messages=[user("hello while open")])
    assert (info.value.status_code, info.value.body["code"]) == (503, "provider_unavailable")
    assert 0 < int(info.value.response.headers["Retry-After"]) <= COOLDOWN_SECONDS
    assert upstream.calls("hello while open") == 0
    assert breaker_state(daemon)["state"] == "closed", "another provider's breaker is untouched"


def test_bad_requests_are_400_and_never_open_the_breaker(daemon, client, upstream):
    """Two bad requests used to open the shared breaker for every agent for 300 s."""
    def post(body):
        return requests.post(daemon.url + "/v1/chat/completions", data=json.dumps(body), timeout=30,
                             headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})

    nan = post({"model": "goclaw-v1", "temperature": float("nan"), "messages": [user("hello nan")]})
    assert nan.status_code == 400 and nan.json()["error"]["param"] == "temperature"
    malformed = post({"model": "goclaw-v1", "messages": [
        user("hi"), {"role": "assistant", "content": None, "tool_calls": [{"function": "oops"}]},
        user("hello malformed")]})
    assert malformed.status_code == 400 and malformed.json()["error"]["param"] == "messages[1].tool_calls[0].id"
    two = post({"model": "goclaw-v1", "n": 2, "messages": [user("hello twice")]})
    assert two.json()["error"] == {"message": "Only n=1 is supported", "type": "invalid_request_error",
                                   "param": "n", "code": "invalid_value"}
    assert [upstream.calls(word) for word in ("hello nan", "hello malformed", "hello twice")] == [0, 0, 0]
    good = client.chat.completions.create(model="goclaw-v1", messages=[user("hello after bad ones")])
    assert good.choices[0].message.content == HELLO_REPLY
    assert breaker_state(daemon) == {**breaker_state(daemon), "state": "closed", "failures": 0}


def test_a_timeout_mid_provider_call_is_the_queues_not_the_providers(daemon, upstream):
    with sqlite3.connect(daemon.db_path, timeout=5) as conn:
        task_id = insert_task(conn, "be slow", agent_id="slow", max_attempts=1)

    def ended():
        rows = query(daemon, "SELECT status, error, last_error_code FROM tasks WHERE id = ?", task_id)
        return rows[0] if rows[0][0] == "DEAD_LETTER" else None

    assert wait_until(ended, timeout=20, what="the slow task to time out") == (
        "DEAD_LETTER", TIMEOUT_ERROR, "DEAD_LETTER_MAX_ATTEMPTS")
    assert upstream.calls("be slow") == 1, "the timeout fired while the provider call was in flight"
    (payload,) = query(daemon, "SELECT payload_json FROM task_events WHERE task_id = ? AND event_type = "
                               "'task.failed'", task_id)[0]
    assert json.loads(payload)["failure"] == {"kind": "task_timeout", "retriable": True, "retry_after": None}
    assert breaker_state(daemon) == {**breaker_state(daemon), "state": "closed", "failures": 0}


def test_prometheus_text_parses_into_distinct_families(daemon, client):
    def families():
        text = requests.get(daemon.url + "/metrics/prometheus", timeout=10,
                            headers={"Authorization": f"Bearer {TOKEN}"}).text
        parsed = list(text_string_to_metric_families(text))
        assert len({family.name for family in parsed}) == len(parsed), "no family shares a name"
        return {family.name: family for family in parsed}

    def sample(family, name, **labels):
        (value,) = [s.value for s in family.samples if s.name == name and s.labels == labels]
        return value

    labels = {"provider": "openai", "model": MODEL}
    before = families()
    client.chat.completions.create(model="goclaw-v1", messages=[user("hello metrics")])
    after = families()
    assert after["goclaw_llm_tokens"].type == "counter" and after["goclaw_llm_request_tokens"].type == "histogram"
    for kind, used in (("prompt", USAGE["prompt_tokens"]), ("completion", USAGE["completion_tokens"])):
        assert sample(after["goclaw_llm_tokens"], "goclaw_llm_tokens_total", kind=kind, **labels) - sample(
            before["goclaw_llm_tokens"], "goclaw_llm_tokens_total", kind=kind, **labels) == used
        count = "goclaw_llm_request_tokens_count"
        assert sample(after["goclaw_llm_request_tokens"], count, kind=kind, **labels) - sample(
            before["goclaw_llm_request_tokens"], count, kind=kind, **labels) == 1
