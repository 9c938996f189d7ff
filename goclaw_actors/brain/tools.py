"""Tools an agent can call: schema, capability and the function that runs them."""

from dataclasses import dataclass, field
from typing import Any, Callable

from goclaw_actors.brain.providers.base import ToolSpec


@dataclass
class ToolContext:
    """What a running tool knows of its call: the task, session and agent (for audit and dedup)."""

    task_id: str
    session_id: str
    agent_id: str
    emit: Callable[[dict[str, Any]], None] = field(default=lambda chunk: None)


@dataclass
class Tool:
    """One tool: `run(arguments, context)` returns text for the model or raises with the error text."""

    spec: ToolSpec
    capability: str
    run: Callable[[dict[str, Any], ToolContext], str]


class ToolRegistry:
    """The tools of one agent, by name."""

    def __init__(self, tools: list[Tool] = ()):
        self._tools = {tool.spec.name: tool for tool in tools}

    def get(self, name: str) -> Tool | None:
        """The tool called `name`, or None."""
        return self._tools.get(name)

    def specs(self) -> list[ToolSpec]:
        """Every tool's spec, by name."""
        return [self._tools[name].spec for name in sorted(self._tools)]

    def __len__(self) -> int:
        return len(self._tools)
