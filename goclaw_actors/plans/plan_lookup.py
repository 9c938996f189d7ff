"""Finding a configured plan by name, and the rows a new execution of it starts with (SPEC §7.4)."""

from typing import Any, Iterable, Sequence

from goclaw_actors.plans.plan_config import Plan, load_plans
from goclaw_actors.plans.plan_waves import plan_waves


class PlanNotFound(LookupError):
    """No valid plan of that name is configured."""

    def __init__(self, name: str):
        super().__init__(f'plan "{name}" not found')
        self.name = name

    def __str__(self) -> str:
        return self.args[0]


def configured_plans(config: Any, agent_ids: Iterable[str]) -> list[Plan]:
    """The valid plans of config `plans[]`, in config order, checked against the active agents."""
    entries = config.get("plans", []) if config is not None else []
    return load_plans(entries, list(agent_ids))[0]


def find_plan(plans: Sequence[Plan], name: str) -> Plan:
    """The plan called `name`; raises PlanNotFound."""
    plan = next((plan for plan in plans if plan.name == name), None)
    if plan is None:
        raise PlanNotFound(name)
    return plan


def execution_steps(plan: Plan) -> list[dict[str, Any]]:
    """The step rows of a new execution: `{step_id, step_index, wave_number, agent_id, prompt}` in config order
    (`step_index` is the step's position in the plan)."""
    wave_of = {step.id: number for number, wave in enumerate(plan_waves(plan.steps)) for step in wave}
    return [{"step_id": step.id, "step_index": index, "wave_number": wave_of[step.id], "agent_id": step.agent_id,
             "prompt": step.prompt} for index, step in enumerate(plan.steps)]
