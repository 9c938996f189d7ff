"""What the running tree shares: paths, the name registry, read connections and start-up results."""

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import pykka

from actors.daemon_ports import DaemonPorts
from actors.event_bus import Publish
from actors.policy_actor import CurrentPolicyVersion
from actors.store_client import StoreClient
from goclaw_actors.approval_flow import ApprovalPorts, approval_timeout_seconds
from goclaw_actors.processor import DelayedProcessor, FallbackProcessor, Processor
from goclaw_actors.config.agent_entry import agent_from_row
from goclaw_actors.config.model import AgentConfig
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.queue.lane_settings import LaneSettings
from goclaw_actors.redaction import redact_text
from goclaw_actors.teams.team_run import TeamProcessor
from goclaw_actors.store.sqlite_reads import active_agents
from goclaw_actors.store.agent_reads import agent_row
from goclaw_actors.store.read_pool import ReadPool
from supervisors.command_wiring import with_commands
from supervisors.registry import NameRegistry

R = TypeVar("R")

DEBUG_DELAY_ENV = "GOCLAW_DEBUG_TASK_DELAY_MS"
log = get_logger("runtime")


@dataclass
class Runtime:
    """Handed to the tree's start functions; holds no actor state of its own, only routes to actors."""

    db_path: Any  # the store: goclaw.db's Path, or a PostgresTarget (storage.backend: postgres)
    reads: ReadPool
    policy: Any
    policy_source: str
    lanes: list[LaneSettings]
    listen: Callable[[], socket.socket]
    app: Any = None
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    registry: NameRegistry = field(default_factory=NameRegistry)
    config: Any = None  # goclaw_actors.config.model.Config; None: every agent gets the fallback processor
    home: Path | None = None
    audit: Any = None  # goclaw_actors.logs.audit_log.AuditLog
    start_failure: Any = None  # the StartupError of a child that could not start: its reason code is the daemon's
    cwd: Path = field(default_factory=Path.cwd)  # relative skill roots (`skills.project_dir`) start here
    skills: Any = None  # supervisors.skill_runtime.SkillRuntime: the catalog, the WASM sandbox, the toolchain
    gateway: Any = None  # the daemon's GatewayContext: chat commands call its ACP methods
    scheduler_lock: Any = None  # goclaw_actors.store.scheduler_lock.SchedulerLock: one scheduler per shared store
    mcp_loop: Any = None  # goclaw_actors.mcp.asyncio_greenlet.AsyncioGreenlet, started with the first MCP server

    def __post_init__(self):
        self.store = StoreClient(self.registry.address("store"))
        self._bus = self.registry.address("event_bus")
        self._policy = self.registry.address("policy")

    def is_scheduler(self) -> bool:
        """Whether this daemon runs cron, retention and aging (always, unless it shares a PostgreSQL store with
        other daemons and another one holds the scheduler lock)."""
        return self.scheduler_lock is None or self.scheduler_lock.held()

    def publish_events(self, events: list[dict[str, Any]]) -> None:
        """Hand committed events to the bus (dropped while the bus restarts: the rows are durable)."""
        self._bus.tell(Publish(events))

    def policy_version(self) -> str:
        """The version of the policy in force now."""
        return self._policy.ask(CurrentPolicyVersion(), timeout=5)

    def broadcast(self, method: str, params: dict[str, Any]) -> None:
        """Deliver a broadcast notification to every ACP client; returns once the bus has handed it out."""
        self.daemon_ports().broadcast(method, params)

    def audit_decision(self, decision: str, action: str, reason: str, subject: str | None = None,
                       trace_id: str | None = None, wait: bool = True) -> None:
        """Record a security decision, redacted (SPEC §5.6), in logs/audit.jsonl and the audit_log table
        (SPEC §11.2); `trace_id` is the task id when a task made it. With `wait=False` the table row is
        queued behind the caller's later writes instead of awaited (the file line is written either way);
        a failure to store it is logged."""
        fields = self._audit_fields(decision, action, reason, subject, trace_id)
        self._audit_file(fields)
        if wait:
            self.store.audit.write_audit(**fields)
        else:
            self.store.audit.write_audit.send(lambda exc: log.error("audit row not stored", error=str(exc),
                                                                    action=action, trace_id=trace_id), **fields)

    def audited_write(self, op: Callable[..., R], action: str, reason: str, subject: str | None = None,
                      trace_id: str | None = None, **kwargs: Any) -> R:
        """A store write that changes what a person owns (memories, pins, shares; `op` such as
        `self.store.memory.memory_set`, which takes `audit=`): its `audit_log` row (decision `allow`, `action`)
        commits in the same transaction, then the audit file line is written. Returns the op's result."""
        fields = self._audit_fields("allow", action, reason, subject, trace_id)
        result = op(audit=fields, **kwargs)
        self._audit_file(fields)
        return result

    def _audit_fields(self, decision: str, action: str, reason: str, subject: str | None,
                      trace_id: str | None) -> dict[str, Any]:
        return dict(action=action, decision=decision, reason=redact_text(reason),
                    policy_version=self.policy_version(), subject=redact_text(subject) if subject else subject,
                    trace_id=trace_id)

    def _audit_file(self, fields: dict[str, Any]) -> None:
        if self.audit is not None:
            self.audit.write(fields["decision"], fields["action"], fields["reason"], fields["policy_version"],
                             subject=fields["subject"], trace_id=fields["trace_id"])

    def daemon_ports(self) -> DaemonPorts:
        """Routes to the store, reads, bus, audit and approval timeout for green threads working for the daemon."""
        return DaemonPorts(store=self.store, reads=self.reads, bus=lambda: self.registry.proxy("event_bus"),
                           audit=self.audit_decision, approval_timeout_seconds=self.approval_timeout_seconds)

    def approvals(self) -> ApprovalPorts:
        """The approval flow's view of the daemon: the store, the audit and the broadcasts."""
        return self.daemon_ports().approvals()

    def current_policy(self) -> Any:
        """The Policy in force now."""
        proxy = self.registry.proxy("policy")
        return proxy.current().get(timeout=5) if proxy is not None else self.policy

    def approval_timeout_seconds(self) -> float:
        """How long a pending approval waits before it is denied (`approval_timeout_seconds` in force)."""
        return approval_timeout_seconds(self.config)

    def processor_for(self, agent_id: str) -> Processor:
        """The processor an agent's lanes run: its brain (or the fallback reply without a provider), which also
        runs team tasks (fan-out to the members, then a turn on their results); chat command tasks are answered
        without either, and a random-number request by the `random` skill when there is one."""
        processor: Processor = FallbackProcessor()
        if self.config is not None and self.home is not None:
            from supervisors.brain_wiring import build_processor
            from supervisors.tool_wiring import agent_links
            processor = TeamProcessor(build_processor(self, self.agent_config(agent_id), self.config, self.home,
                                                      self.environ), agent_links(self))
        if self.skills is not None:
            processor = self.skills.fast_path(processor)
        processor = with_commands(self, processor)
        delay_ms = self.environ.get(DEBUG_DELAY_ENV, "").strip()
        if delay_ms:
            processor = DelayedProcessor(processor, float(delay_ms) / 1000.0)
        return processor

    def refresh_processor(self, agent_id: str) -> bool:
        """Rebuild an agent's brain from the configuration in force, for its next attempt; False if the
        agent is not running."""
        proxy = self.registry.proxy(f"agent_actor:{agent_id}")
        if proxy is None:
            return False
        proxy.set_processor(self.processor_for(agent_id)).get(timeout=5)
        return True

    def agent_config(self, agent_id: str) -> AgentConfig:
        """The agent's configuration: from config.yaml, else from its `agents` row (created at runtime, with
        its `api_key_env`, skills filter and limits). Raises ConfigError for a row the daemon must not run."""
        configured = self.config.agent(agent_id) if self.config is not None else None
        if configured is not None:
            return configured
        row = self.reads.run(agent_row, agent_id)
        return agent_from_row(row) if row is not None else AgentConfig(agent_id=agent_id)

    def runtime_agent(self, agent_id: str) -> bool:
        """Whether `agent_id` was created at runtime (ACP agent.create), not declared in config.yaml."""
        return self.config is None or self.config.agent(agent_id) is None


class Listener:
    """Returns the socket bound at start-up once, then binds a fresh one (after a gateway restart)."""

    def __init__(self, first: socket.socket, rebind: Callable[[], socket.socket]):
        self._first: socket.socket | None = first
        self._rebind = rebind

    def __call__(self) -> socket.socket:
        sock, self._first = self._first, None
        return sock if sock is not None and sock.fileno() != -1 else self._rebind()
