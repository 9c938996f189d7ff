"""Agent rows in SQLite: the registry enqueue checks for existence, status and queue cap."""

from typing import Any

from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

AGENT_FIELDS = ("display_name", "provider", "model", "soul", "worker_count", "task_timeout_seconds",
                "max_queue_depth", "skills_filter", "api_key_env", "agent_emoji", "preferred_search")


class AgentSql(SqliteTransitions):
    """Upsert and status changes of `agents` rows."""

    def __init__(self, conn):
        super().__init__(conn)
        self._agent_limits: dict[str, tuple[str, int] | None] = {}

    def agent_limits(self, agent_id: str) -> tuple[str, int] | None:
        """`(status, max_queue_depth)` of an agent, or None; read once per transaction (the agent writes of
        this transaction forget it)."""
        if agent_id not in self._agent_limits:
            self._agent_limits[agent_id] = self.conn.execute(
                "SELECT status, max_queue_depth FROM agents WHERE agent_id = ?", (agent_id,)).fetchone()
        return self._agent_limits[agent_id]

    def upsert_agent(self, agent_id: str, fields: dict[str, Any], status: str = "active") -> None:
        """Create or update an agent row with the given fields (unknown keys ignored) and status."""
        self._agent_limits.clear()
        now = db_now()
        values = {name: fields[name] for name in AGENT_FIELDS if fields.get(name) is not None}
        columns = ["agent_id", "status", "created_at", "updated_at", *values]
        placeholders = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{name} = excluded.{name}" for name in ["status", "updated_at", *values])
        self.conn.execute(
            f"INSERT INTO agents ({', '.join(columns)}) VALUES ({placeholders}) "
            f"ON CONFLICT (agent_id) DO UPDATE SET {updates}",
            (agent_id, status, now, now, *values.values()),
        )

    def set_agent_status(self, agent_id: str, status: str) -> bool:
        """Set an agent's status (`active`, `draining`, `stopped`); False if no such agent."""
        self._agent_limits.clear()
        return self.conn.execute(
            "UPDATE agents SET status = ?, updated_at = ? WHERE agent_id = ?", (status, db_now(), agent_id)
        ).rowcount == 1

    def put_kv(self, key: str, value: str) -> None:
        """Set one `kv_store` entry."""
        self.conn.execute(
            "INSERT INTO kv_store (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, db_now()),
        )

    def delete_kv(self, keys: list[str]) -> int:
        """Delete `kv_store` entries; returns how many existed."""
        return sum(self.conn.execute("DELETE FROM kv_store WHERE key = ?", (key,)).rowcount for key in keys)
