"""Structured output: JSON extraction order, validation of json_object / json_schema, the retry driver,
and agent specs from `schema` / `schema_file`."""

import json

import pytest

from goclaw_actors.brain.structured_output import (
    NO_JSON, NOT_OBJECT, SchemaViolation, StructuredOutputFailed, check_reply, check_response_format,
    extract_json, run_structured, schema_instruction, spec_from_agent, validate)

PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"], "additionalProperties": False}


def schema_format(schema=PERSON, strict=False):
    return {"type": "json_schema", "json_schema": {"name": "p", "schema": schema, "strict": strict}}


@pytest.mark.parametrize("text,value,source", [
    ('{"a": 1}', {"a": 1}, '{"a": 1}'),
    ('  [1, 2, 3]\n', [1, 2, 3], "[1, 2, 3]"),
    ('Here you go:\n```json\n{"a": 1}\n```\nDone.', {"a": 1}, '{"a": 1}'),
    ('```JSON\n{"upper": true}\n```', {"upper": True}, '{"upper": true}'),
    ('```json {"inline": 1}```', {"inline": 1}, '{"inline": 1}'),
    # the ```json block wins over an earlier untagged block
    ('```\n{"first": 1}\n```\n```json\n{"second": 2}\n```', {"second": 2}, '{"second": 2}'),
    # an invalid ```json block falls back to the first fenced block that parses
    ('```json\n{oops}\n```\n```python\nprint(1)\n```\n```\n{"ok": 1}\n```', {"ok": 1}, '{"ok": 1}'),
    # no fence parses: first balanced value in the prose
    ('```js\nconst x = {a: 1}\n```\nresult: {"b": 2} trailing', {"b": 2}, '{"b": 2}'),
    ('The answer is {"x": {"y": [1, {"z": 2}]}} — enjoy', {"x": {"y": [1, {"z": 2}]}}, '{"x": {"y": [1, {"z": 2}]}}'),
    # braces inside strings do not confuse the matcher
    ('Result: {"text": "a } and a { and \\" quote ]"} end', {"text": 'a } and a { and " quote ]'},
     '{"text": "a } and a { and \\" quote ]"}'),
    # an earlier balanced-but-invalid candidate is skipped
    ('use {curly} braces, then {"real": true}', {"real": True}, '{"real": true}'),
    ('see [link](http://x) and [1, 2]', [1, 2], "[1, 2]"),
    # an array that starts before an object
    ('list: [{"a": 1}, {"a": 2}] ok', [{"a": 1}, {"a": 2}], '[{"a": 1}, {"a": 2}]'),
    # an unclosed opener does not hide a later value
    ('oops { never closed, but {"n": 5}', {"n": 5}, '{"n": 5}'),
    ('a stray ] then {"s": "]"}', {"s": "]"}, '{"s": "]"}'),
    ('42', 42, "42"),
    ('"just a string"', "just a string", '"just a string"'),
])
def test_extract_json_finds_the_spec_candidate(text, value, source):
    found = extract_json(text)
    assert found is not None
    assert found.value == value
    assert found.text == source


@pytest.mark.parametrize("text", [
    "", "no json here", "{not: json}", "```json\n{broken\n```", "[1, 2", "{\"a\": 1]",
])
def test_extract_json_returns_none_when_nothing_parses(text):
    assert extract_json(text) is None


def test_json_object_requires_an_object():
    validate({"a": 1}, {"type": "json_object"})
    for value in ([1], "x", 3, None):
        with pytest.raises(SchemaViolation, match=NOT_OBJECT):
            validate(value, {"type": "json_object"})


def test_text_format_and_none_accept_anything():
    validate([1], {"type": "text"})
    validate("x", None)


@pytest.mark.parametrize("value,detail", [
    ({"name": "Ann"}, "$: 'age' is a required property"),
    ({"name": "Ann", "age": "x"}, "$.age: 'x' is not of type 'integer'"),
    ({"name": "Ann", "age": 3, "extra": 1}, "$: Additional properties are not allowed ('extra' was unexpected)"),
    ([], "$: [] is not of type 'object'"),
])
def test_json_schema_violations_name_the_path(value, detail):
    with pytest.raises(SchemaViolation) as caught:
        validate(value, schema_format())
    assert str(caught.value) == detail


def test_json_schema_uses_draft_2020_12():
    schema = {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False}
    validate([1, "a"], schema_format(schema))
    with pytest.raises(SchemaViolation, match=r"\$\[1\]: 2 is not of type 'string'"):
        validate([1, 2], schema_format(schema))
    with pytest.raises(SchemaViolation):
        validate([1, "a", 3], schema_format(schema))


def test_malformed_formats_are_value_errors():
    with pytest.raises(ValueError, match='unsupported response_format type "xml"'):
        validate({}, {"type": "xml"})
    with pytest.raises(ValueError, match="invalid JSON schema"):
        check_response_format(schema_format({"type": "no-such-type"}))
    with pytest.raises(ValueError, match="must be an object"):
        check_response_format({"type": "json_schema", "json_schema": {}})
    check_response_format({"type": "json_object"})


