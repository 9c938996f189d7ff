"""The approval a gated plan step waits for (SPEC §5.5, §7.4): created once, decided by a client or expired."""

from typing import Any

import gevent.queue

from actors.plan_ports import PlanPorts
from goclaw_actors.broadcasts import APPROVAL_REQUIRED, APPROVAL_UPDATED, approval_item
from goclaw_actors.store.plan_reads import plan_step_approval
from goclaw_actors.store.sqlite_approvals import APPROVED, DENIED, PENDING, ApprovalResolved
from goclaw_actors.store.sqlite_plans import PLAN_STEP_ACTION, plan_step_details
from goclaw_actors.timeutil import parse_db, utc_now

APPROVAL_DENIED = "approval denied"
APPROVAL_EXPIRED = "approval expired"
EXPIRY_AUDIT = ("deny", "approval.expire", "approval_timeout_default_deny")


def await_step_approval(ports: PlanPorts, execution: dict[str, Any], step: dict[str, Any]) -> str | None:
    """Wait until the step's approval is decided; None when approved, else why the step fails.

    The approval is created (and announced) on first need, and found again after a restart. An
    approval still pending at its expiry is denied here, audited and announced like any decision.
    """
    with ports.watch(event_types=frozenset({APPROVAL_UPDATED})) as watch:
        approval = ports.read(plan_step_approval, execution["id"], step["step_id"])
        if approval is None:
            details = plan_step_details(execution["id"], execution["plan_name"], step["step_id"],
                                        step["agent_id"], step["prompt"])
            approval = ports.call("create_approval", action=PLAN_STEP_ACTION, details=details,
                                  timeout_seconds=ports.approval_timeout_seconds)
            ports.broadcast(APPROVAL_REQUIRED, approval_item(approval))
        expired = False
        while approval["status"] == PENDING:
            remaining = (parse_db(approval["expires_at"]) - utc_now()).total_seconds()
            if remaining <= 0:
                expired = _expire(ports, approval["approval_id"])
            else:
                try:
                    event = watch.queue.get(timeout=remaining)
                except gevent.queue.Empty:
                    continue
                if event.get("params", {}).get("approval_id") != approval["approval_id"]:
                    continue
            approval = ports.read(plan_step_approval, execution["id"], step["step_id"])
    if approval["status"] == APPROVED:
        return None
    return APPROVAL_EXPIRED if expired else APPROVAL_DENIED


def _expire(ports: PlanPorts, approval_id: str) -> bool:
    """Deny a pending approval whose time is up; False when a decision got there first (it stands)."""
    try:
        decided = ports.call("resolve_approval", approval_id=approval_id, status=DENIED)
    except ApprovalResolved:
        return False
    decision, action, reason = EXPIRY_AUDIT
    ports.audit(decision, action, reason, approval_id)
    ports.broadcast(APPROVAL_UPDATED, {"approval_id": approval_id, "status": decided["status"]})
    return True
