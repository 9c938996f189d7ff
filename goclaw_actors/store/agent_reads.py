"""Reads about agents and their tasks for status and incident views (SPEC §9.3)."""

import sqlite3
from typing import Any, Iterable

from goclaw_actors.store.sqlite_agents import AGENT_FIELDS
from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow

AUDIT_COLUMNS = "audit_id, trace_id, subject, action, decision, reason, policy_version, created_at"


def agent_row(conn: sqlite3.Connection, agent_id: str) -> dict[str, Any] | None:
    """The `agents` row of `agent_id` (any status), or None."""
    cursor = conn.execute(f"SELECT agent_id, status, {', '.join(AGENT_FIELDS)} FROM agents WHERE agent_id = ?",
                          (agent_id,))
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row)) if row else None


def last_error(conn: sqlite3.Connection, agent_id: str | None = None, agent_ids: Iterable[str] | None = None) -> str:
    """The error of the most recently updated failed attempt (of one agent, of some, or of any), or ""."""
    if agent_id is not None:
        agent_ids = [agent_id]
    agents = sorted(agent_ids) if agent_ids is not None else None
    where = "error IS NOT NULL AND error != ''"
    if agents is not None:
        where += f" AND agent_id IN ({','.join('?' * len(agents)) or 'NULL'})"
    row = conn.execute(f"SELECT error FROM tasks WHERE {where} ORDER BY updated_at DESC, id DESC LIMIT 1",
                       agents or ()).fetchone()
    return row[0] if row else ""


def subtasks(conn: sqlite3.Connection, parent_task_id: str) -> list[TaskRow]:
    """The tasks whose parent is `parent_task_id`, oldest first (stored payload text in `extra`)."""
    tasks = []
    for row in conn.execute(f"SELECT {TASK_COLUMNS}, payload FROM tasks WHERE parent_task_id = ? "
                            "ORDER BY created_at, id", (parent_task_id,)):
        task = TaskRow.from_row(row[:-1])
        task.extra["payload_text"] = row[-1]
        tasks.append(task)
    return tasks


def audit_trail(conn: sqlite3.Connection, trace_id: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Audit rows recorded under `trace_id`, oldest first."""
    cursor = conn.execute(f"SELECT {AUDIT_COLUMNS} FROM audit_log WHERE trace_id = ? ORDER BY created_at, audit_id "
                          "LIMIT ?", (trace_id, limit))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]
