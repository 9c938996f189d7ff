"""The approval a gated plan step waits for (SPEC §5.5, §7.4): created once, decided by a client or expired."""

from typing import Any

from actors.approval_wait import await_decision, watch_decisions
from actors.plan_ports import PlanPorts
from goclaw_actors.approval_flow import request_approval
from goclaw_actors.store.plan_reads import plan_step_approval
from goclaw_actors.store.sqlite_approvals import APPROVED, timed_out
from goclaw_actors.store.sqlite_plans import PLAN_STEP_ACTION, plan_step_details

APPROVAL_DENIED = "approval denied"
APPROVAL_EXPIRED = "approval expired"


def await_step_approval(ports: PlanPorts, execution: dict[str, Any], step: dict[str, Any]) -> str | None:
    """Wait until the step's approval is decided; None when approved, else why the step fails.

    The approval is created (and announced) on first need, and found again after a restart. Like every
    approval it is denied at its expiry by QueueMaintenance, which audits and announces the denial.
    """
    with watch_decisions(ports) as watch:
        approval = ports.read(plan_step_approval, execution["id"], step["step_id"])
        if approval is None:
            details = plan_step_details(execution["id"], execution["plan_name"], step["step_id"],
                                        step["agent_id"], step["prompt"])
            approval = request_approval(ports.approvals(), PLAN_STEP_ACTION, details,
                                        ports.approval_timeout_seconds())
        approval = await_decision(watch, approval,
                                  lambda: ports.read(plan_step_approval, execution["id"], step["step_id"]))
    if approval["status"] == APPROVED:
        return None
    return APPROVAL_EXPIRED if timed_out(approval) else APPROVAL_DENIED
