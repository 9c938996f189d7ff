"""The skill registry as the `goclaw skill` command reaches it: goclaw.db opened from this process (the
daemon may run; WAL lets both write, and a busy database is retried)."""

import sqlite3
from pathlib import Path
from typing import Any

from goclaw_actors.store.busy_retry import retry_busy
from goclaw_actors.store.database import open_database
from goclaw_actors.store.group_commit import DatabaseBusy, WriteRequest, run_batch
from goclaw_actors.store.skill_reads import registry_rows
from goclaw_actors.store.sqlite_queue import SqliteQueue


class RegistryFile:
    """One open connection to goclaw.db for a command's registry reads and writes."""

    def __init__(self, db_path: Path):
        self._db = open_database(db_path)
        self.conn: sqlite3.Connection = self._db.connection()

    def write(self, op: str, **kwargs: Any) -> Any:
        """One store operation in its own transaction; its result, or its error raised."""
        def attempt():
            try:
                return run_batch(self.conn, [WriteRequest(op, kwargs)], SqliteQueue)[0]
            except DatabaseBusy as exc:
                raise sqlite3.OperationalError("database is locked") from exc
        result = retry_busy(attempt)
        if result.error is not None:
            raise result.error
        return result.value

    def rows(self) -> dict[str, dict[str, Any]]:
        """Every registry row by skill id."""
        return registry_rows(self.conn)

    def close(self) -> None:
        self._db.close()
