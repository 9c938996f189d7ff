"""The turn pipeline and tool loop against a scripted model (a stand-in LLM, not our code)."""

import json

import pytest

from goclaw_actors.brain.providers.base import (UNKNOWN, ChatResponse, ProviderError, ToolCall, ToolSpec,
                                                Usage)
from goclaw_actors.brain.tools import Tool, ToolRegistry
from goclaw_actors.brain.turn import BrainError, BrainProcessor, TurnDeps
from goclaw_actors.store.task_row import TaskRow


def make_task(content="hi", **payload):
    return TaskRow("t1", "s1", "default", "chat", "RUNNING", 0, 0, 3, {"content": content, **payload}, None, None,
                   "lease", None, "run1", None, "", "", "", None, None, 0, False, None)


class ScriptedModel:
    """Answers each call with the next scripted response; records the requests."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests = []

    def __call__(self, request, on_token):
        self.requests.append(request)
        response = self.responses.pop(0)
        if isinstance(response, Exception):
            raise response
        if on_token and response.content:
            for word in response.content.split(" "):
                on_token(word + " ")
        return response


ECHO = Tool(ToolSpec("echo", "echo text", {"type": "object", "properties": {"text": {"type": "string"}},
                                            "required": ["text"]}), "tools.read_url",
            lambda args, ctx: f"echoed {args['text']}")


def processor(model, history=None, tools=(), allowed=("tools.read_url",), audit=None, **kw):
    deps = TurnDeps(model="m", provider_name="fake", call_model=model,
                    history=lambda session, agent: list(history if history is not None
                                                        else [{"role": "user", "content": "hi"}]),
                    system_prompt=lambda task: "You are a test.", tools=ToolRegistry(list(tools)),
                    allows=lambda cap: cap in allowed,
                    audit=audit or (lambda task, decision, cap, reason: None), **kw)
    return BrainProcessor(deps)


def test_plain_reply_with_reported_usage_and_no_duplicate_user_turn():
    model = ScriptedModel(ChatResponse("hello there", usage=Usage(12, 3, reported=True)))
    result = processor(model).process(make_task(), lambda chunk: None)
    assert result["reply"] == "hello there"
    assert result["_usage"]["prompt_tokens"] == 12 and result["_usage"]["completion_tokens"] == 3
    roles = [m["role"] for m in model.requests[0].messages]
    assert roles == ["system", "user"]


def test_usage_is_estimated_when_not_reported_and_user_turn_added_when_missing():
    model = ScriptedModel(ChatResponse("four words of reply"))
    result = processor(model, history=[]).process(make_task("a question"), lambda chunk: None)
    assert result["_usage"]["completion_tokens"] > 0
    assert model.requests[0].messages[-1] == {"role": "user", "content": "a question"}


def test_streaming_emits_tokens():
    chunks = []
    model = ScriptedModel(ChatResponse("one two"))
    processor(model).process(make_task(stream=True), chunks.append)
    assert "".join(c["token"] for c in chunks if c["type"] == "token").strip() == "one two"


def test_tool_round_trip_emits_audits_and_feeds_the_result_back():
    audits, chunks = [], []
    model = ScriptedModel(ChatResponse(tool_calls=[ToolCall("c1", "echo", {"text": "x"})]), ChatResponse("done"))
    result = processor(model, tools=[ECHO], audit=lambda task, *a: audits.append(a)).process(make_task(),
                                                                                             chunks.append)
    assert result["reply"] == "done"
    assert {"type": "tool_call", "tool_name": "echo"} in chunks
    assert audits == [("allow", "tools.read_url", "tool_call")]
    tool_message = model.requests[1].messages[-1]
    assert tool_message["role"] == "tool" and tool_message["content"] == "echoed x"


@pytest.mark.parametrize("call,allowed,expected", [
    (ToolCall("c1", "echo", {"text": "x"}), (), 'error: policy denied capability "tools.read_url"'),
    (ToolCall("c1", "echo", {"wrong": 1}), ("tools.read_url",), "error: invalid arguments for echo"),
    (ToolCall("c1", "nope", {}), ("tools.read_url",), "error: unknown tool: nope"),
])
def test_tool_errors_go_back_to_the_model(call, allowed, expected):
    audits = []
    model = ScriptedModel(ChatResponse(tool_calls=[call]), ChatResponse("ok"))
    processor(model, tools=[ECHO], allowed=allowed, audit=lambda task, *a: audits.append(a)).process(
        make_task(), lambda chunk: None)
    assert model.requests[1].messages[-1]["content"].startswith(expected)
    if not allowed:
        assert audits == [("deny", "tools.read_url", "missing_capability")]


def test_tool_rounds_are_bounded_then_a_final_answer_without_tools():
    looping = [ChatResponse(tool_calls=[ToolCall(f"c{i}", "echo", {"text": "x"})]) for i in range(3)]
    model = ScriptedModel(*looping, ChatResponse("final"))
    result = processor(model, tools=[ECHO], max_tool_turns=3).process(make_task(), lambda chunk: None)
    assert result["reply"] == "final" and len(model.requests) == 4
    assert model.requests[-1].tools == [] and model.requests[0].tools


def test_client_tool_call_ends_the_turn_with_tool_calls():
    client_tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    model = ScriptedModel(ChatResponse(tool_calls=[ToolCall("call_1", "get_weather", {"city": "Oslo"})]))
    result = processor(model).process(make_task(client_tools=client_tools), lambda chunk: None)
    assert result["tool_calls"] == [{"id": "call_1", "type": "function",
                                     "function": {"name": "get_weather", "arguments": json.dumps({"city": "Oslo"})}}]
    assert [spec.name for spec in model.requests[0].tools] == ["get_weather"]


def test_client_tools_come_first_and_shadow_the_agents_tools_of_the_same_name():
    client_tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
                    {"type": "function", "function": {"name": "echo", "description": "the client's own echo",
                                                      "parameters": {"type": "object"}}}]
    weather = Tool(ToolSpec("weather_station", "agent tool", {"type": "object"}), "tools.read_url", lambda a, c: "")
    model = ScriptedModel(ChatResponse("ok"))
    processor(model, tools=[ECHO, weather]).process(make_task(client_tools=client_tools), lambda chunk: None)
    tools = model.requests[0].tools
    assert [spec.name for spec in tools] == ["get_weather", "echo", "weather_station"]
    assert tools[1].description == "the client's own echo"


def test_provider_rejecting_tools_is_retried_once_without_them():
    model = ScriptedModel(ProviderError("tools not supported", UNKNOWN, 400), ChatResponse("plain"))
    result = processor(model, tools=[ECHO]).process(make_task(), lambda chunk: None)
    assert result["reply"] == "[Note: tools were unavailable for this response]\n\nplain"
    assert model.requests[1].tools == []


def test_failures_are_prefixed_brain_respond():
    with pytest.raises(BrainError, match="^brain respond: input is empty$"):
        processor(ScriptedModel()).process(make_task("   "), lambda chunk: None)
    with pytest.raises(BrainError, match="^brain respond: rate limited"):
        processor(ScriptedModel(ProviderError("rate limited", "RATE_LIMIT", 429))).process(
            make_task(), lambda chunk: None)


def test_sampling_and_response_format_are_forwarded():
    model = ScriptedModel(ChatResponse("{}"))
    task = make_task(sampling={"temperature": 0.2, "max_tokens": 5, "bogus": 1},
                     response_format={"type": "json_object"})
    processor(model).process(task, lambda chunk: None)
    assert model.requests[0].sampling == {"temperature": 0.2, "max_tokens": 5}
    assert model.requests[0].response_format == {"type": "json_object"}


def test_a_client_tool_result_is_not_sent_again_as_a_user_turn():
    history = [{"role": "user", "content": "weather?"},
               {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "w", "arguments": {}}]},
               {"role": "tool", "tool_call_id": "c1", "content": "-3C"}]
    model = ScriptedModel(ChatResponse("It is -3C"))
    processor(model, history=history).process(make_task("-3C"), lambda chunk: None)
    assert [m["role"] for m in model.requests[0].messages] == ["system", "user", "assistant", "tool"]


def test_stored_openai_shaped_tool_calls_are_read_in_the_brain_shape():
    from goclaw_actors.brain.history_reads import internal_tool_call
    call = {"id": "c1", "type": "function", "function": {"name": "w", "arguments": '{"city": "Oslo"}'}}
    assert internal_tool_call(call) == {"id": "c1", "name": "w", "arguments": {"city": "Oslo"}}
    assert internal_tool_call({"id": "c2", "name": "w", "arguments": {}}) == {"id": "c2", "name": "w", "arguments": {}}
