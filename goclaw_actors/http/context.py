"""What gateway routes may use of the running daemon (implemented in supervisors/gateway_context.py).

Routes are plain functions over this interface, so they never import an actor.
"""

from pathlib import Path
from typing import Any, Callable, Protocol

TERMINAL_STATES = frozenset({"SUCCEEDED", "CANCELED", "DEAD_LETTER"})


class Watch(Protocol):
    """A live subscription: items arrive on `queue` (a gevent Queue) until `close()`."""

    queue: Any
    replay: list[dict[str, Any]]

    def close(self) -> None: ...


class GatewayContext(Protocol):
    """The daemon as the gateway sees it."""

    token: str
    home: Path

    def config(self) -> Any:
        """The current Config (goclaw_actors.config.model.Config)."""

    def policy(self) -> Any:
        """The policy in force (goclaw_actors.policy.policy_file.Policy)."""

    def health(self) -> dict[str, Any]:
        """The /healthz document."""

    def audit(self, decision: str, action: str, reason: str, subject: str | None = None,
              trace_id: str | None = None) -> None:
        """Record a security decision in logs/audit.jsonl and the audit_log table (SPEC §11.2)."""

    def approvals(self) -> Any:
        """The approval flow's ports (goclaw_actors.approval_flow.ApprovalPorts)."""

    def store(self, op: str, **kwargs: Any) -> Any:
        """One durable write through the store actor (an op of SqliteQueue); raises its error."""

    def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(conn, *args)` on a pooled read connection."""

    def watch_task(self, task_id: str) -> Watch:
        """Committed events of one task, live (replay is empty)."""

    def watch_session(self, session_id: str) -> Watch:
        """Committed events of one session, live (replay is empty)."""

    def watch_stream(self, task_id: str) -> Watch:
        """Live chunks of a task's running attempt: `replay` holds those already produced."""

    def supervision_tree(self) -> dict[str, Any]:
        """The running supervision tree: supervisors, children, liveness and restart counts."""

    def mcp_servers(self) -> list[dict[str, Any]]:
        """The MCP servers' states: `{name, scope ("global" or the agent id), transport, state, protocol_version,
        server, tools, connects, last_error}`."""

    def cast(self, actor_name: str, method: str, *args: Any) -> None:
        """Call a method of a named actor without waiting (nothing happens if it is not running)."""

    def ask(self, actor_name: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a method of a named actor (e.g. "event_bus", "dropped") and wait for the answer."""

    def interrupt_task(self, agent_id: str, task_id: str) -> None:
        """Interrupt the running attempt of `task_id` at once (after the store canceled it)."""

    def watch_broadcasts(self) -> Watch:
        """Broadcast notifications (goclaw_actors.broadcasts), live, as bus events with `event_type`/`params`."""

    def broadcast(self, method: str, params: dict[str, Any]) -> None:
        """Deliver a broadcast notification to every watcher before returning."""

    def start_agent(self, agent_id: str) -> bool:
        """Start the lanes of an active agent row created at runtime; False if already running."""

    def remove_agent(self, agent_id: str) -> int:
        """Drain, stop and cancel the backlog of an agent (SPEC §4.1); returns the canceled task count."""

    def execute_plan(self, name: str, session_id: str | None = None) -> dict[str, Any]:
        """Start an execution of the configured plan `name` (SPEC §7.4) in `session_id` (a new session when
        None): `{execution_id, session_id, plan_name, status: "running"}`; raises PlanNotFound."""
