"""Read-only queries for status, health, dispatch timing and task inspection."""

import json
import sqlite3
from typing import Any, Iterable

from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow
from goclaw_actors.timeutil import db_now

EVENT_COLUMNS = ("event_id, task_id, session_id, run_id, trace_id, event_type, state_from, state_to, "
                 "payload_json, created_at")


def get_task(conn: sqlite3.Connection, task_id: str) -> TaskRow | None:
    """The task with `task_id`, or None."""
    row = conn.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchone()
    return TaskRow.from_row(row) if row else None


def task_events(conn: sqlite3.Connection, task_id: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Events of one task in ascending order."""
    cursor = conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM task_events WHERE task_id = ? ORDER BY event_id LIMIT ?", (task_id, limit)
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def last_failure(conn: sqlite3.Connection, task_id: str) -> dict[str, Any] | None:
    """The `failure` recorded with the task's last failed attempt (SPEC §9.4), or None."""
    row = conn.execute(
        "SELECT payload_json FROM task_events WHERE task_id = ? AND event_type = 'task.failed' "
        "ORDER BY event_id DESC LIMIT 1", (task_id,)).fetchone()
    if row is None:
        return None
    try:
        failure = json.loads(row[0] or "{}").get("failure")
    except (ValueError, AttributeError):
        return None
    return failure if isinstance(failure, dict) else None


def status_counts(conn: sqlite3.Connection, agent_ids: Iterable[str] | None = None) -> dict[str, int]:
    """Number of tasks per status (of some agents only, when `agent_ids` is given)."""
    if agent_ids is None:
        return dict(conn.execute("SELECT status, COUNT(*) FROM tasks GROUP BY status"))
    agents = sorted(agent_ids)
    return dict(conn.execute(f"SELECT status, COUNT(*) FROM tasks WHERE agent_id IN "
                             f"({','.join('?' * len(agents)) or 'NULL'}) GROUP BY status", agents))


def agent_active_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Number of CLAIMED/RUNNING tasks per agent."""
    return dict(conn.execute(
        "SELECT agent_id, COUNT(*) FROM tasks WHERE status IN ('CLAIMED', 'RUNNING') GROUP BY agent_id"
    ))


def has_due_task(conn: sqlite3.Connection, agent_id: str) -> bool:
    """True if `agent_id` has a QUEUED task that is due now."""
    return conn.execute(
        "SELECT 1 FROM tasks WHERE agent_id = ? AND status = 'QUEUED' AND available_at <= ? LIMIT 1",
        (agent_id, db_now()),
    ).fetchone() is not None


def next_available_at(conn: sqlite3.Connection, agent_id: str) -> str | None:
    """Earliest `available_at` among the agent's QUEUED tasks, or None."""
    row = conn.execute(
        "SELECT MIN(available_at) FROM tasks WHERE agent_id = ? AND status = 'QUEUED'", (agent_id,)
    ).fetchone()
    return row[0] if row else None


def active_agents(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Agent rows with status `active`, `default` first then by id."""
    cursor = conn.execute(
        "SELECT agent_id, display_name, provider, model, worker_count, task_timeout_seconds, max_queue_depth, "
        "status FROM agents WHERE status = 'active' ORDER BY agent_id != 'default', agent_id"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def active_agent_ids(conn: sqlite3.Connection) -> list[str]:
    """Ids of the active agents, `default` first then by id."""
    return [row["agent_id"] for row in active_agents(conn)]
