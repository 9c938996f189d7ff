"""What the plan runner uses of the daemon: the daemon ports plus the configured plans."""

from dataclasses import dataclass, field
from typing import Callable

from actors.daemon_ports import DaemonPorts
from goclaw_actors.plans.plan_config import Plan


@dataclass
class PlanPorts(DaemonPorts):
    """DaemonPorts with the valid configured plans (checked against the active agents)."""

    plans: Callable[[], list[Plan]] = field(default=lambda: [])
