"""Cron schedules in SQLite (SPEC §10): add, remove, enable and disable."""

import uuid

from goclaw_actors.errors import StoreError
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now


class ScheduleNotFound(StoreError):
    """No schedule has the given id."""

    def __init__(self, schedule_id: str):
        super().__init__(f"schedule not found: {schedule_id}")
        self.schedule_id = schedule_id


class ScheduleSql(SqliteTransitions):
    """Schedule rows, in the caller's transaction; `next_run_at` is computed by the caller (croniter)."""

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

