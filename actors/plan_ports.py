"""What the plan runner uses of the daemon: the store, reads, the event bus, the plans and the audit."""

from dataclasses import dataclass
from typing import Any, Callable

import pykka

from actors.bus_watch import BusWatch
from actors.store_client import StoreClient
from goclaw_actors.approval_flow import ApprovalPorts
from goclaw_actors.plans.plan_config import Plan
from goclaw_actors.store.read_pool import ReadPool

Audit = Callable[..., None]
"""Records a decision: `audit(decision, action, reason, subject=..., trace_id=...)` (logs/audit.jsonl and the
audit_log table)."""


@dataclass
class PlanPorts:
    """Routes to the rest of the daemon, resolved on each use (actors behind them may restart)."""

    store: StoreClient
    reads: ReadPool
    bus: Callable[[], pykka.ActorProxy | None]  # the event bus while it runs
    plans: Callable[[], list[Plan]]  # the valid configured plans, checked against the active agents
    audit: Audit
    broadcast: Callable[[str, dict[str, Any]], None]  # a notification to every ACP client, handed out on return
    approval_timeout_seconds: Callable[[], float]  # of the configuration in force

    def call(self, op: str, **kwargs: Any) -> Any:
        """One durable write (an op of SqliteQueue), committed when this returns."""
        return self.store.call(op, **kwargs)

    def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(conn, *args)` on a pooled read connection."""
        return self.reads.run(fn, *args)

    def watch(self, **filters: Any) -> BusWatch:
        """A live subscription to committed events (filters of EventBus.subscribe)."""
        return BusWatch(self.bus(), **filters)

    def approvals(self) -> ApprovalPorts:
        """The approval flow's view of these ports."""
        return ApprovalPorts(call=self.call, audit=self.audit, broadcast=self.broadcast)
