"""What gateway routes may use of the running daemon (implemented in supervisors/gateway_context.py).

Routes are plain functions over this interface, so they never import an actor.
"""

from pathlib import Path
from typing import Any, Callable, Protocol, TypeVar

from goclaw_actors.store.api.facade import StoreApi

R = TypeVar("R")

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

    def skills(self) -> Any:
        """The daemon's skills (supervisors.skill_runtime.SkillRuntime): `status()` (SPEC §8.2 items),
        `enable(name)`, `tinygo()`, `health()`."""

    def audit(self, decision: str, action: str, reason: str, subject: str | None = None,
              trace_id: str | None = None) -> None:
        """Record a security decision in logs/audit.jsonl and the audit_log table (SPEC §11.2)."""

    def audited_store(self, op: Callable[..., R], action: str, reason: str, subject: str | None = None,
                      trace_id: str | None = None, **kwargs: Any) -> R:
        """A store write changing what a person owns (memories, pins, shares; `op` such as
        `ctx.store.memory.memory_set`, which takes `audit=`), audited `allow` `action` in the same transaction
        (SPEC §11.2); returns the op's result."""

    def acp_dispatcher(self) -> Any:
        """The daemon's ACP dispatcher (goclaw_actors.http.acp.dispatcher.Dispatcher): one per daemon, so that
        chat commands and `/ws` run the same methods with the same locks."""

    def approvals(self) -> Any:
        """The approval flow's ports (goclaw_actors.approval_flow.ApprovalPorts)."""

    @property
    def store(self) -> StoreApi:
        """Durable writes by noun through the store actor (`ctx.store.tasks.enqueue(...)`); each raises its
        error."""

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

    def watch_event_types(self, event_types: frozenset[str]) -> Watch:
        """Committed events of the given types (e.g. `alert`), of every task, live."""

    def channels(self) -> list[dict[str, Any]]:
        """The chat channels' states (SPEC §10): `{name, state, …}`, state `disabled` when not configured."""

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

    def cancel_plan(self, execution_id: str) -> dict[str, Any]:
        """Cancel a running plan execution and interrupt its running step tasks: `{execution_id, canceled,
        status}` (`canceled` False when it had ended); raises StoreError for an unknown execution."""

    def create_team(self, lead_agent: str, roles: list[str]) -> dict[str, Any]:
        """Make `roles` the team of `lead_agent`, creating the role agents that do not exist (SPEC §12):
        `{lead_agent, members: [{role, agent_id, created}]}`; raises TeamError."""

    def run_team(self, lead_agent: str, prompt: str, session_id: str | None = None) -> dict[str, Any]:
        """Enqueue a team task: the lead fans `prompt` out to its members and gathers their results:
        `{task_id, session_id, lead_agent, members}`; raises TeamError, or the enqueue's StoreError."""
