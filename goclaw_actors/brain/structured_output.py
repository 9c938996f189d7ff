"""Structured output (SPEC §4.9): find JSON in a model reply, validate it, re-prompt on violations.

    spec = spec_from_agent(agent.extra.get("structured_output"), home)   # or a /v1 response_format
    result = run_structured(call_model, messages, spec.response_format, spec.max_retries, spec.strict)
    result.reply        # the JSON text to store (or the raw reply when not strict and still invalid)

`response_format` is OpenAI-shaped: `{"type": "json_object"}` or
`{"type": "json_schema", "json_schema": {"schema": {...}, "strict": bool}}`; `{"type": "text"}` checks nothing.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

import yaml

DEFAULT_MAX_RETRIES = 2
RETRY_PROMPT = "Your response did not match the required JSON schema. Error: {detail}"
NO_JSON = "no JSON value found in the response"
NOT_OBJECT = "expected a JSON object"
FAILED_PREFIX = "structured output invalid after retries: "

_FENCE = re.compile(r"```([A-Za-z0-9_+-]*)(.*?)```", re.DOTALL)
_CLOSERS = {"{": "}", "[": "]"}


class Extracted(NamedTuple):
    """A JSON value found in a reply and the text it was parsed from."""

    value: Any
    text: str


class SchemaViolation(ValueError):
    """A reply that does not satisfy the response format; the message is the detail told to the model."""


class StructuredOutputFailed(ValueError):
    """Still invalid after every retry in strict mode; fails the attempt."""

    def __init__(self, detail: str):
        super().__init__(FAILED_PREFIX + detail)
        self.detail = detail


@dataclass(frozen=True)
class StructuredSpec:
    """What an agent's `structured_output` asks for: the response format, retries and strictness."""

    response_format: dict[str, Any]
    max_retries: int = DEFAULT_MAX_RETRIES
    strict: bool = False


@dataclass
class StructuredResult:
    """The outcome of `run_structured`: the reply to store, the parsed value (None when invalid) and how
    many model calls it took; `error` holds the last violation when the raw reply was kept."""

    reply: str
    value: Any
    valid: bool
    calls: int
    error: str = ""


