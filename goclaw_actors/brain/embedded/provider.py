"""The `embedded` provider (SPEC §4.2, §4.4): chat with the in-process model through EmbeddedEngine.

Tools go through the JSON action protocol (action_protocol.py): each turn is constrained to one
action object and mapped to `ChatResponse.tool_calls` or `content`. Structured output
(`response_format`) is a JSON-schema constraint on the reply (or on the final action's content).
"""

import json
import re
from typing import Any

from goclaw_actors.brain.embedded.action_protocol import ActionError, ActionTurn, call_text, final_text
from goclaw_actors.brain.embedded.engine import Completion, EmbeddedEngine, EngineError
from goclaw_actors.brain.embedded.model_files import ModelUnavailable
from goclaw_actors.brain.providers.base import (CONTEXT_OVERFLOW, SAMPLING_FIELDS, UNKNOWN, ChatRequest, ChatResponse,
                                                OnToken, ProviderError, ToolCall, Usage)
from goclaw_actors.logs.system_log import get_logger

log = get_logger("brain")

NAME = "embedded"
# A final answer found by the action protocol is streamed in pieces of one word plus its spacing.
_WORDS = re.compile(r"\s*\S+\s*|\s+")


class EmbeddedProvider:
    """Provider over the process's shared EmbeddedEngine.

        provider = EmbeddedProvider(engine)
        reply = provider.chat(ChatRequest(model=provider.model, messages=[{"role": "user", "content": "hi"}]))
    """

    name = NAME
    supports_tools = True  # through the JSON action protocol
    native_structured_output = True  # a JSON-schema grammar constrains the reply

    def __init__(self, engine: EmbeddedEngine, model: str | None = None):
        self.engine = engine
        self.model = model or engine.setting

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResponse:
        """One model call; streams text to `on_token` when `request.stream`. Raises ProviderError."""
        turn = action_turn(request)
        stream_to = on_token if request.stream else None
        if turn is None:
            body = self._body(request, None, structured_schema(request.response_format))
            done = self._complete(body, stream_to)
            return self._response(done, content=done.content)
        try:
            done = self._complete(self._body(request, turn, turn.schema(typed_arguments=True)))
        except ProviderError as exc:
            if not isinstance(exc.__cause__, EngineError) or exc.__cause__.kind != "invalid_request_error":
                raise
            # A tool's own argument schema the grammar compiler refuses: fall back to any-object arguments.
            log.warn("embedded tool schema rejected; using untyped tool arguments", error=str(exc))
            done = self._complete(self._body(request, turn, turn.schema(typed_arguments=False)))
        try:
            action = turn.parse(done.content)
        except ActionError as exc:
            raise ProviderError(f"embedded model reply is not a valid action (finish_reason {done.finish_reason}): "
                                f"{exc}", UNKNOWN, provider=NAME) from exc
        if isinstance(action, ToolCall):
            return self._response(done, tool_calls=[action], finish_reason="tool_calls")
        if stream_to is not None:
            for piece in _WORDS.findall(action):
                stream_to(piece)
        return self._response(done, content=action)

    def _response(self, done: Completion, **fields: Any) -> ChatResponse:
        fields.setdefault("finish_reason", done.finish_reason)
        usage = Usage(prompt_tokens=done.prompt_tokens, completion_tokens=done.completion_tokens,
                      reported=done.usage_reported)
        return ChatResponse(usage=usage, model=self.model, provider=NAME, **fields)

    def _body(self, request: ChatRequest, turn: ActionTurn | None, schema: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": engine_messages(request.messages, turn)}
        for field in SAMPLING_FIELDS:
            if request.sampling.get(field) is not None:
                body[field] = request.sampling[field]
        if schema is not None:
            body["json_schema"] = schema
        return body

    def _complete(self, body: dict[str, Any], on_delta: OnToken | None = None) -> Completion:
        try:
            return self.engine.complete(body, on_delta)
        except ModelUnavailable as exc:
            raise ProviderError(f"embedded model unavailable: {exc}", UNKNOWN, provider=NAME) from exc
        except EngineError as exc:
            if exc.kind == "exceed_context_size_error":
                raise ProviderError(f"embedded model context window exceeded: {exc}", CONTEXT_OVERFLOW,
                                    status=exc.status, provider=NAME) from exc
            raise ProviderError(f"embedded model error: {exc}", UNKNOWN, status=exc.status, provider=NAME) from exc


def action_turn(request: ChatRequest) -> ActionTurn | None:
    """What the action protocol allows this turn, from `tools` and `tool_choice`; None for a plain chat
    (no tools, or `tool_choice` "none")."""
    choice = request.tool_choice
    if not request.tools or choice == "none":
        return None
    final_schema = structured_schema(request.response_format)
    if choice in (None, "auto"):
        return ActionTurn(list(request.tools), allow_final=True, final_schema=final_schema)
    if choice in ("required", "any"):
        return ActionTurn(list(request.tools), allow_final=False)
    name = _named_choice(choice)
    chosen = [tool for tool in request.tools if tool.name == name]
    if not chosen:
        raise ProviderError(f"tool_choice names a tool that is not offered: {name!r}", UNKNOWN, status=400,
                            provider=NAME)
    return ActionTurn(chosen, allow_final=False)


def structured_schema(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema that constrains the reply for an OpenAI-shaped `response_format` (None for text)."""
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return {"type": "object"}
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return schema or response_format.get("schema") or {"type": "object"}
    return None


def engine_messages(messages: list[dict[str, Any]], turn: ActionTurn | None) -> list[dict[str, Any]]:
    """Our internal messages in the shape every chat template accepts: one leading system message
    (with the protocol's instructions), earlier tool calls written as actions, tool results as user
    messages, and no two neighbours with the same role."""
    system = [_text(m.get("content")) for m in messages if m.get("role") == "system"]
    if turn is not None:
        system.append(turn.instructions())
    out: list[dict[str, Any]] = []
    if any(system):
        out.append({"role": "system", "content": "\n\n".join(part for part in system if part)})
    tool_names: dict[str, str] = {}
    for message in messages:
        role = message.get("role")
        content = _text(message.get("content"))
        if role == "assistant":
            calls = [_call_name_args(call) for call in message.get("tool_calls") or ()]
            for call_id, name, _ in calls:
                tool_names[call_id] = name
            if calls:
                content = "\n".join(call_text(name, arguments) for _, name, arguments in calls)
            elif turn is not None:
                content = final_text(content)
            _append(out, "assistant", content)
        elif role == "tool":
            name = message.get("name") or tool_names.get(message.get("tool_call_id", ""), "tool")
            _append(out, "user", f"Result of tool {name}:\n{content}")
        elif role == "user":
            _append(out, "user", content)
    return out


def _append(out: list[dict[str, Any]], role: str, content: str) -> None:
    if out and out[-1]["role"] == role:
        out[-1]["content"] += "\n\n" + content
    else:
        out.append({"role": role, "content": content})


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def _call_name_args(call: dict[str, Any]) -> tuple[str, str, Any]:
    """(id, name, arguments) of a call in our shape or OpenAI's (`function.name`, JSON `arguments`)."""
    function = call.get("function") or {}
    name = call.get("name") or function.get("name") or ""
    arguments = call.get("arguments", function.get("arguments", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            pass
    return str(call.get("id", "")), name, arguments


def _named_choice(choice: Any) -> str:
    if isinstance(choice, dict):
        function = choice.get("function")
        if isinstance(function, dict) and function.get("name"):
            return function["name"]
        if choice.get("name"):
            return choice["name"]
    raise ProviderError(f"unsupported tool_choice: {choice!r}", UNKNOWN, status=400, provider=NAME)
