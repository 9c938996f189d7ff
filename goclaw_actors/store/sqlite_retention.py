"""Retention deletes in SQLite (SPEC §3.11): one bounded batch of expired rows per request."""

from goclaw_actors.store.retention import EXPIRED
from goclaw_actors.store.sqlite_transition import SqliteTransitions


class RetentionSql(SqliteTransitions):
    """The store's side of retention; runs inside the caller's transaction."""

    def delete_expired(self, table: str, keys: list[int], cutoff: str) -> int:
        """Delete the rows of `table` with these keys that are still expired at `cutoff`; returns how many."""
        if table not in EXPIRED:
            raise ValueError(f"retention does not apply to table {table!r}")
        if not keys:
            return 0
        self.flush_events()
        key, condition = EXPIRED[table]
        marks = ", ".join("?" for _ in keys)
        return self.conn.execute(f"DELETE FROM {table} WHERE {key} IN ({marks}) AND {condition}",
                                 (*keys, cutoff)).rowcount
