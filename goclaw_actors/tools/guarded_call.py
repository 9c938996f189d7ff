"""The path every tool call takes (SPEC §4.7, §3.10, §5.5, §11.2).

capability check (deny ⇒ `policy denied capability "<cap>"`, audited `missing_capability`) ⇒ the tool's own
rule (an MCP tool's `mcp.rules`; deny audited `rule_denied`) ⇒ argument
schema ⇒ idempotency for side-effecting tools (a recorded result is returned, audited `deduped`; a key
reused with other input is `idempotency conflict`) ⇒ approval when the policy requires one ⇒ audit
`allow` ⇒ run. Denials inside a tool (`url_denied`, `path_denied`, `command_denied`) are audited too.
Every outcome is text for the model: a failing or denied call never fails the task.
"""

import json
from dataclasses import dataclass, replace
from typing import Any, Callable, Protocol

from goclaw_actors.brain.providers.base import ToolCall
from goclaw_actors.brain.tools import ToolContext, ToolRegistry
from goclaw_actors.errors import IdempotencyConflict
from goclaw_actors.queue.idempotency import is_side_effecting
from goclaw_actors.tools.errors import PolicyDenied

Audit = Callable[[str, str, str], None]  # (decision, capability, reason)


@dataclass(frozen=True)
class Refusal:
    """Why an approval did not let a call run: audit reason and the text for the model."""

    reason: str
    message: str


class Dedup(Protocol):
    """Tool-call idempotency rows (store ops `dedup_begin` / `dedup_finish`)."""

    def begin(self, task_id: str, tool_name: str, arguments: dict[str, Any]) -> Any: ...

    def finish(self, key: str, succeeded: bool, result: Any) -> None: ...


class Approvals(Protocol):
    """Tool approvals: whether the policy requires one, and waiting for the decision."""

    def required(self, tool_name: str, capability: str) -> bool: ...

    def wait(self, call: ToolCall, context: ToolContext) -> Refusal | None: ...


@dataclass
class ToolGuard:
    """The checks around one task's tool calls, wired to the daemon in supervisors/."""

    allows: Callable[[str], bool]
    audit: Audit
    dedup: Dedup | None = None
    approvals: Approvals | None = None
    scrub: Callable[[str], str] = lambda text: text  # known secrets out of tool output (SPEC §5.6)


def error_text(message: str) -> str:
    """A tool error as the model sees it."""
    return f"error: {message}"


def guarded_call(call: ToolCall, tools: ToolRegistry, guard: ToolGuard, context: ToolContext) -> str:
    """Run one tool call through every check; returns the output or the error text for the model."""
    tool = tools.get(call.name)
    if tool is None:
        return error_text(f"unknown tool: {call.name}")
    capability = tool.capability
    if not guard.allows(capability):
        guard.audit("deny", capability, "missing_capability")
        return error_text(f'policy denied capability "{capability}"')
    refused = tool.refusal(context.agent_id) if tool.refusal is not None else None
    if refused is not None:
        guard.audit("deny", capability, "rule_denied")
        return error_text(refused)
    invalid = tool.argument_errors(call.arguments)
    if invalid is not None:
        return error_text(f"invalid arguments for {call.name}: {invalid}")
    context = replace(context, audit=lambda decision, reason: guard.audit(decision, capability, reason))
    dedup = guard.dedup if is_side_effecting(call.name) else None
    key = ""
    if dedup is not None:
        try:
            decision = dedup.begin(context.task_id, call.name, call.arguments)
        except IdempotencyConflict as exc:
            guard.audit("deny", capability, "idempotency_conflict")
            return error_text(str(exc))
        if decision.cached:
            guard.audit("allow", capability, "deduped")
            return decision.result if isinstance(decision.result, str) else json.dumps(decision.result)
        key = decision.key
        context = replace(context, call_key=key)
    return _approved_run(tool, call, guard, context, dedup, key)


def _approved_run(tool: Any, call: ToolCall, guard: ToolGuard, context: ToolContext, dedup: Dedup | None,
                  key: str) -> str:
    capability = tool.capability
    if guard.approvals is not None and guard.approvals.required(call.name, capability):
        refusal = guard.approvals.wait(call, context)
        if refusal is not None:
            guard.audit("deny", capability, refusal.reason)
            return _finish(guard, dedup, key, False, error_text(refusal.message))
    guard.audit("allow", capability, "tool_call")
    try:
        output = tool.run(call.arguments, context)
    except PolicyDenied as exc:
        guard.audit("deny", capability, exc.reason)
        return _finish(guard, dedup, key, False, error_text(str(exc)))
    except Exception as exc:  # noqa: BLE001 - a failing tool is an answer for the model, not a crash
        return _finish(guard, dedup, key, False, error_text(str(exc) or type(exc).__name__))
    return _finish(guard, dedup, key, True, output if isinstance(output, str) else json.dumps(output))


def _finish(guard: ToolGuard, dedup: Dedup | None, key: str, succeeded: bool, output: str) -> str:
    output = guard.scrub(output)  # before it is recorded, stored with the task or shown to the model
    if dedup is not None and key:
        dedup.finish(key, succeeded, output)
    return output
