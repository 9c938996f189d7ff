"""Waves of a plan (SPEC §7.4): steps grouped by topological level; the steps of one wave run together."""

from typing import Sequence

from goclaw_actors.plans.plan_config import PlanStep


def plan_waves(steps: Sequence[PlanStep]) -> list[list[PlanStep]]:
    """The steps by level, in config order inside a level.

    Wave 0 holds the steps without dependencies; every other step sits one wave after its latest
    dependency. Raises ValueError for an unknown dependency or a cycle (plan_config rejects both).
    """
    by_id = {step.id: step for step in steps}
    levels: dict[str, int] = {}
    for step in steps:
        _level(step, by_id, levels, ())
    waves: list[list[PlanStep]] = [[] for _ in range(max(levels.values(), default=-1) + 1)]
    for step in steps:
        waves[levels[step.id]].append(step)
    return waves


def _level(step: PlanStep, by_id: dict[str, PlanStep], levels: dict[str, int], path: tuple[str, ...]) -> int:
    if step.id in levels:
        return levels[step.id]
    if step.id in path:
        raise ValueError(f"dependency cycle through step {step.id!r}")
    level = 0
    for dependency in step.depends_on:
        if dependency not in by_id:
            raise ValueError(f"step {step.id!r} depends on unknown step {dependency!r}")
        level = max(level, _level(by_id[dependency], by_id, levels, path + (step.id,)) + 1)
    levels[step.id] = level
    return level
