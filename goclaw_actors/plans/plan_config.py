"""Plan definitions from config `plans[]`, validated (SPEC §7.4): invalid plans are skipped with a reason."""

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class PlanStep:
    """One step: which agent runs which prompt after which other steps."""

    id: str
    agent_id: str
    prompt: str
    depends_on: tuple[str, ...] = ()
    requires_approval: bool = False


@dataclass(frozen=True)
class Plan:
    """A named list of steps (config order)."""

    name: str
    steps: tuple[PlanStep, ...]

    @property
    def agent_ids(self) -> list[str]:
        """The agents the steps use, each once, in step order."""
        return list(dict.fromkeys(step.agent_id for step in self.steps))


class InvalidPlan(ValueError):
    """A plan entry that cannot run (empty, duplicate step, unknown agent or dependency, cycle)."""


def load_plans(entries: Any, known_agents: Iterable[str]) -> tuple[list[Plan], list[str]]:
    """The valid plans of `entries` in config order, and one warning per skipped entry."""
    agents = set(known_agents)
    plans: list[Plan] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        try:
            plan = parse_plan(entry, agents)
            if plan.name in seen:
                raise InvalidPlan(f'duplicate plan name "{plan.name}"')
        except InvalidPlan as exc:
            warnings.append(f"plans[{index}] skipped: {exc}")
            continue
        seen.add(plan.name)
        plans.append(plan)
    return plans, warnings


def parse_plan(entry: Any, known_agents: set[str]) -> Plan:
    """One validated plan; raises InvalidPlan."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
        raise InvalidPlan("a plan needs a name")
    name = entry["name"].strip()
    raw_steps = entry.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise InvalidPlan(f'plan "{name}" has no steps')
    steps = tuple(_parse_step(name, raw) for raw in raw_steps)
    ids = [step.id for step in steps]
    for step in steps:
        if ids.count(step.id) > 1:
            raise InvalidPlan(f'plan "{name}": duplicate step id "{step.id}"')
        if step.agent_id not in known_agents:
            raise InvalidPlan(f'plan "{name}": step "{step.id}" uses unknown agent "{step.agent_id}"')
        for dependency in step.depends_on:
            if dependency not in ids:
                raise InvalidPlan(f'plan "{name}": step "{step.id}" depends on unknown step "{dependency}"')
    _check_acyclic(name, steps)
    return Plan(name, steps)


def _parse_step(plan_name: str, raw: Any) -> PlanStep:
    if not isinstance(raw, dict):
        raise InvalidPlan(f'plan "{plan_name}": a step must be a mapping')
    step_id, agent_id, prompt = (str(raw.get(key) or "").strip() for key in ("id", "agent_id", "prompt"))
    if not step_id or not agent_id or not prompt:
        raise InvalidPlan(f'plan "{plan_name}": every step needs id, agent_id and prompt')
    depends_on = raw.get("depends_on") or []
    if not isinstance(depends_on, list):
        raise InvalidPlan(f'plan "{plan_name}": step "{step_id}" depends_on must be a list')
    return PlanStep(step_id, agent_id, prompt, tuple(str(d) for d in depends_on), bool(raw.get("requires_approval")))


def _check_acyclic(plan_name: str, steps: tuple[PlanStep, ...]) -> None:
    """Kahn's algorithm: every step must become ready once its dependencies are done."""
    remaining = {step.id: set(step.depends_on) for step in steps}
    while remaining:
        ready = [step_id for step_id, deps in remaining.items() if not deps]
        if not ready:
            raise InvalidPlan(f'plan "{plan_name}": dependency cycle among {", ".join(sorted(remaining))}')
        for step_id in ready:
            del remaining[step_id]
        for deps in remaining.values():
            deps.difference_update(ready)
