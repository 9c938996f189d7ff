"""The skill registry as the `goclaw skill` command reaches it: goclaw.db opened from this process (the
daemon may run; WAL lets both write, and a busy database is retried)."""

import sqlite3
from pathlib import Path
from typing import Any

from goclaw_actors.store.connection_store import connection_store
from goclaw_actors.store.database import open_database
from goclaw_actors.store.skill_reads import registry_rows


class RegistryFile:
    """One open connection to goclaw.db for a command's registry reads and writes."""

    def __init__(self, db_path: Path):
        self._db = open_database(db_path)
        self.conn: sqlite3.Connection = self._db.connection()
        self.store = connection_store(self.conn)  # each write in its own transaction, its error raised

    def rows(self) -> dict[str, dict[str, Any]]:
        """Every registry row by skill id."""
        return registry_rows(self.conn)

    def close(self) -> None:
        self._db.close()
