"""Reads behind the heartbeat: whether a beat is still running, and the beats that ended after a point."""

import sqlite3
from typing import Any

from goclaw_actors.heartbeat import HEARTBEAT_AGENT, HEARTBEAT_TASK

APPENDED_KEY = "heartbeat:appended"  # kv_store: `<created_at>|<task id>` of the last beat whose reply is handled


def beat_running(conn: sqlite3.Connection) -> bool:
    """Whether a heartbeat task has not ended yet."""
    return conn.execute(
        "SELECT 1 FROM tasks WHERE type = ? AND agent_id = ? AND status NOT IN ('SUCCEEDED', 'CANCELED', "
        "'DEAD_LETTER') LIMIT 1", (HEARTBEAT_TASK, HEARTBEAT_AGENT)).fetchone() is not None


def beats_after(conn: sqlite3.Connection, mark: str | None, limit: int = 100) -> list[dict[str, Any]]:
    """Heartbeat tasks created after `mark` (`<created_at>|<id>`, None: all), oldest first:
    `{id, status, result, created_at, updated_at}`."""
    created, _, task_id = (mark or "|").partition("|")
    cursor = conn.execute(
        "SELECT id, status, result, created_at, updated_at FROM tasks WHERE type = ? AND agent_id = ? "
        "AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?",
        (HEARTBEAT_TASK, HEARTBEAT_AGENT, created, created, task_id, limit))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]
