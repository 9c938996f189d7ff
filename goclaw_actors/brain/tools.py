"""Tools an agent can call: schema, capability and the function that runs them."""

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable

from goclaw_actors.brain.providers.base import ToolSpec


@dataclass
class ToolContext:
    """What a running tool knows of its call: the task, session and agent; `emit` sends a live chunk;
    `audit(decision, reason)` records a decision a tool takes itself (e.g. a denied search backend) under
    the tool's capability; `call_key` is the call's idempotency key (SPEC §3.10); inside `waiting()` the
    tool waits on other work (a delegated task) without holding its worker lane."""

    task_id: str
    session_id: str
    agent_id: str
    emit: Callable[[dict[str, Any]], None] = field(default=lambda chunk: None)
    audit: Callable[[str, str], None] = field(default=lambda decision, reason: None)
    call_key: str = ""
    waiting: Callable[[], AbstractContextManager[None]] = field(default=nullcontext)


@dataclass
class Tool:
    """One tool: `run(arguments, context)` returns text for the model or raises with the error text."""

    spec: ToolSpec
    capability: str
    run: Callable[[dict[str, Any], ToolContext], str]
    _validator: Any = field(default=None, repr=False, compare=False)

    def argument_errors(self, arguments: dict[str, Any]) -> str | None:
        """Why `arguments` do not match the tool's JSON schema, or None when they do."""
        if self._validator is None:
            import jsonschema  # imported on use: it slows daemon start-up by ~50 ms

            self._validator = jsonschema.validators.validator_for(self.spec.parameters)(self.spec.parameters)
        error = next(iter(self._validator.iter_errors(arguments)), None)
        return error.message if error is not None else None


class ToolRegistry:
    """The tools of one agent, by name."""

    def __init__(self, tools: list[Tool] = ()):
        self._tools = {tool.spec.name: tool for tool in tools}

    def get(self, name: str) -> Tool | None:
        """The tool called `name`, or None."""
        return self._tools.get(name)

    def specs(self, allows: Callable[[str], bool] | None = None) -> list[ToolSpec]:
        """The specs of the tools offered to the model, by name: those whose capability `allows` grants
        (every tool without `allows`). A tool left out can still be called and is then denied and audited."""
        return [self._tools[name].spec for name in sorted(self._tools)
                if allows is None or allows(self._tools[name].capability)]

    def __len__(self) -> int:
        return len(self._tools)
