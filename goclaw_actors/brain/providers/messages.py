"""Helpers every provider translation shares: system text, tool calls of a message, argument parsing."""

import json
import uuid
from typing import Any

from goclaw_actors.brain.providers.base import ToolCall


def system_text(messages: list[dict[str, Any]]) -> str:
    """The system messages' contents joined by blank lines (for APIs that take the system prompt apart)."""
    return "\n\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "system"
                       and m.get("content"))


def message_tool_calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The `tool_calls` of an internal assistant message as dicts {id, name, arguments, extra?}."""
    calls = []
    for call in message.get("tool_calls") or []:
        calls.append(call.as_message_dict() if isinstance(call, ToolCall) else dict(call))
    return calls


def arguments_text(call: dict[str, Any]) -> str:
    """The call's arguments as the JSON text the model produced (its raw text when that was not an object)."""
    raw = (call.get("extra") or {}).get("raw_arguments")
    return raw if raw is not None else json.dumps(call.get("arguments") or {})


def tool_call_from_text(call_id: str, name: str, text: str) -> ToolCall:
    """A ToolCall from JSON argument text; text that is not a JSON object is kept in extra.raw_arguments."""
    try:
        arguments = json.loads(text) if text.strip() else {}
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict):
        return ToolCall(call_id or new_call_id(), name, {}, {"raw_arguments": text})
    return ToolCall(call_id or new_call_id(), name, arguments)


def new_call_id() -> str:
    """A fresh tool-call id for providers that do not assign one."""
    return "call_" + uuid.uuid4().hex[:24]
