"""Queue maintenance in SQLite: lease reaper, start-up recovery, shutdown drain, aging (SPEC §3.8–3.9)."""

from goclaw_actors.queue import states as st
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow
from goclaw_actors.timeutil import db_now

AGING_WAIT_SECONDS = 30  # a due QUEUED task older than this (since its last update) gains a point
AGING_MAX_PRIORITY = 10  # aging never lifts a task above this priority (also in migration 19's index)
AGING_BATCH = 1000  # tasks aged per call, so that a deep backlog never stalls the store
REAP_BATCH = 500  # expired leases requeued per call, so one call never stalls the store


class MaintenanceSql(SqliteTransitions):
    """Requeueing of lost work and priority aging; each call runs inside the caller's transaction."""

    def requeue_lost(self, task: TaskRow, event_type: str, reason: str, now: str) -> str:
        """Requeue a CLAIMED/RUNNING task whose worker is gone; returns the new status.

        A RUNNING task spends an attempt; if that exhausts `max_attempts` it is dead-lettered.
        """
        attempt = task.attempt + (1 if task.status == st.RUNNING else 0)
        if attempt >= task.max_attempts and task.status == st.RUNNING:
            self.transition(task, st.FAILED, st.EV_FAILED,
                            {"reason": reason, "reason_code": st.DEAD_LETTER_MAX_ATTEMPTS,
                             "attempt": attempt, "max_attempts": task.max_attempts},
                            now, attempt=attempt, last_error_code=st.DEAD_LETTER_MAX_ATTEMPTS,
                            error=task.error or f"{reason}: worker lost the task",
                            lease_owner=None, lease_expires_at=None)
            self.transition(task, st.DEAD_LETTER, st.EV_DEAD_LETTER,
                            {"reason": "terminal_failure", "reason_code": st.DEAD_LETTER_MAX_ATTEMPTS}, now)
            return st.DEAD_LETTER
        self.transition(task, st.QUEUED, event_type, {"reason": reason, "attempt": attempt}, now,
                        attempt=attempt, lease_owner=None, lease_expires_at=None, available_at=now)
        return st.QUEUED

    def requeue_expired_leases(self) -> int:
        """Requeue up to REAP_BATCH CLAIMED/RUNNING tasks whose lease has expired; returns how many."""
        now = db_now()
        rows = self.conn.execute(
            f"SELECT {TASK_COLUMNS} FROM tasks WHERE lease_expires_at < ? AND status IN ('CLAIMED', 'RUNNING') "
            f"ORDER BY lease_expires_at LIMIT ?",
            (now, REAP_BATCH),
        ).fetchall()
        for row in rows:
            self.requeue_lost(TaskRow.from_row(row), st.EV_LEASE_EXPIRED, "lease_expired", now)
        return len(rows)

    def recover_interrupted(self) -> int:
        """At start-up: requeue every CLAIMED/RUNNING task and drop its partial assistant replies."""
        rows = self.conn.execute(
            f"SELECT {TASK_COLUMNS} FROM tasks WHERE status IN ('CLAIMED', 'RUNNING') ORDER BY created_at, id"
        ).fetchall()
        return self.recover_rows(rows, db_now())

    def recover_rows(self, rows: list, now: str) -> int:
        """Requeue the interrupted tasks of `rows` (start-up recovery), dropping their partial assistant
        replies; returns how many."""
        for row in rows:
            task = TaskRow.from_row(row)
            self.conn.execute(
                "DELETE FROM messages WHERE session_id = ? AND agent_id = ? AND role = 'assistant' "
                "AND created_at > ?",
                (task.session_id, task.agent_id, task.updated_at),
            )
            self.requeue_lost(task, st.EV_RECOVERED, "startup_recovery", now)
        return len(rows)

    def release_for_shutdown(self, task_id: str, lease_owner: str) -> bool:
        """Requeue a task still running at the end of the drain, without spending an attempt."""
        task = self.get_task(task_id)
        if task.status not in st.ACTIVE or task.lease_owner != lease_owner:
            return False
        self.transition(task, st.QUEUED, st.EV_REQUEUED, {"reason": "shutdown_drain"}, db_now(),
                        guard_lease=lease_owner, lease_owner=None, lease_expires_at=None, available_at=db_now())
        return True

    def age_queued(self) -> int:
        """Give up to AGING_BATCH due QUEUED tasks that waited over 30 s since their last update one priority
        point (max 10), the longest unchanged first; returns how many."""
        now = db_now()
        return self.conn.execute(
            "UPDATE tasks SET priority = priority + 1, updated_at = ? WHERE id IN (SELECT id FROM tasks "
            # the partial index idx_tasks_aging holds exactly these rows (its WHERE must be repeated literally)
            f"INDEXED BY idx_tasks_aging WHERE status = 'QUEUED' AND priority < {AGING_MAX_PRIORITY} "
            "AND updated_at <= ? AND available_at <= ? ORDER BY updated_at LIMIT ?)",
            (now, db_now(-AGING_WAIT_SECONDS), now, AGING_BATCH),
        ).rowcount
