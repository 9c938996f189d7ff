"""Reads of `kv_store` entries."""

import sqlite3


def get_kv(conn: sqlite3.Connection, key: str) -> str | None:
    """The value stored under `key`, or None."""
    row = conn.execute("SELECT value FROM kv_store WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def kv_with_prefix(conn: sqlite3.Connection, prefix: str) -> dict[str, str]:
    """Every entry whose key starts with `prefix`, by key."""
    return dict(conn.execute("SELECT key, value FROM kv_store WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)))
