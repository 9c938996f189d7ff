"""Reads of the Telegram channel's state: the update offset, sticky targets, pending replies, alerts."""

import sqlite3
from typing import Any

from goclaw_actors.store.sqlite_alerts import ALERT_EVENT


def channel_offset(conn: sqlite3.Connection, channel: str) -> int | None:
    """The last update id taken in on `channel`, or None before the first."""
    row = conn.execute("SELECT update_offset FROM channel_offsets WHERE channel = ?", (channel,)).fetchone()
    return row[0] if row else None


def sticky_target(conn: sqlite3.Connection, user_id: int) -> str | None:
    """The agent a Telegram user's plain lines go to (their last @mention), or None."""
    row = conn.execute("SELECT sticky_agent_id FROM telegram_users WHERE user_id = ?", (user_id,)).fetchone()
    return row[0] if row else None


def pending_replies(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Replies not delivered yet, oldest first: `{task_id, chat_id, reply_to, message_id}`."""
    rows = conn.execute("SELECT task_id, chat_id, reply_to, message_id FROM telegram_replies "
                        "WHERE delivered_at IS NULL ORDER BY created_at, task_id")
    return [dict(zip(("task_id", "chat_id", "reply_to", "message_id"), row)) for row in rows]


def alerts_after(conn: sqlite3.Connection, event_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """`alert` events (send_alert) after `event_id`, oldest first: `{event_id, task_id, payload_json}`."""
    rows = conn.execute("SELECT event_id, task_id, payload_json FROM task_events WHERE event_type = ? "
                        "AND event_id > ? ORDER BY event_id LIMIT ?", (ALERT_EVENT, event_id, limit))
    return [dict(zip(("event_id", "task_id", "payload_json"), row)) for row in rows]


def last_event_id(conn: sqlite3.Connection) -> int:
    """The highest event id so far (0 when none)."""
    return conn.execute("SELECT COALESCE(MAX(event_id), 0) FROM task_events").fetchone()[0]
