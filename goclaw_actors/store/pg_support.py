"""What the PostgreSQL backend does not run yet: a daemon configured to need it refuses to start, naming
the setting, instead of misbehaving later."""

from typing import Any

from goclaw_actors.errors import StartupError
from goclaw_actors.store.store_target import is_postgres


def backend_problems(config: Any) -> list[str]:
    """Settings of `config` that need a feature the PostgreSQL backend lacks; [] when there are none."""
    problems = []
    for plan in config.get("plans") or []:
        steps = plan.get("steps") if isinstance(plan, dict) else None
        if any(isinstance(step, dict) and step.get("requires_approval") for step in steps or []):
            problems.append(f"plan {plan.get('name')!r} has a step with requires_approval, which the PostgreSQL "
                            "backend does not run yet (its approval lookup is SQLite JSON SQL)")
    return problems


def check_backend_features(target: Any, config: Any) -> None:
    """Raise E_CONFIG_LOAD when `storage.backend: postgres` is combined with a feature it cannot serve."""
    if not is_postgres(target):
        return
    problems = backend_problems(config)
    if problems:
        raise StartupError("E_CONFIG_LOAD", "storage.backend postgres: " + "; ".join(problems))
