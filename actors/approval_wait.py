"""Waiting for an approval's decision (SPEC §5.5), shared by gated plan steps and tool calls.

The waiter holds no transaction: it watches the bus for `approval.updated` and re-reads the row. It never
decides: every approval is requested through goclaw_actors.approval_flow, and one still pending at its
`expires_at` is denied by QueueMaintenance (checked each second), which audits
`approval_timeout_default_deny` and announces it like any decision.
"""

from typing import Any, Callable

import gevent.queue

from actors.bus_watch import BusWatch
from actors.daemon_ports import DaemonPorts
from goclaw_actors.broadcasts import APPROVAL_UPDATED
from goclaw_actors.store.sqlite_approvals import PENDING
from goclaw_actors.timeutil import parse_db, utc_now

EXPIRY_RECHECK_SECONDS = 1.0  # past the expiry, how often the row is read again until its denial lands


def watch_decisions(ports: DaemonPorts) -> BusWatch:
    """A subscription to `approval.updated`, opened before the approval is created so no decision is missed."""
    return ports.watch(event_types=frozenset({APPROVAL_UPDATED}))


def await_decision(watch: BusWatch, approval: dict[str, Any],
                   reread: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Wait until `approval` is decided (approved, denied, or denied at its expiry); returns the decided row."""
    while approval["status"] == PENDING:
        remaining = (parse_db(approval["expires_at"]) - utc_now()).total_seconds()
        try:
            event = watch.queue.get(timeout=remaining if remaining > 0 else EXPIRY_RECHECK_SECONDS)
        except gevent.queue.Empty:
            event = None
        if event is not None and event.get("params", {}).get("approval_id") != approval["approval_id"]:
            continue
        approval = reread()
    return approval
