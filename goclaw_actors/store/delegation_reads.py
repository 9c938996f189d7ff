"""Reads behind delegation and messages: agents in creation order, a delegation, pending async results."""

import sqlite3
from typing import Any

from goclaw_actors.store.sqlite_delegations import ASYNC, DELEGATION_COLUMNS, delegation_dict


def agents_by_age(conn: sqlite3.Connection) -> list[str]:
    """Ids of the active agents, oldest first (by created_at, then id)."""
    return [row[0] for row in conn.execute(
        "SELECT agent_id FROM agents WHERE status = 'active' ORDER BY created_at, agent_id")]


def get_delegation(conn: sqlite3.Connection, delegation_id: str) -> dict[str, Any] | None:
    """A delegation row, or None."""
    row = conn.execute(f"SELECT {DELEGATION_COLUMNS} FROM delegations WHERE id = ?", (delegation_id,)).fetchone()
    return delegation_dict(row) if row else None


def child_delegations(conn: sqlite3.Connection, parent_task_id: str) -> list[dict[str, Any]]:
    """The delegations a task made, oldest first."""
    return [delegation_dict(row) for row in conn.execute(
        f"SELECT {DELEGATION_COLUMNS} FROM delegations WHERE parent_task_id = ? ORDER BY created_at, id",
        (parent_task_id,))]


def has_delegation_results(conn: sqlite3.Connection, task_id: str, session_id: str, agent_id: str) -> bool:
    """Whether a turn of `task_id` has async delegation results to be given (see take_delegation_results)."""
    return conn.execute(
        "SELECT 1 FROM delegations WHERE parent_agent = ? AND session_id = ? AND mode = ? AND completed_at IS NOT "
        "NULL AND (injected = 0 OR injected_task_id = ?) LIMIT 1", (agent_id, session_id, ASYNC, task_id)
    ).fetchone() is not None
