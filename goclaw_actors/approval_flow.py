"""Approvals as every requester and decider handles them (SPEC §5.5, §11.2).

Whoever asks (ACP `approval.request`, a gated plan step, a tool call) goes through `request_approval`:
a PENDING row expiring `approval_timeout_seconds` from now, announced with `approval.required`.
Whoever decides (ACP `approval.respond`, QueueMaintenance on expiry) goes through `decide_approval` or
`expire_due_approvals`: the row is decided once, the decision is audited (`approval_approved`,
`approval_denied`, `approval_timeout_default_deny`, with the approval's task as trace id) and announced
with `approval.updated {approval_id, status}`.

    ports = ApprovalPorts(store=store, audit=audit_decision, broadcast=broadcast)
    row = request_approval(ports, "deploy", '{"env":"prod"}', approval_timeout_seconds(config))
"""

from dataclasses import dataclass
from typing import Any, Callable

from goclaw_actors.broadcasts import APPROVAL_REQUIRED, APPROVAL_UPDATED, approval_item
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.store.api.facade import StoreApi
from goclaw_actors.store.sqlite_approvals import APPROVED, DENIED, timed_out

DEFAULT_APPROVAL_TIMEOUT_SECONDS = 60.0
DECISIONS = {"approve": APPROVED, "deny": DENIED}  # what clients say, any case
DECIDE_ACTION = "approval.respond"  # audit action of a decision
EXPIRE_ACTION = "approval.expire"  # audit action of an expiry

log = get_logger("approvals")


@dataclass
class ApprovalPorts:
    """What the approval flow uses of the daemon."""

    store: StoreApi  # committed store writes (`store.approvals`)
    audit: Callable[..., None]  # audit(decision, action, reason, subject=..., trace_id=...)
    broadcast: Callable[[str, dict[str, Any]], None]  # broadcast(method, params) to every ACP client


def approval_timeout_seconds(config: Any) -> float:
    """`approval_timeout_seconds` of a Config (60 unless set; None means the default)."""
    value = config.get("approval_timeout_seconds") if config is not None else None
    return float(value) if value is not None else DEFAULT_APPROVAL_TIMEOUT_SECONDS


def request_approval(ports: ApprovalPorts, action: str, details: str, timeout_seconds: float,
                     task_id: str | None = None) -> dict[str, Any]:
    """Create a PENDING approval expiring `timeout_seconds` from now and announce it; returns the row."""
    row = ports.store.approvals.create_approval(action=action, details=details, timeout_seconds=timeout_seconds,
                                                task_id=task_id)
    ports.broadcast(APPROVAL_REQUIRED, approval_item(row))
    return row


def decide_approval(ports: ApprovalPorts, approval_id: str, status: str) -> dict[str, Any]:
    """Decide a pending approval (APPROVED or DENIED), audit and announce it; returns the row.

    Raises ApprovalNotFound, or ApprovalResolved when it was already decided or has expired.
    """
    row = ports.store.approvals.resolve_approval(approval_id=approval_id, status=status)
    announce_decision(ports, row)
    return row


def expire_due_approvals(ports: ApprovalPorts) -> list[dict[str, Any]]:
    """Deny every pending approval past its expiry, audit and announce each; returns the denied rows."""
    rows = ports.store.approvals.expire_approvals()
    for row in rows:
        try:
            announce_decision(ports, row)
        except Exception as exc:  # noqa: BLE001 - the denial stands; the other rows are still announced
            log.error("expired approval not audited or announced", approval_id=row["approval_id"], error=str(exc))
    return rows


def decision_audit(row: dict[str, Any]) -> tuple[str, str, str]:
    """(decision, action, reason) recorded for a decided approval row."""
    if row["status"] == APPROVED:
        return "allow", DECIDE_ACTION, "approval_approved"
    if timed_out(row):
        return "deny", EXPIRE_ACTION, "approval_timeout_default_deny"
    return "deny", DECIDE_ACTION, "approval_denied"


def announce_decision(ports: ApprovalPorts, row: dict[str, Any]) -> None:
    """Audit a decided approval and broadcast `approval.updated`."""
    decision, action, reason = decision_audit(row)
    ports.audit(decision, action, reason, subject=row["approval_id"], trace_id=row.get("task_id"))
    ports.broadcast(APPROVAL_UPDATED, {"approval_id": row["approval_id"], "status": row["status"]})
