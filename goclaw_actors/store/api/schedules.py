"""Cron schedules and their firings."""

from typing import Any, Protocol


class SchedulesApi(Protocol):
    """Cron schedules and their firings."""

    def add_schedule(self, name: str, cron_expr: str, payload: str, next_run_at: str,
                     session_id: str | None = None, agent_id: str = "default") -> str:
        """Insert an enabled schedule; returns its id."""
        ...

    def remove_schedule(self, schedule_id: str) -> bool:
        """Delete a schedule; raises ScheduleNotFound."""
        ...

    def set_schedule_enabled(self, schedule_id: str, enabled: bool, next_run_at: str | None = None) -> bool:
        """Enable (with a recomputed `next_run_at`) or disable a schedule; raises ScheduleNotFound."""
        ...

    def fire_schedule(self, schedule_id: str, due_at: str | None, next_run_at: str | None, now: str,
                      hold_seconds: float = 0.0) -> dict[str, Any]:
        """Fire the slot `due_at` of an enabled schedule and move it to `next_run_at`, in this transaction.

        The slot's `schedule` task is enqueued, `last_run_at` set to `now` and `next_run_at` advanced
        together, so a crash leaves either all of it or none, and a slot never fires twice (the task's
        idempotency key is the slot). A slot whose agent is gone or whose queue is saturated, or whose
        payload holds no content, is skipped: `next_run_at` advances, nothing is enqueued. `due_at` None
        (a row that never had a fire time) only sets `next_run_at`; `next_run_at` None (the expression
        never fires) disables the schedule. `hold_seconds` keeps the transaction open before it records
        the advance (crash tests only).

        Returns `{status}`: `fired` with `task_id`, `skipped` with `reason` and `error`, `scheduled`, or
        `stale` (removed, disabled or already moved on since `due_at` was read: nothing done)."""
        ...
