"""Approvals for tool calls that policy.yaml lists in `require_approval` (SPEC §5.5).

The call's approval (`action` `tool.<name>`, details naming the task, agent, tool and arguments) is
created and announced with `approval.required`, then awaited on the bus with no transaction open:
approve runs the tool; deny or expiry returns the refusal to the model. A retried attempt of the same
task finds the approval its earlier attempt asked for (pending or approved) instead of asking again.
"""

from typing import Any, Callable

from actors.approval_wait import await_decision, watch_decisions
from actors.daemon_ports import DaemonPorts
from goclaw_actors.approval_flow import request_approval
from goclaw_actors.brain.providers.base import ToolCall
from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.queue.idempotency import canonical_json, tool_call_key
from goclaw_actors.redaction import redact_text
from goclaw_actors.store.approval_reads import get_approval, latest_task_approval
from goclaw_actors.store.sqlite_approvals import APPROVED, DENIED, timed_out
from goclaw_actors.tools.guarded_call import Refusal

ACTION_PREFIX = "tool."


def tool_call_details(call: ToolCall, context: ToolContext) -> str:
    """What the operator is asked to approve, as canonical JSON (secrets redacted)."""
    key, _ = tool_call_key(context.task_id, call.name, call.arguments)
    return redact_text(canonical_json({"tool": call.name, "arguments": call.arguments, "agent_id": context.agent_id,
                                       "task_id": context.task_id, "call": key}))


class ToolApprovals:
    """The Approvals port of the tool path, for one agent."""

    def __init__(self, ports: DaemonPorts, policy: Callable[[], Any]):
        self.ports = ports
        self.policy = policy

    def required(self, tool_name: str, capability: str) -> bool:
        """Whether the policy in force wants an approval for this tool."""
        return self.policy().requires_approval(tool_name, capability)

    def wait(self, call: ToolCall, context: ToolContext) -> Refusal | None:
        """Ask (or find the earlier request) and wait; None when approved, else the refusal."""
        action, details = ACTION_PREFIX + call.name, tool_call_details(call, context)
        with watch_decisions(self.ports) as watch:
            approval = self.ports.read(latest_task_approval, context.task_id, action, details)
            if approval is None or approval["status"] == DENIED:
                approval = request_approval(self.ports.approvals(), action, details,
                                            self.ports.approval_timeout_seconds(), task_id=context.task_id)
            approval_id = approval["approval_id"]
            approval = await_decision(watch, approval, lambda: self.ports.read(get_approval, approval_id))
        if approval["status"] == APPROVED:
            return None
        if timed_out(approval):
            return Refusal("approval_timeout_default_deny",
                           f'approval expired: tool "{call.name}" was not run (denied by default, {approval_id})')
        return Refusal("approval_denied", f'approval denied: tool "{call.name}" was not run ({approval_id})')

