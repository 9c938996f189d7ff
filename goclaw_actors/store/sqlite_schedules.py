"""Cron schedules in SQLite (SPEC §10): add, remove, enable, disable, and fire a due slot."""

import time
import uuid
from typing import Any

from goclaw_actors.errors import AgentNotFound, QueueSaturated, StoreError
from goclaw_actors.schedule_firing import SCHEDULE_TASK, scheduled_task
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

FIRED, SKIPPED, SCHEDULED, STALE = "fired", "skipped", "scheduled", "stale"


class ScheduleNotFound(StoreError):
    """No schedule has the given id."""

    def __init__(self, schedule_id: str):
        super().__init__(f"schedule not found: {schedule_id}")
        self.schedule_id = schedule_id


class ScheduleSql(SqliteTransitions):
    """Schedule rows, in the caller's transaction; `next_run_at` is computed by the caller (croniter).

    `enqueue` comes from the composed SqliteQueue.
    """

    def add_schedule(self, name: str, cron_expr: str, payload: str, next_run_at: str,
                     session_id: str | None = None, agent_id: str = "default") -> str:
        """Insert an enabled schedule; returns its id."""
        schedule_id = str(uuid.uuid4())
        now = db_now()
        self.conn.execute(
            "INSERT INTO schedules (id, name, cron_expr, payload, session_id, agent_id, enabled, next_run_at, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            (schedule_id, name, cron_expr, payload, session_id, agent_id, next_run_at, now, now))
        return schedule_id

    def remove_schedule(self, schedule_id: str) -> bool:
        """Delete a schedule; raises ScheduleNotFound."""
        if self.conn.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,)).rowcount != 1:
            raise ScheduleNotFound(schedule_id)
        return True

    def set_schedule_enabled(self, schedule_id: str, enabled: bool, next_run_at: str | None = None) -> bool:
        """Enable (with a recomputed `next_run_at`) or disable a schedule; raises ScheduleNotFound."""
        if enabled:
            cursor = self.conn.execute(
                "UPDATE schedules SET enabled = 1, next_run_at = ?, updated_at = ? WHERE id = ?",
                (next_run_at, db_now(), schedule_id))
        else:
            cursor = self.conn.execute("UPDATE schedules SET enabled = 0, updated_at = ? WHERE id = ?",
                                       (db_now(), schedule_id))
        if cursor.rowcount != 1:
            raise ScheduleNotFound(schedule_id)
        return True

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
        `stale` (removed, disabled or already moved on since `due_at` was read: nothing done).
        """
        row = self.conn.execute(
            "SELECT id, name, payload, session_id, agent_id FROM schedules "
            "WHERE id = ? AND enabled = 1 AND next_run_at IS ?", (schedule_id, due_at)).fetchone()
        if row is None:
            return {"status": STALE}
        outcome: dict[str, Any] = {"status": SCHEDULED}
        if due_at is not None:
            outcome = self._fire_slot(dict(zip(("id", "name", "payload", "session_id", "agent_id"), row)), due_at)
        if hold_seconds:
            time.sleep(hold_seconds)
        self.conn.execute(
            "UPDATE schedules SET next_run_at = ?, enabled = ?, last_run_at = CASE WHEN ? THEN ? ELSE last_run_at END, "
            "updated_at = ? WHERE id = ?",
            (next_run_at, int(next_run_at is not None), outcome["status"] == FIRED, now, db_now(), schedule_id))
        return outcome

    def _fire_slot(self, schedule: dict[str, Any], due_at: str) -> dict[str, Any]:
        task = scheduled_task(schedule, due_at)
        if task is None:
            return {"status": SKIPPED, "reason": "empty_content", "error": "schedule payload has no content"}
        self.conn.execute("SAVEPOINT fire_slot")
        try:
            enqueued = self.enqueue(task.session_id, task.payload, agent_id=task.agent_id, task_type=SCHEDULE_TASK,
                                    idempotency_key=task.idempotency_key)
        except (AgentNotFound, QueueSaturated) as exc:
            self.conn.execute("ROLLBACK TO fire_slot")
            self.conn.execute("RELEASE fire_slot")
            reason = "agent_not_found" if isinstance(exc, AgentNotFound) else "queue_saturated"
            return {"status": SKIPPED, "reason": reason, "error": str(exc)}
        self.conn.execute("RELEASE fire_slot")
        return {"status": FIRED, "task_id": enqueued["task_id"]}
