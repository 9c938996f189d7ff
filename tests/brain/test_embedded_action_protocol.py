"""The JSON action protocol and the embedded provider's request shaping, without loading a model."""

import json

import jsonschema
import pytest

from goclaw_actors.brain.embedded.action_protocol import ActionError, ActionTurn, call_text
from goclaw_actors.brain.embedded.engine import EmbeddedEngine
from goclaw_actors.brain.embedded.provider import EmbeddedProvider, action_turn, engine_messages, structured_schema
from goclaw_actors.brain.providers.base import UNKNOWN, ChatRequest, ProviderError, ToolCall, ToolSpec

WEATHER = ToolSpec("get_weather", "Get the weather.",
                   {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
ADD = ToolSpec("add", "Add numbers.", {"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]})


def valid(instance, schema):
    try:
        jsonschema.validate(instance, schema)
        return True
    except jsonschema.ValidationError:
        return False


def test_typed_schema_allows_each_tool_with_its_arguments_and_a_final_answer():
    schema = ActionTurn([WEATHER, ADD]).schema()
    assert valid({"action": "call_tool", "tool": "get_weather", "arguments": {"city": "Oslo"}}, schema)
    assert valid({"action": "call_tool", "tool": "add", "arguments": {"a": 1}}, schema)
    assert valid({"action": "final", "content": "done"}, schema)
    assert not valid({"action": "call_tool", "tool": "get_weather", "arguments": {}}, schema)
    assert not valid({"action": "call_tool", "tool": "rm", "arguments": {}}, schema)
    assert not valid({"action": "final", "content": "x", "extra": 1}, schema)


def test_untyped_schema_uses_an_enum_of_tool_names():
    schema = ActionTurn([WEATHER, ADD], allow_final=False).schema(typed_arguments=False)
    assert schema["properties"]["tool"] == {"enum": ["get_weather", "add"]}
    assert valid({"action": "call_tool", "tool": "add", "arguments": {"anything": True}}, schema)
    assert not valid({"action": "final", "content": "no"}, schema)


def test_final_content_can_be_constrained_by_a_schema():
    person = {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}
    turn = ActionTurn([WEATHER], final_schema=person)
    assert valid({"action": "final", "content": {"age": 3}}, turn.schema())
    assert not valid({"action": "final", "content": "three"}, turn.schema())
    assert turn.parse('{"action": "final", "content": {"age": 3}}') == '{"age": 3}'
    assert json.dumps(person) in turn.instructions()


def test_parse_maps_actions_to_calls_or_text():
    turn = ActionTurn([WEATHER])
    call = turn.parse('{"action": "call_tool", "tool": "get_weather", "arguments": {"city": "Rome"}}')
    assert isinstance(call, ToolCall) and call.name == "get_weather" and call.arguments == {"city": "Rome"}
    assert call.id.startswith("call_")
    assert turn.parse('{"action": "final", "content": "It is sunny."}') == "It is sunny."
    for bad in ['{"action": "call_tool", "tool": "add", "arguments": {}}', '{"action": "final", "cont',
                '[1]', '{"action": "call_tool", "tool": "get_weather", "arguments": 3}']:
        with pytest.raises(ActionError):
            turn.parse(bad)
    with pytest.raises(ActionError):
        ActionTurn([WEATHER], allow_final=False).parse('{"action": "final", "content": "x"}')


def test_instructions_name_every_tool_and_its_arguments():
    text = ActionTurn([WEATHER, ADD]).instructions()
    assert "- get_weather: Get the weather." in text and '"city"' in text and "- add:" in text
    assert '"action": "final"' in text
    assert "must call a tool" in ActionTurn([ADD], allow_final=False).instructions()


def test_tool_choice_decides_the_turn():
    def turn(choice, tools=(WEATHER, ADD)):
        return action_turn(ChatRequest(model="m", messages=[], tools=list(tools), tool_choice=choice))

    assert turn(None).allow_final and [t.name for t in turn("auto").tools] == ["get_weather", "add"]
    assert turn("none") is None and turn(None, tools=()) is None
    assert not turn("required").allow_final
    named = turn({"type": "function", "function": {"name": "add"}})
    assert [t.name for t in named.tools] == ["add"] and not named.allow_final
    with pytest.raises(ProviderError, match="not offered"):
        turn({"type": "function", "function": {"name": "rm"}})


def test_structured_schema_from_response_format():
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    assert structured_schema(None) is None and structured_schema({"type": "text"}) is None
    assert structured_schema({"type": "json_object"}) == {"type": "object"}
    assert structured_schema({"type": "json_schema", "json_schema": {"name": "n", "schema": schema}}) == schema


def test_engine_messages_merge_systems_and_write_tool_traffic_as_actions():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Previous conversation summary: none"},
        {"role": "user", "content": "weather in Rome and Oslo?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "name": "get_weather", "arguments": {"city": "Rome"}},
            {"id": "c2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "c2", "name": "get_weather", "content": "rain"},
        {"role": "assistant", "content": "Rome sunny, Oslo rain."},
        {"role": "user", "content": [{"type": "text", "text": "thanks"}]},
    ]
    turn = ActionTurn([WEATHER])
    out = engine_messages(messages, turn)
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert out[0]["content"].startswith("Be brief.\n\nPrevious conversation summary: none\n\nReply with exactly one")
    assert out[2]["content"] == (call_text("get_weather", {"city": "Rome"}) + "\n"
                                 + call_text("get_weather", {"city": "Oslo"}))
    assert out[3]["content"] == "Result of tool get_weather:\nsunny\n\nResult of tool get_weather:\nrain"
    assert json.loads(out[4]["content"]) == {"action": "final", "content": "Rome sunny, Oslo rain."}
    assert out[5]["content"] == "thanks"
    plain = engine_messages(messages, None)
    assert plain[4]["content"] == "Rome sunny, Oslo rain." and "Reply with exactly one" not in plain[0]["content"]


def test_unavailable_model_is_a_provider_error_without_loading(tmp_path):
    engine = EmbeddedEngine("absent.gguf", tmp_path)  # a name in models/ that is not there
    provider = EmbeddedProvider(engine)
    with pytest.raises(ProviderError, match="embedded model unavailable") as caught:
        provider.chat(ChatRequest(model=provider.model, messages=[{"role": "user", "content": "hi"}]))
    assert caught.value.error_class == UNKNOWN and caught.value.provider == "embedded"
    assert not engine.loaded
    # The engine is free again for the next request.
    with pytest.raises(ProviderError):
        provider.chat(ChatRequest(model=provider.model, messages=[{"role": "user", "content": "hi"}], stream=True),
                      on_token=lambda token: None)
