"""Reads of cron schedules (SPEC §10): listings, one schedule, the due ones."""

import sqlite3
from typing import Any

SCHEDULE_COLUMNS = ("id, name, cron_expr, payload, session_id, agent_id, enabled, next_run_at, last_run_at, "
                    "created_at, updated_at")


def _rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def list_schedules(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every schedule, oldest first."""
    return _rows(conn.execute(f"SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY created_at, id"))


def get_schedule(conn: sqlite3.Connection, schedule_id: str) -> dict[str, Any] | None:
    """One schedule, or None."""
    rows = _rows(conn.execute(f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE id = ?", (schedule_id,)))
    return rows[0] if rows else None


def due_schedules(conn: sqlite3.Connection, now: str) -> list[dict[str, Any]]:
    """Enabled schedules whose `next_run_at` is at or before `now` (database time text), or was never set;
    earliest first."""
    return _rows(conn.execute(
        f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE enabled = 1 AND (next_run_at IS NULL OR next_run_at <= ?) "
        "ORDER BY next_run_at, created_at, id", (now,)))


def enabled_schedules_summary(conn: sqlite3.Connection) -> dict[str, Any]:
    """`{enabled, next_run_at}`: how many schedules are enabled and the earliest fire time among them."""
    count, earliest = conn.execute("SELECT COUNT(*), MIN(next_run_at) FROM schedules WHERE enabled = 1").fetchone()
    return {"enabled": count, "next_run_at": earliest}
