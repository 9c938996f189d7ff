"""What green threads working for the daemon use of it: durable writes, reads, bus watches, broadcasts, audit."""

from dataclasses import dataclass
from typing import Any, Callable

import pykka

from actors.bus_watch import BusWatch
from actors.event_bus import Publish
from actors.store_client import StoreClient
from goclaw_actors.approval_flow import ApprovalPorts
from goclaw_actors.broadcasts import broadcast_event
from goclaw_actors.store.read_pool import ReadPool

BROADCAST_SECONDS = 10.0  # the bus hands a broadcast to every watcher within this

Audit = Callable[..., None]
"""Records a decision: `audit(decision, action, reason, subject=None, trace_id=None)` (audit.jsonl + audit_log)."""


@dataclass
class DaemonPorts:
    """Routes to the rest of the daemon, resolved on each use (actors behind them may restart)."""

    store: StoreClient  # durable writes by noun: `ports.store.tasks.enqueue(...)`
    reads: ReadPool
    bus: Callable[[], pykka.ActorProxy | None]  # the event bus while it runs
    audit: Audit
    approval_timeout_seconds: Callable[[], float]  # of the configuration in force

    def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(conn, *args)` on a pooled read connection."""
        return self.reads.run(fn, *args)

    def watch(self, **filters: Any) -> BusWatch:
        """A live subscription to committed events (filters of EventBus.subscribe)."""
        return BusWatch(self.bus(), **filters)

    def broadcast(self, method: str, params: dict[str, Any]) -> None:
        """Deliver a broadcast notification to every ACP client; returns once the bus has handed it out."""
        bus = self.bus()
        if bus is None:
            raise pykka.ActorDeadError("event_bus is not running")
        bus.actor_ref.ask(Publish([broadcast_event(method, params)]), timeout=BROADCAST_SECONDS)

    def approvals(self) -> ApprovalPorts:
        """The approval flow's view of these ports."""
        return ApprovalPorts(store=self.store, audit=self.audit, broadcast=self.broadcast)
