"""Guarded state transitions: one `UPDATE … WHERE status = <from>` plus one `task_events` row."""

import json
import sqlite3
from typing import Any

from goclaw_actors.errors import IllegalTransition, TaskNotFound
from goclaw_actors.queue.states import TERMINAL, check_transition
from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow
from goclaw_actors.timeutil import db_now


class SqliteTransitions:
    """Base of the SQLite queue: transitions and events on one connection inside an open transaction.

    Every event written is also appended to `committed_events` so that the store can
    publish it once the surrounding transaction commits.
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.committed_events: list[dict[str, Any]] = []
        self.traceparent: str | None = None  # the trace context of the request being run (tasks it creates keep it)

    def get_task(self, task_id: str) -> TaskRow:
        """The task with `task_id`, or TaskNotFound."""
        row = self.conn.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None:
            raise TaskNotFound(task_id)
        return TaskRow.from_row(row)

    def transition(
        self,
        task: TaskRow,
        state_to: str,
        event_type: str,
        payload: dict[str, Any],
        now: str,
        guard_lease: str | None = None,
        **sets: Any,
    ) -> None:
        """Move `task` to `state_to` if it is still in `task.status` (and, if given, still leased by `guard_lease`).

        Raises IllegalTransition when the machine forbids the move or the guard no longer holds;
        nothing is written then. `sets` are extra columns to update. `task` is updated in place.
        """
        check_transition(task.status, state_to)
        columns = {"status": state_to, "updated_at": now, **sets}
        assignments = ", ".join(f"{name} = ?" for name in columns)
        sql = f"UPDATE tasks SET {assignments} WHERE id = ? AND status = ?"
        params = [*columns.values(), task.id, task.status]
        if guard_lease is not None:
            sql += " AND lease_owner = ?"
            params.append(guard_lease)
        if self.conn.execute(sql, params).rowcount != 1:
            raise IllegalTransition(
                f"task {task.id} is no longer {task.status}"
                + (" under this lease" if guard_lease is not None else "")
            )
        state_from = task.status
        task.status = state_to
        task.updated_at = now
        for name, value in sets.items():
            if hasattr(task, name):
                setattr(task, name, value)
        self.event(task, event_type, state_from, state_to, payload, now)
        if state_to in TERMINAL:
            self.task_ended(task, now)

    def task_ended(self, task: TaskRow, now: str) -> None:
        """Called in the transaction that made `task` terminal (its row and `task` already updated); mixins
        that keep rows about a task's outcome (delegations) override it and call super()."""

    def event(
        self,
        task: TaskRow,
        event_type: str,
        state_from: str | None,
        state_to: str | None,
        payload: dict[str, Any],
        now: str | None = None,
    ) -> dict[str, Any]:
        """Append one `task_events` row for `task` and remember it for publication."""
        now = now or db_now()
        payload_json = json.dumps(payload, separators=(",", ":"))
        trace_id = task.trace_id
        cursor = self.conn.execute(
            "INSERT INTO task_events (task_id, session_id, run_id, trace_id, event_type, state_from, "
            "state_to, payload_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (task.id, task.session_id, task.run_id or "", trace_id, event_type, state_from, state_to,
             payload_json, now),
        )
        event = {
            "event_id": cursor.lastrowid,
            "task_id": task.id,
            "session_id": task.session_id,
            "agent_id": task.agent_id,
            "run_id": task.run_id or "",
            "trace_id": trace_id,
            "event_type": event_type,
            "state_from": state_from,
            "state_to": state_to,
            "payload_json": payload_json,
            "created_at": now,
        }
        self.committed_events.append(event)
        return event
