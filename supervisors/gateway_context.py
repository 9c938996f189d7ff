"""The gateway's view of the running daemon: the GatewayContext routes are written against."""

import uuid
from pathlib import Path
from typing import Any, Callable, TypeVar

import gevent
import gevent.event
import gevent.queue
import pykka

from actors.event_bus import Subscribe
from actors.store_client import StoreClient
from goclaw_actors.approval_flow import ApprovalPorts
from goclaw_actors.broadcasts import BROADCAST_METHODS
from goclaw_actors.config.model import Config
from goclaw_actors.http.acp.dispatcher import Dispatcher
from goclaw_actors.http.acp.routes import acp_methods
from supervisors import agent_control, team_wiring
from supervisors.mcp_wiring import mcp_status
from supervisors.runtime import Runtime
from supervisors.supervisor import describe_tree
from supervisors.telegram_wiring import telegram_status
from supervisors.tool_wiring import interrupt_task

R = TypeVar("R")

ASK_TIMEOUT_SECONDS = 10.0
WATCH_QUEUE_SIZE = 4096


class _Watch:
    """A subscription on the event bus or TaskStreams; `close()` unsubscribes."""

    def __init__(self, queue: gevent.queue.Queue, replay: list[dict[str, Any]], close: Callable[[], None]):
        self.queue = queue
        self.replay = replay
        self._close = close
        self.closed = False

    def close(self) -> None:
        """Stop receiving (idempotent; an actor that is gone has nothing to unsubscribe)."""
        if not self.closed:
            self.closed = True
            try:
                self._close()
            except (pykka.ActorDeadError, pykka.Timeout):
                pass

    def __enter__(self) -> "_Watch":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _detached(fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn(*args)` in its own green thread, so that killing the caller does not interrupt it; returns
    its result or raises its error here."""
    outcome = gevent.event.AsyncResult()

    def run() -> None:
        try:
            outcome.set(fn(*args))
        except Exception as exc:  # handed to the caller by outcome.get()
            outcome.set_exception(exc)

    gevent.spawn(run)
    return outcome.get()


class DaemonGatewayContext:
    """Routes reach actors through the name registry, never through cached refs."""

    def __init__(self, runtime: Runtime, token: str, home: Path, health: Callable[[], dict[str, Any]]):
        self.runtime = runtime
        self.token = token
        self.home = home
        self._health = health
        self._acp: Dispatcher | None = None

    def config(self) -> Config:
        """The Config in force (replaced by the config watcher on a valid edit of config.yaml)."""
        return self.runtime.config

    def policy(self) -> Any:
        """The policy in force."""
        return self.ask("policy", "current")

    def health(self) -> dict[str, Any]:
        """The /healthz document."""
        return self._health()

    def skills(self) -> Any:
        """The daemon's SkillRuntime."""
        return self.runtime.skills

    def audit(self, decision: str, action: str, reason: str, subject: str | None = None,
              trace_id: str | None = None) -> None:
        """Record a security decision in logs/audit.jsonl and the audit_log table."""
        self.runtime.audit_decision(decision, action, reason, subject=subject, trace_id=trace_id)

    @property
    def store(self) -> StoreClient:
        """Durable writes by noun through the store actor."""
        return self.runtime.store

    def audited_store(self, op: Callable[..., R], action: str, reason: str, subject: str | None = None,
                      trace_id: str | None = None, **kwargs: Any) -> R:
        """A store write with its `allow` audit row in the same transaction, then the audit file line."""
        return self.runtime.audited_write(op, action, reason, subject=subject, trace_id=trace_id, **kwargs)

    def acp_dispatcher(self) -> Dispatcher:
        """The ACP dispatcher of this daemon (built on first use)."""
        if self._acp is None:
            self._acp = Dispatcher(acp_methods())
        return self._acp

    def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(conn, *args)` on a pooled read connection."""
        return self.runtime.reads.run(fn, *args)

    def cast(self, actor_name: str, method: str, *args: Any) -> None:
        """Call a method of a named actor without waiting (nothing to do if it is gone)."""
        proxy = self.runtime.registry.proxy(actor_name)
        if proxy is None:
            return
        try:
            getattr(proxy, method)(*args)
        except pykka.ActorDeadError:
            pass  # stopped since the lookup: same as not running

    def supervision_tree(self) -> dict[str, Any]:
        """The running supervision tree from the root supervisor down."""
        root = self.runtime.registry.lookup("root")
        if root is None:
            raise pykka.ActorDeadError("root supervisor is not running")
        return describe_tree(root)

    def mcp_servers(self) -> list[dict[str, Any]]:
        """The states of the running MCP servers' McpClients."""
        return mcp_status(self.runtime)

    def ask(self, actor_name: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a method of a named actor and wait for the answer."""
        proxy = self.runtime.registry.proxy(actor_name)
        if proxy is None:
            raise pykka.ActorDeadError(f"{actor_name} is not running")
        return getattr(proxy, method)(*args, **kwargs).get(timeout=ASK_TIMEOUT_SECONDS)

    def interrupt_task(self, agent_id: str, task_id: str) -> None:
        """Tell every lane of the agent to kill its attempt of `task_id` (only the one running it does)."""
        interrupt_task(self.runtime, agent_id, task_id)

    def _bus_watch(self, **filters: Any) -> _Watch:
        queue = gevent.queue.Queue(WATCH_QUEUE_SIZE)
        subscriber_id = f"gw-{uuid.uuid4().hex}"
        bus = self.runtime.registry.lookup("event_bus")
        if bus is None:
            raise pykka.ActorDeadError("event_bus is not running")
        # Told, not asked: in place before any later commit's events reach the bus (see Subscribe).
        bus.tell(Subscribe(subscriber_id, queue, {"maxsize": WATCH_QUEUE_SIZE, **filters}))
        return _Watch(queue, [], lambda: self.cast("event_bus", "unsubscribe", subscriber_id))

    def watch_task(self, task_id: str) -> _Watch:
        """Committed events of one task, live."""
        return self._bus_watch(task_id=task_id)

    def watch_session(self, session_id: str) -> _Watch:
        """Committed events of one session, live."""
        return self._bus_watch(session_id=session_id)

    def watch_event_types(self, event_types: frozenset[str]) -> _Watch:
        """Committed events of the given types, live."""
        return self._bus_watch(event_types=event_types)

    def channels(self) -> list[dict[str, Any]]:
        """The Telegram channel's state (`disabled` when it is not configured, `stopped` when not running)."""
        return [telegram_status(self.runtime)]

    def watch_broadcasts(self) -> _Watch:
        """Broadcast notifications for ACP clients, live."""
        return self._bus_watch(event_types=BROADCAST_METHODS)

    def broadcast(self, method: str, params: dict[str, Any]) -> None:
        """Publish a broadcast notification; returns once the bus has handed it to every watcher."""
        self.runtime.broadcast(method, params)

    def approvals(self) -> ApprovalPorts:
        """The approval flow's view of the daemon."""
        return self.runtime.approvals()

    def start_agent(self, agent_id: str) -> bool:
        """Start the subtree of an agent created at runtime (completes even if the caller is killed)."""
        return _detached(agent_control.start_agent, self.runtime, self.runtime.config, agent_id)

    def remove_agent(self, agent_id: str) -> int:
        """Drain and stop an agent; returns how many of its tasks were canceled (completes even if the caller
        is killed, e.g. its client went away mid-drain, so no agent is left `draining`)."""
        return _detached(agent_control.remove_agent, self.runtime, self.runtime.config, agent_id)

    def execute_plan(self, name: str, session_id: str | None = None) -> dict[str, Any]:
        """Start an execution of the configured plan `name`; the PlanRunner drives it from then on."""
        return self.ask("plan_runner", "execute", name, session_id)

    def cancel_plan(self, execution_id: str) -> dict[str, Any]:
        """Cancel a plan execution through the PlanRunner (which stops driving it), then interrupt the step
        tasks that were running (completes even if the caller is killed)."""
        outcome = _detached(self.ask, "plan_runner", "cancel", execution_id)
        for task_id, agent_id in outcome.pop("tasks", []):
            self.interrupt_task(agent_id, task_id)
        return outcome

    def create_team(self, lead_agent: str, roles: list[str]) -> dict[str, Any]:
        """Make `roles` the team of `lead_agent`, starting the role agents it lacks."""
        return _detached(team_wiring.create_team, self.runtime, lead_agent, roles)

    def run_team(self, lead_agent: str, prompt: str, session_id: str | None = None) -> dict[str, Any]:
        """Enqueue a team task for `lead_agent`."""
        return team_wiring.run_team(self.runtime, lead_agent, prompt, session_id)

    def watch_stream(self, task_id: str) -> _Watch:
        """Live chunks of a task's running attempt, with those already produced as `replay`."""
        queue = gevent.queue.Queue(WATCH_QUEUE_SIZE)
        subscriber_id = f"gw-{uuid.uuid4().hex}"
        replay = self.ask("task_streams", "subscribe", task_id, subscriber_id, queue)
        return _Watch(queue, replay, lambda: self.cast("task_streams", "unsubscribe", task_id, subscriber_id))
