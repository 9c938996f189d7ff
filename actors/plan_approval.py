"""The approval a gated plan step waits for (SPEC §5.5, §7.4): created once, decided by a client or expired."""

from typing import Any

import gevent.queue

from actors.plan_ports import PlanPorts
from goclaw_actors.approval_flow import request_approval
from goclaw_actors.broadcasts import APPROVAL_UPDATED
from goclaw_actors.store.plan_reads import plan_step_approval
from goclaw_actors.store.sqlite_approvals import APPROVED, PENDING, timed_out
from goclaw_actors.store.sqlite_plans import PLAN_STEP_ACTION, plan_step_details
from goclaw_actors.timeutil import parse_db, utc_now

APPROVAL_DENIED = "approval denied"
APPROVAL_EXPIRED = "approval expired"
EXPIRY_RECHECK_SECONDS = 1.0  # past the expiry, how often the row is read again until its denial lands


def await_step_approval(ports: PlanPorts, execution: dict[str, Any], step: dict[str, Any]) -> str | None:
    """Wait until the step's approval is decided; None when approved, else why the step fails.

    The approval is created (and announced) on first need, and found again after a restart. Like every
    approval it is denied at its expiry by QueueMaintenance, which audits and announces the denial.
    """
    with ports.watch(event_types=frozenset({APPROVAL_UPDATED})) as watch:
        approval = ports.read(plan_step_approval, execution["id"], step["step_id"])
        if approval is None:
            details = plan_step_details(execution["id"], execution["plan_name"], step["step_id"],
                                        step["agent_id"], step["prompt"])
            approval = request_approval(ports.approvals(), PLAN_STEP_ACTION, details,
                                        ports.approval_timeout_seconds())
        while approval["status"] == PENDING:
            remaining = (parse_db(approval["expires_at"]) - utc_now()).total_seconds()
            try:
                event = watch.queue.get(timeout=remaining if remaining > 0 else EXPIRY_RECHECK_SECONDS)
            except gevent.queue.Empty:
                event = None
            if event is not None and event.get("params", {}).get("approval_id") != approval["approval_id"]:
                continue
            approval = ports.read(plan_step_approval, execution["id"], step["step_id"])
    if approval["status"] == APPROVED:
        return None
    return APPROVAL_EXPIRED if timed_out(approval) else APPROVAL_DENIED