def test_check_reply_reports_missing_json():
    with pytest.raises(SchemaViolation, match=NO_JSON):
        check_reply("I cannot do that", {"type": "json_object"})
    assert check_reply('ok ```json\n{"a": 1}\n```', {"type": "json_object"}).value == {"a": 1}


class ScriptedModel:
    """Answers with the given replies in turn and records the conversations it was sent."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.seen = []

    def __call__(self, messages):
        self.seen.append(list(messages))
        return self.replies.pop(0)


def test_valid_first_reply_stores_the_json_text():
    model = ScriptedModel('Sure!\n```json\n{"name": "Ann", "age": 3}\n```')
    result = run_structured(model, [{"role": "user", "content": "who?"}], schema_format())
    assert (result.reply, result.value, result.valid, result.calls) == \
        ('{"name": "Ann", "age": 3}', {"name": "Ann", "age": 3}, True, 1)


def test_violation_is_re_prompted_with_the_error_detail():
    model = ScriptedModel('{"name": "Ann"}', '{"name": "Ann", "age": 4}')
    messages = [{"role": "user", "content": "who?"}]
    result = run_structured(model, messages, schema_format(), max_retries=2)
    assert result.valid and result.calls == 2 and result.value["age"] == 4
    assert model.seen[1][1:] == [
        {"role": "assistant", "content": '{"name": "Ann"}'},
        {"role": "user", "content": "Your response did not match the required JSON schema. "
                                    "Error: $: 'age' is a required property"}]
    assert messages == [{"role": "user", "content": "who?"}]  # the caller's list is not mutated


def test_non_strict_returns_the_raw_reply_after_the_retries():
    model = ScriptedModel("nope", "still nope", "never")
    result = run_structured(model, [], {"type": "json_object"}, max_retries=2, strict=False)
    assert (result.reply, result.value, result.valid, result.calls, result.error) == \
        ("never", None, False, 3, NO_JSON)


@pytest.mark.parametrize("strict,schema_strict", [(True, False), (False, True)])
def test_strict_mode_or_strict_schema_fails_after_the_retries(strict, schema_strict):
    model = ScriptedModel('{"name": 1}', '{"name": 2}')
    with pytest.raises(StructuredOutputFailed) as caught:
        run_structured(model, [], schema_format(strict=schema_strict), max_retries=1, strict=strict)
    assert caught.value.detail == "$: 'age' is a required property"
    assert len(model.seen) == 2


def test_zero_retries_means_a_single_call():
    model = ScriptedModel("x")
    assert run_structured(model, [], {"type": "json_object"}, max_retries=0).calls == 1


def test_schema_instruction_for_prompt_based_providers():
    assert schema_instruction({"type": "text"}) == ""
    assert "JSON object" in schema_instruction({"type": "json_object"})
    text = schema_instruction(schema_format())
    assert json.loads(text.split("```json\n")[1].split("\n```")[0]) == PERSON


def test_spec_from_agent_with_inline_schema(tmp_path):
    spec = spec_from_agent({"schema": PERSON, "max_retries": 1, "strict_mode": True}, tmp_path)
    assert spec.max_retries == 1 and spec.strict is True
    assert spec.response_format["json_schema"]["schema"] == PERSON
    assert spec.response_format["json_schema"]["strict"] is True
    defaults = spec_from_agent({"schema": json.dumps(PERSON)}, tmp_path)
    assert (defaults.max_retries, defaults.strict) == (2, False)


def test_spec_from_agent_with_schema_file_relative_to_home_or_absolute(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "p.json").write_text(json.dumps(PERSON), encoding="utf-8")
    (tmp_path / "p.yaml").write_text("type: object\nrequired: [x]\n", encoding="utf-8")
    assert spec_from_agent({"schema_file": "schemas/p.json"}, tmp_path).response_format["json_schema"]["schema"] \
        == PERSON
    spec = spec_from_agent({"schema_file": str(tmp_path / "p.yaml")}, "/nonexistent")
    assert spec.response_format["json_schema"]["schema"] == {"type": "object", "required": ["x"]}


def test_spec_from_agent_without_schema_is_none_and_bad_input_is_a_value_error(tmp_path):
    assert spec_from_agent(None, tmp_path) is None
    assert spec_from_agent({"max_retries": 3}, tmp_path) is None
    with pytest.raises(ValueError, match="schema_file"):
        spec_from_agent({"schema_file": "missing.json"}, tmp_path)
    with pytest.raises(ValueError, match="invalid JSON schema"):
        spec_from_agent({"schema": {"type": 5}}, tmp_path)
    with pytest.raises(ValueError, match="max_retries"):
        spec_from_agent({"schema": PERSON, "max_retries": -1}, tmp_path)
    with pytest.raises(ValueError, match="must be a JSON object"):
        spec_from_agent({"schema": "[1, 2]"}, tmp_path)
