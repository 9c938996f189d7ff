"""The approval a gated plan step waits for (SPEC §5.5, §7.4): created once, decided by a client or expired."""

from typing import Any

from actors.approval_wait import await_decision, create_announced, watch_decisions
from actors.plan_ports import PlanPorts
from goclaw_actors.store.plan_reads import plan_step_approval
from goclaw_actors.store.sqlite_approvals import APPROVED
from goclaw_actors.store.sqlite_plans import PLAN_STEP_ACTION, plan_step_details

APPROVAL_DENIED = "approval denied"
APPROVAL_EXPIRED = "approval expired"


def await_step_approval(ports: PlanPorts, execution: dict[str, Any], step: dict[str, Any]) -> str | None:
    """Wait until the step's approval is decided; None when approved, else why the step fails.

    The approval is created (and announced) on first need, and found again after a restart.
    """
    with watch_decisions(ports) as watch:
        approval = ports.read(plan_step_approval, execution["id"], step["step_id"])
        if approval is None:
            details = plan_step_details(execution["id"], execution["plan_name"], step["step_id"],
                                        step["agent_id"], step["prompt"])
            approval = create_announced(ports, PLAN_STEP_ACTION, details, ports.approval_timeout_seconds)
        approval, expired = await_decision(
            ports, watch, approval, lambda: ports.read(plan_step_approval, execution["id"], step["step_id"]))
    if approval["status"] == APPROVED:
        return None
    return APPROVAL_EXPIRED if expired else APPROVAL_DENIED
