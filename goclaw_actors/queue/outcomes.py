"""What a lane writes when an attempt ends, and how many started tasks a lane takes at once (SPEC §3.5–3.6)."""

from typing import Any

from goclaw_actors.attempt_failure import AttemptFailure
from goclaw_actors.store.task_row import TaskRow

FAST_RUN_SECONDS = 0.01  # a lane takes several tasks at once only while its attempts end this fast
MAX_PREFETCH = 8  # started tasks a lane holds at most (it runs them one after the other)


def claim_limit(last_run_seconds: float | None, lease_seconds: float) -> int:
    """How many tasks a lane claims and starts at once: one, unless its last attempt was fast; then as many
    as it surely runs well within their lease (held tasks' leases are renewed by its heartbeat too)."""
    if last_run_seconds is None or last_run_seconds > FAST_RUN_SECONDS:
        return 1
    return max(1, min(MAX_PREFETCH, int(lease_seconds / (2 * FAST_RUN_SECONDS))))


def succeeded(task: TaskRow, value: Any, queue_wait_ms: int, run_ms: int) -> dict[str, Any]:
    """The `record_outcomes` entry of an attempt that returned `value`: a success, or a failed attempt when
    the value is not an object with a string `reply`."""
    if not isinstance(value, dict) or not isinstance(value.get("reply"), str):
        return failed(task, f"processor returned an invalid result: {type(value).__name__}", None)
    result = dict(value)
    return {"task_id": task.id, "lease_owner": task.lease_owner, "result": result,
            "usage": result.pop("_usage", None), "metrics": {"queue_wait_ms": queue_wait_ms, "run_ms": run_ms}}


def failed(task: TaskRow, error: str, failure: AttemptFailure | None) -> dict[str, Any]:
    """The `record_outcomes` entry of an attempt that failed with `error`."""
    outcome: dict[str, Any] = {"task_id": task.id, "lease_owner": task.lease_owner, "error": error}
    if failure is not None:
        outcome["failure"] = failure.as_dict()
    return outcome
