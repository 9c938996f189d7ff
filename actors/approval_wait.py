"""Waiting for an approval's decision (SPEC §5.5), shared by gated plan steps and tool calls.

The waiter holds no transaction: it watches the bus for `approval.updated` and re-reads the row. An
approval still pending at `expires_at` is denied here (default deny), audited
`approval_timeout_default_deny` and announced like any decision; a decision that got there first stands.
"""

from typing import Any, Callable

import gevent.queue

from actors.bus_watch import BusWatch
from actors.daemon_ports import DaemonPorts
from goclaw_actors.broadcasts import APPROVAL_REQUIRED, APPROVAL_UPDATED, approval_item
from goclaw_actors.store.sqlite_approvals import DENIED, PENDING, ApprovalResolved
from goclaw_actors.timeutil import parse_db, utc_now

EXPIRY_AUDIT = ("deny", "approval.expire", "approval_timeout_default_deny")


def watch_decisions(ports: DaemonPorts) -> BusWatch:
    """A subscription to `approval.updated`, opened before the approval is created so no decision is missed."""
    return ports.watch(event_types=frozenset({APPROVAL_UPDATED}))


def create_announced(ports: DaemonPorts, action: str, details: str, timeout_seconds: float,
                     task_id: str | None = None) -> dict[str, Any]:
    """Create a PENDING approval and broadcast `approval.required`; returns the row."""
    approval = ports.call("create_approval", action=action, details=details, timeout_seconds=timeout_seconds,
                          task_id=task_id)
    ports.broadcast(APPROVAL_REQUIRED, approval_item(approval))
    return approval


def await_decision(ports: DaemonPorts, watch: BusWatch, approval: dict[str, Any],
                   reread: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Wait until `approval` is decided; returns the decided row and whether it expired."""
    expired = False
    while approval["status"] == PENDING:
        remaining = (parse_db(approval["expires_at"]) - utc_now()).total_seconds()
        if remaining <= 0:
            expired = expire(ports, approval["approval_id"])
        else:
            try:
                event = watch.queue.get(timeout=remaining)
            except gevent.queue.Empty:
                continue
            if event.get("params", {}).get("approval_id") != approval["approval_id"]:
                continue
        approval = reread()
    return approval, expired


def expire(ports: DaemonPorts, approval_id: str) -> bool:
    """Deny a pending approval whose time is up; False when a decision got there first (it stands)."""
    try:
        decided = ports.call("resolve_approval", approval_id=approval_id, status=DENIED)
    except ApprovalResolved:
        return False
    decision, action, reason = EXPIRY_AUDIT
    ports.audit(decision, action, reason, approval_id)
    ports.broadcast(APPROVAL_UPDATED, {"approval_id": approval_id, "status": decided["status"]})
    return True
