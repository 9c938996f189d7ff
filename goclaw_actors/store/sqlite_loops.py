"""Agent-loop checkpoints (`loop_checkpoints`, SPEC §4.10): one row per loop, updated every checkpoint."""

import sqlite3
from typing import Any

from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

CHECKPOINT_COLUMNS = ("loop_id", "task_id", "agent_id", "current_step", "max_steps", "tokens_used", "max_tokens",
                      "started_at", "max_duration", "status", "messages")


class LoopSql(SqliteTransitions):
    """Write a loop's checkpoint."""

    def save_loop_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Insert or update the checkpoint row of `checkpoint["loop_id"]`."""
        values = [checkpoint[name] for name in CHECKPOINT_COLUMNS]
        now = db_now()
        updates = ", ".join(f"{name} = excluded.{name}" for name in CHECKPOINT_COLUMNS[3:])
        self.conn.execute(
            f"INSERT INTO loop_checkpoints ({', '.join(CHECKPOINT_COLUMNS)}, created_at, updated_at) "
            f"VALUES ({', '.join('?' * (len(CHECKPOINT_COLUMNS) + 2))}) "
            f"ON CONFLICT (loop_id) DO UPDATE SET {updates}, updated_at = excluded.updated_at",
            (*values, now, now))


def latest_loop_checkpoint(conn: sqlite3.Connection, task_id: str) -> dict[str, Any] | None:
    """The newest checkpoint of a task's loop, or None."""
    row = conn.execute(
        f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM loop_checkpoints WHERE task_id = ? "
        "ORDER BY updated_at DESC LIMIT 1", (task_id,)).fetchone()
    return dict(zip(CHECKPOINT_COLUMNS, row)) if row else None
