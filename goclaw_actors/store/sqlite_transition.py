"""Guarded state transitions: one `UPDATE … WHERE status = <from>` plus one `task_events` row."""

import json
import sqlite3
from typing import Any

from goclaw_actors.errors import IllegalTransition, TaskNotFound
from goclaw_actors.queue.states import TERMINAL, check_transition
from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow
from goclaw_actors.timeutil import db_now


EVENT_INSERT = (
    "INSERT INTO task_events (event_id, task_id, session_id, run_id, trace_id, event_type, state_from, state_to, "
    "payload_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The next event id: task_events is AUTOINCREMENT, so ids of deleted rows are never reused.
NEXT_EVENT_ID = (
    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'task_events'), 0), "
    "coalesce((SELECT max(event_id) FROM task_events), 0)) + 1"
)


class SqliteTransitions:
    """Base of the SQLite queue: transitions and events on one connection inside an open transaction.

    Every event is also appended to `committed_events` so that the store can publish it once the
    surrounding transaction commits. Event rows are written together, with one `executemany`, by
    `flush_events()`, which whoever opened the transaction calls before COMMIT (and every operation
    that reads or changes `task_events` calls first).
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.committed_events: list[dict[str, Any]] = []
        self.traceparent: str | None = None  # the trace context of the request being run (tasks it creates keep it)
        self._event_rows: list[tuple] = []
        self._next_event_id: int | None = None

    def flush_events(self) -> None:
        """Write the event rows recorded since the last flush (in the open transaction)."""
        if self._event_rows:
            rows, self._event_rows = self._event_rows, []
            self.conn.executemany(EVENT_INSERT, rows)

    def discard_events(self, mark: int) -> None:
        """Forget the events recorded after the first `mark` of `committed_events`: their request was rolled
        back (to a savepoint taken before them), and their ids are free again."""
        if len(self.committed_events) > mark:
            first = self.committed_events[mark]["event_id"]
            del self.committed_events[mark:]
            self._event_rows = [row for row in self._event_rows if row[0] < first]
            self._next_event_id = first

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
        payload: dict[str, Any] | str,
        now: str | None = None,
    ) -> dict[str, Any]:
        """Record one `task_events` row for `task` (written by the next `flush_events`) and remember it for
        publication."""
        return self.record_event(task.id, task.session_id, task.agent_id, task.run_id or "", event_type,
                                 state_from, state_to, payload, now or db_now(), task.trace_id)

    def record_event(self, task_id: str, session_id: str, agent_id: str, run_id: str, event_type: str,
                     state_from: str | None, state_to: str | None, payload: dict[str, Any] | str,
                     now: str, trace_id: str = "") -> dict[str, Any]:
        """`event` from the row's values; `payload` may be its JSON text already; `trace_id` defaults to the
        session id (SPEC §3.3)."""
        trace_id = trace_id or session_id
        if self._next_event_id is None:
            (self._next_event_id,) = self.conn.execute(NEXT_EVENT_ID).fetchone()
        event_id = self._next_event_id
        self._next_event_id += 1
        payload_json = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        self._event_rows.append((event_id, task_id, session_id, run_id, trace_id, event_type, state_from,
                                 state_to, payload_json, now))
        event = {
            "event_id": event_id,
            "task_id": task_id,
            "session_id": session_id,
            "agent_id": agent_id,
            "run_id": run_id,
            "trace_id": trace_id,
            "event_type": event_type,
            "state_from": state_from,
            "state_to": state_to,
            "payload_json": payload_json,
            "created_at": now,
        }
        self.committed_events.append(event)
        return event
