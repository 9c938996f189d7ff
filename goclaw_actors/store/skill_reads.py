"""Reads of `skill_registry`: every row by skill id, and the installed skills' provenance."""

import sqlite3
from typing import Any

_COLUMNS = ("skill_id", "version", "abi_version", "content_hash", "state", "source", "source_url", "ref",
            "installed_at", "last_fault_at", "fault_count")


def registry_rows(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every registry row, by skill id."""
    rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM skill_registry ORDER BY skill_id").fetchall()
    return {row[0]: dict(zip(_COLUMNS, row)) for row in rows}


def registry_row(conn: sqlite3.Connection, skill_id: str) -> dict[str, Any] | None:
    """One registry row, or None."""
    row = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM skill_registry WHERE skill_id = ?", (skill_id,)).fetchone()
    return dict(zip(_COLUMNS, row)) if row else None
