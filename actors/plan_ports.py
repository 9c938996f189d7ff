"""What the plan runner uses of the daemon: the daemon ports plus the configured plans and approval timeout."""

from dataclasses import dataclass
from typing import Callable

from actors.daemon_ports import DaemonPorts
from goclaw_actors.plans.plan_config import Plan


@dataclass
class PlanPorts(DaemonPorts):
    """DaemonPorts with the valid configured plans (checked against the active agents) and the approval timeout."""

    plans: Callable[[], list[Plan]] = lambda: []
    approval_timeout_seconds: float = 60.0
