"""Retention (SPEC §3.11): which old rows go, found on a read connection and deleted in bounded batches
through the store, so no single transaction stalls it.

    run = RetentionRun(RetentionSettings.from_config(config), utc_now(), reads.run,
                       store.maintenance.delete_expired)
    while run.step():   # one batch per step; other store work runs in between
        pass
    run.deleted         # {"task_events": n, "audit_log": n, "messages": n}
"""

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from goclaw_actors.queue.states import TERMINAL
from goclaw_actors.timeutil import to_db

BATCH_ROWS = 500  # rows deleted per store request
TABLES = ("task_events", "audit_log", "messages")
SETTING_KEYS = {"task_events": "retention_task_events_days", "audit_log": "retention_audit_log_days",
                "messages": "retention_messages_days"}
_TERMINAL_SQL = ", ".join(f"'{status}'" for status in sorted(TERMINAL))

# Per table: the row key, and the condition (with one `?` for the cutoff) that makes a row expired.
# task_events: only events of terminal tasks. messages: archived or not, by creation time (a message is
# archived after it was created, so "archived or old, older than N days" is every message created before it).
EXPIRED = {
    "task_events": ("event_id", f"created_at < ? AND task_id IN (SELECT id FROM tasks WHERE status IN "
                                f"({_TERMINAL_SQL}))"),
    "audit_log": ("rowid", "created_at < ?"),
    "messages": ("id", "created_at < ?"),
}


@dataclass(frozen=True)
class RetentionSettings:
    """Days each table keeps its rows; 0 keeps them forever."""

    task_events_days: float = 90
    audit_log_days: float = 365
    messages_days: float = 90

    @classmethod
    def from_config(cls, config: Any) -> "RetentionSettings":
        """The `retention_*_days` settings of a Config (negative or unreadable values keep forever)."""
        return cls(*(_days(config.get(SETTING_KEYS[table])) for table in TABLES))

    def days(self, table: str) -> float:
        """Days `table` keeps its rows (0: forever)."""
        return {"task_events": self.task_events_days, "audit_log": self.audit_log_days,
                "messages": self.messages_days}[table]


def _days(value: Any) -> float:
    try:
        days = float(value)
    except (TypeError, ValueError):
        return 0.0
    return days if days > 0 and days == days else 0.0


def cutoffs(settings: RetentionSettings, now: datetime) -> dict[str, str]:
    """Table -> database time before which its rows expire, for the tables retention applies to."""
    return {table: to_db(now - timedelta(days=settings.days(table))) for table in TABLES if settings.days(table) > 0}


def expired_keys(conn: sqlite3.Connection, table: str, cutoff: str, after: int, limit: int = BATCH_ROWS
                 ) -> list[int]:
    """Keys of up to `limit` expired rows of `table` with a key above `after`, ascending (a read)."""
    key, condition = EXPIRED[table]
    rows = conn.execute(f"SELECT {key} FROM {table} WHERE {key} > ? AND {condition} ORDER BY {key} LIMIT ?",
                        (after, cutoff, limit)).fetchall()
    return [row[0] for row in rows]


@dataclass
class RetentionRun:
    """One pass over every table: `step()` finds and deletes one batch and says whether more is left.

    `read(fn, *args)` runs a read (the daemon's read pool), `delete_expired(table=, keys=, cutoff=)` the
    store write (`store.maintenance.delete_expired`).
    """

    settings: RetentionSettings
    now: datetime
    read: Callable[..., Any]
    delete_expired: Callable[..., int]
    batch: int = BATCH_ROWS
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))

    def __post_init__(self):
        self._pending = list(cutoffs(self.settings, self.now).items())
        self._after = 0

    def step(self) -> bool:
        """Delete one batch of the current table; returns True while there is more to do."""
        if not self._pending:
            return False
        table, cutoff = self._pending[0]
        keys = self.read(expired_keys, table, cutoff, self._after, self.batch)
        if keys:
            self.deleted[table] += self.delete_expired(table=table, keys=keys, cutoff=cutoff)
            self._after = keys[-1]
        if len(keys) < self.batch:
            self._pending.pop(0)
            self._after = 0
        return bool(self._pending)
