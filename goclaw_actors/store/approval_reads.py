"""Reads of approvals (SPEC §5.5)."""

import sqlite3
from typing import Any

from goclaw_actors.store.sqlite_approvals import APPROVAL_COLUMNS, approval_dict


def list_approvals(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every approval, oldest first."""
    return [approval_dict(row) for row in conn.execute(
        f"SELECT {APPROVAL_COLUMNS} FROM approvals ORDER BY created_at, approval_id")]
