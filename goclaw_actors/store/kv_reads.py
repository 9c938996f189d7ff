"""Reads of `kv_store` entries."""

import sqlite3

AGENT_API_KEY_KV = "agent_api_key:{agent_id}"  # an agent's own API key (ACP agent.create `api_key`)


def get_kv(conn: sqlite3.Connection, key: str) -> str | None:
    """The value stored under `key`, or None."""
    row = conn.execute("SELECT value FROM kv_store WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None
