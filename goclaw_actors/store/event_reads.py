"""Reads of a session's committed events for ACP replay (SPEC §9.3)."""

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from goclaw_actors.store.sqlite_reads import EVENT_COLUMNS


@dataclass
class ReplayWindow:
    """One consistent look at a session's events after `after_id`.

    `events` holds them (ascending) only when there are at most the window's size; otherwise it is empty.
    """

    min_event_id: int
    max_event_id: int
    count: int
    events: list[dict[str, Any]] = field(default_factory=list)


def replay_window(conn: sqlite3.Connection, session_id: str, after_id: int, max_events: int) -> ReplayWindow:
    """The session's lowest and highest event ids, how many come after `after_id`, and those events
    when they are no more than `max_events` — all from one snapshot.
    """
    conn.execute("BEGIN")
    try:
        low, high = conn.execute("SELECT COALESCE(MIN(event_id), 0), COALESCE(MAX(event_id), 0) FROM task_events "
                                 "WHERE session_id = ?", (session_id,)).fetchone()
        (count,) = conn.execute("SELECT COUNT(*) FROM task_events WHERE session_id = ? AND event_id > ?",
                                (session_id, after_id)).fetchone()
        window = ReplayWindow(low, high, count)
        if 0 < count <= max_events:
            cursor = conn.execute(f"SELECT {EVENT_COLUMNS} FROM task_events WHERE session_id = ? AND event_id > ? "
                                  "ORDER BY event_id", (session_id, after_id))
            names = [d[0] for d in cursor.description]
            window.events = [dict(zip(names, row)) for row in cursor]
    finally:
        conn.execute("COMMIT")
    return window
