"""Reads of approvals (SPEC §5.5)."""

import sqlite3
from typing import Any

from goclaw_actors.store.sqlite_approvals import APPROVAL_COLUMNS, approval_dict


def list_approvals(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every approval, oldest first."""
    return [approval_dict(row) for row in conn.execute(
        f"SELECT {APPROVAL_COLUMNS} FROM approvals ORDER BY created_at, approval_id")]


def get_approval(conn: sqlite3.Connection, approval_id: str) -> dict[str, Any] | None:
    """One approval by id, or None."""
    row = conn.execute(f"SELECT {APPROVAL_COLUMNS} FROM approvals WHERE approval_id = ?", (approval_id,)).fetchone()
    return approval_dict(row) if row else None


def latest_task_approval(conn: sqlite3.Connection, task_id: str, action: str, details: str) -> dict[str, Any] | None:
    """The newest approval a task asked for with exactly this action and details, or None."""
    row = conn.execute(
        f"SELECT {APPROVAL_COLUMNS} FROM approvals WHERE task_id = ? AND action = ? AND details = ? "
        f"ORDER BY created_at DESC, approval_id DESC LIMIT 1", (task_id, action, details)).fetchone()
    return approval_dict(row) if row else None
