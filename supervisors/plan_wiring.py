"""Builds the PlanRunner from the runtime: its routes to the store, reads, bus, configured plans and audit."""

import pykka

from actors.plan_ports import PlanPorts
from actors.plan_runner import PlanRunner
from goclaw_actors.plans.plan_config import Plan
from goclaw_actors.plans.plan_lookup import configured_plans
from goclaw_actors.store.sqlite_reads import active_agent_ids
from supervisors.runtime import Runtime


def plan_ports(rt: Runtime) -> PlanPorts:
    """The PlanRunner's view of the daemon (plans and approval timeout of the configuration in force)."""

    def plans() -> list[Plan]:
        return configured_plans(rt.config, rt.reads.run(active_agent_ids))

    return PlanPorts(store=rt.store, reads=rt.reads, bus=lambda: rt.registry.proxy("event_bus"),
                     audit=rt.audit_decision, approval_timeout_seconds=rt.approval_timeout_seconds, plans=plans)


def start_plan_runner(rt: Runtime) -> pykka.ActorRef:
    """Start the PlanRunner (it resumes the executions left running) and register it as `plan_runner`."""
    return rt.registry.register("plan_runner", PlanRunner.start(plan_ports(rt)))
