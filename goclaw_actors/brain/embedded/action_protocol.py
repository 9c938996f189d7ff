"""The JSON action protocol for models without native tool calling (SPEC §4.7).

Each model turn is constrained (JSON schema turned into a grammar by llama.cpp) to one object:
`{"action": "call_tool", "tool": <one of the tool names>, "arguments": {...}}` or
`{"action": "final", "content": "..."}`. This module builds the schema and the instructions, renders
earlier calls the same way, and parses a turn back into a ToolCall or the final text.
"""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from goclaw_actors.brain.providers.base import ToolCall, ToolSpec

CALL_TOOL = "call_tool"
FINAL = "final"
ANY_OBJECT: dict[str, Any] = {"type": "object"}


class ActionError(ValueError):
    """The model's turn is not a complete, valid action."""


@dataclass
class ActionTurn:
    """What one protocol turn may do: call one of `tools`, and/or answer (`allow_final`), the answer's
    `content` matching `final_schema`."""

    tools: list[ToolSpec]
    allow_final: bool = True
    final_schema: dict[str, Any] | None = None

    def schema(self, typed_arguments: bool = True) -> dict[str, Any]:
        """The JSON schema of a turn. With `typed_arguments` each tool's arguments follow its own schema;
        without, `tool` is an enum of the names and `arguments` any object."""
        branches = []
        if self.allow_final:  # first: small models lean towards the first form they are shown
            branches.append({"type": "object",
                             "properties": {"action": {"const": FINAL},
                                            "content": self.final_schema or {"type": "string"}},
                             "required": ["action", "content"], "additionalProperties": False})
        if typed_arguments:
            for tool in self.tools:
                branches.append(_call_branch({"const": tool.name}, _arguments_schema(tool)))
        elif self.tools:
            branches.append(_call_branch({"enum": [tool.name for tool in self.tools]}, ANY_OBJECT))
        return branches[0] if len(branches) == 1 else {"anyOf": branches}

    def instructions(self) -> str:
        """System-prompt text explaining the protocol and the tools."""
        lines = ["Reply with exactly one JSON object and nothing else."]
        if self.allow_final:
            if self.final_schema:
                lines.append('To answer: {"action": "final", "content": <JSON value matching this schema: '
                             f'{json.dumps(self.final_schema, ensure_ascii=False)}>}}')
            else:
                lines.append('To answer the user: {"action": "final", "content": "<your answer>"}')
        else:
            lines.append("You must call a tool now.")
        if self.tools:
            lines.append('To call a tool: {"action": "call_tool", "tool": "<tool name>", '
                         '"arguments": {<arguments for the tool>}}')
        if self.tools:
            if self.allow_final:
                lines.append("Call a tool only when the answer needs something you cannot know or do yourself "
                             "(a web page, a file, a command); otherwise answer directly.")
            lines.append("The result of a tool call comes back in the next message.\n\nTools:")
            for tool in self.tools:
                lines.append(f"- {tool.name}: {tool.description.strip() or '(no description)'}\n"
                             f"  arguments schema: {json.dumps(_arguments_schema(tool), ensure_ascii=False)}")
        return "\n".join(lines)

    def parse(self, text: str) -> ToolCall | str:
        """The model's turn as a ToolCall (with a fresh id) or the final answer text; raises ActionError."""
        try:
            action = json.loads(text)
        except ValueError as exc:
            raise ActionError(f"not a complete JSON object ({exc}): {text[:200]!r}") from None
        if not isinstance(action, dict):
            raise ActionError(f"expected a JSON object, got {type(action).__name__}")
        kind = action.get("action")
        if kind == CALL_TOOL:
            name, arguments = action.get("tool"), action.get("arguments")
            if name not in {tool.name for tool in self.tools}:
                raise ActionError(f"unknown tool {name!r}")
            if not isinstance(arguments, dict):
                raise ActionError(f"arguments of {name} are not an object")
            return ToolCall(id=f"call_{uuid.uuid4().hex[:24]}", name=name, arguments=arguments)
        if kind == FINAL and self.allow_final and "content" in action:
            content = action["content"]
            return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        raise ActionError(f"unexpected action {kind!r}")


def call_text(name: str, arguments: Any) -> str:
    """An earlier tool call written as the protocol's action object (how the model would have said it)."""
    return json.dumps({"action": CALL_TOOL, "tool": name, "arguments": arguments}, ensure_ascii=False)


def final_text(content: str) -> str:
    """An earlier answer written as the protocol's final action."""
    return json.dumps({"action": FINAL, "content": content}, ensure_ascii=False)


def _call_branch(tool_schema: dict[str, Any], arguments_schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object",
            "properties": {"action": {"const": CALL_TOOL}, "tool": tool_schema, "arguments": arguments_schema},
            "required": ["action", "tool", "arguments"], "additionalProperties": False}


def _arguments_schema(tool: ToolSpec) -> dict[str, Any]:
    schema = dict(tool.parameters or ANY_OBJECT)
    schema.pop("$schema", None)  # a nested draft marker confuses grammar compilers
    return schema