def extract_json(text: str) -> Extracted | None:
    """The first fenced ```json block that parses, else the first fenced block that parses, else the first
    balanced `{…}`/`[…]` that parses, else the whole text when it parses; None when nothing does."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    for wanted_json in (True, False):
        for lang, body in blocks:
            if wanted_json and lang != "json":
                continue
            found = _parse(body)
            if found is not None:
                return found
    found = _first_balanced(text)
    return found if found is not None else _parse(text)


def validate(value: Any, response_format: dict[str, Any] | None) -> None:
    """Raise SchemaViolation when `value` does not satisfy `response_format` (None or `text` accept anything)."""
    kind = (response_format or {}).get("type", "text")
    if kind == "text":
        return
    if kind == "json_object":
        if not isinstance(value, dict):
            raise SchemaViolation(NOT_OBJECT)
        return
    if kind == "json_schema":
        from jsonschema.exceptions import best_match  # imported on use: jsonschema slows daemon start-up

        error = best_match(_validator(response_format).iter_errors(value))
        if error is not None:
            raise SchemaViolation(f"{_json_path(error.absolute_path)}: {error.message}")
        return
    raise ValueError(f'unsupported response_format type "{kind}"')


def check_response_format(response_format: dict[str, Any]) -> None:
    """Raise ValueError when a response format is malformed or its schema is not a valid Draft 2020-12 schema."""
    if not isinstance(response_format, dict):
        raise ValueError("response_format must be an object")
    kind = response_format.get("type")
    if kind not in ("text", "json_object", "json_schema"):
        raise ValueError(f'unsupported response_format type "{kind}"')
    if kind == "json_schema":
        _validator(response_format)


def is_strict(response_format: dict[str, Any] | None) -> bool:
    """True for a `json_schema` format with `strict: true`."""
    rf = response_format or {}
    return rf.get("type") == "json_schema" and bool((rf.get("json_schema") or {}).get("strict"))


def check_reply(reply: str, response_format: dict[str, Any] | None) -> Extracted:
    """Extract the JSON of `reply` and validate it; raises SchemaViolation with the detail for the model."""
    found = extract_json(reply)
    if found is None:
        raise SchemaViolation(NO_JSON)
    validate(found.value, response_format)
    return found


def run_structured(call_model: Callable[[list[dict[str, Any]]], str], messages: list[dict[str, Any]],
                   response_format: dict[str, Any], max_retries: int = DEFAULT_MAX_RETRIES,
                   strict: bool = False) -> StructuredResult:
    """Call the model until its reply satisfies `response_format`, re-prompting up to `max_retries` times.

    `call_model(messages) -> reply text`. After the last retry a strict run (or a `json_schema` with
    `strict: true`) raises StructuredOutputFailed; otherwise the raw reply is returned unvalidated.
    """
    strict = strict or is_strict(response_format)
    conversation = list(messages)
    calls = 0
    while True:
        reply = call_model(conversation)
        calls += 1
        try:
            found = check_reply(reply, response_format)
        except SchemaViolation as violation:
            detail = str(violation)
            if calls > max_retries:
                if strict:
                    raise StructuredOutputFailed(detail) from violation
                return StructuredResult(reply=reply, value=None, valid=False, calls=calls, error=detail)
            conversation += [{"role": "assistant", "content": reply},
                             {"role": "user", "content": RETRY_PROMPT.format(detail=detail)}]
            continue
        return StructuredResult(reply=found.text, value=found.value, valid=True, calls=calls)


def schema_instruction(response_format: dict[str, Any] | None) -> str:
    """The system-prompt addition for providers without a native structured mode ('' for text)."""
    kind = (response_format or {}).get("type", "text")
    if kind == "json_object":
        return "Respond with a single JSON object and nothing else."
    if kind == "json_schema":
        schema = json.dumps(_schema_of(response_format), indent=2, sort_keys=True)
        return ("Respond with a single JSON value that matches this JSON schema, and nothing else:\n"
                f"```json\n{schema}\n```")
    return ""


def spec_from_agent(structured_output: dict[str, Any] | None, home: str | Path) -> StructuredSpec | None:
    """The StructuredSpec of an agent's `structured_output{schema|schema_file, max_retries, strict_mode}`;
    None when it names no schema. `schema_file` is relative to GOCLAW_HOME unless absolute; JSON or YAML."""
    config = structured_output or {}
    if not isinstance(config, dict):
        raise ValueError("structured_output must be a mapping")
    schema: Any = config.get("schema")
    if isinstance(schema, str) and schema.strip():
        schema = _load_text(schema, "structured_output.schema")
    if not schema and config.get("schema_file"):
        path = Path(str(config["schema_file"])).expanduser()
        path = path if path.is_absolute() else Path(home) / path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"structured_output.schema_file {path}: {exc.strerror or exc}") from exc
        schema = _load_text(text, f"structured_output.schema_file {path}")
    if not schema:
        return None
    if not isinstance(schema, dict):
        raise ValueError("structured_output schema must be a JSON object")
    max_retries = config.get("max_retries", DEFAULT_MAX_RETRIES)
    if max_retries is None:
        max_retries = DEFAULT_MAX_RETRIES
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError("structured_output.max_retries must be a non-negative integer")
    strict = bool(config.get("strict_mode", False))
    response_format = {"type": "json_schema",
                       "json_schema": {"name": "structured_output", "schema": schema, "strict": strict}}
    check_response_format(response_format)
    return StructuredSpec(response_format=response_format, max_retries=max_retries, strict=strict)


def _validator(response_format: dict[str, Any]) -> Any:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    schema = _schema_of(response_format)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"invalid JSON schema: {exc.message}") from exc
    return Draft202012Validator(schema)


def _schema_of(response_format: dict[str, Any]) -> dict[str, Any]:
    schema = (response_format.get("json_schema") or {}).get("schema")
    if not isinstance(schema, dict):
        raise ValueError("response_format json_schema.schema must be an object")
    return schema


def _json_path(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _load_text(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{where} is neither JSON nor YAML: {exc}") from exc


def _parse(text: str) -> Extracted | None:
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return Extracted(json.loads(stripped), stripped)
    except json.JSONDecodeError:
        return None


def _first_balanced(text: str) -> Extracted | None:
    start = _next_opener(text, 0)
    while start != -1:
        end = _matching_close(text, start)
        if end != -1:
            found = _parse(text[start:end + 1])
            if found is not None:
                return found
        start = _next_opener(text, start + 1)
    return None


def _next_opener(text: str, offset: int) -> int:
    positions = [p for p in (text.find("{", offset), text.find("[", offset)) if p != -1]
    return min(positions) if positions else -1


def _matching_close(text: str, start: int) -> int:
    """Index of the bracket closing the one at `start`, skipping brackets inside JSON strings; -1 if none."""
    stack: list[str] = []
    in_string = escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in _CLOSERS:
            stack.append(_CLOSERS[char])
        elif char in "}]":
            if not stack or stack.pop() != char:
                return -1
            if not stack:
                return index
    return -1
