"""Writes of an agent's knowledge (SPEC §6): core memories, pins and shares, each request with its audit row
in the same transaction (also when it found nothing to change), and the per-turn reinforcement and decay of
memories."""

from typing import Any

from goclaw_actors.agent_memory.core_memory import DECAY, MAX_RELEVANCE, REINFORCEMENT
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

Audit = dict[str, Any] | None  # write_audit's arguments (action, decision, reason, policy_version, subject, trace_id)


class KnowledgeSql(SqliteTransitions):
    """Memory, pin and share writes; mixed into SqliteQueue (which provides `write_audit`)."""

    def _audited(self, audit: Audit) -> None:
        if audit:
            self.write_audit(**audit)

    def _upsert(self, table: str, unique: str, row: dict[str, Any], update: tuple[str, ...], audit: Audit) -> bool:
        """Insert `row`, or update the `update` columns of the agent's row with the same `unique` value; audited;
        True when the row is new."""
        created = self.conn.execute(f"SELECT 1 FROM {table} WHERE agent_id = ? AND {unique} = ?",
                                    (row["agent_id"], row[unique])).fetchone() is None
        columns = ", ".join(row)
        changes = ", ".join(f"{column} = excluded.{column}" for column in update)
        self.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))}) "
                          f"ON CONFLICT (agent_id, {unique}) DO UPDATE SET {changes}", tuple(row.values()))
        self._audited(audit)
        return created

    # --- core memory ----------------------------------------------------------------------------

    def memory_set(self, agent_id: str, key: str, value: str, source: str = "user", audit: Audit = None) -> bool:
        """Upsert a memory with relevance 1.0 (its access count is kept); True when the key is new."""
        now = db_now()
        row = dict(agent_id=agent_id, key=key, value=value, source=source, relevance_score=MAX_RELEVANCE,
                   access_count=0, created_at=now, updated_at=now)
        return self._upsert("agent_memories", "key", row, ("value", "source", "relevance_score", "updated_at"), audit)

    def memory_delete(self, agent_id: str, key: str, audit: Audit = None) -> bool:
        """Delete one memory; False when there was none."""
        self._audited(audit)
        return self.conn.execute("DELETE FROM agent_memories WHERE agent_id = ? AND key = ?",
                                 (agent_id, key)).rowcount > 0

    def memory_clear(self, agent_id: str, audit: Audit = None) -> int:
        """Delete every memory of the agent; returns how many."""
        deleted = self.conn.execute("DELETE FROM agent_memories WHERE agent_id = ?", (agent_id,)).rowcount
        self._audited(audit)
        return deleted

    def memory_turn(self, agent_id: str, injected_keys: list[str]) -> int:
        """One turn's bookkeeping: each injected memory gains REINFORCEMENT (at most MAX_RELEVANCE), one access
        and `last_accessed` = now; then every memory of the agent decays × DECAY. Returns the memories decayed."""
        now = db_now()
        keys = list(dict.fromkeys(injected_keys))
        if keys:
            self.conn.execute(
                f"UPDATE agent_memories SET relevance_score = MIN(?, relevance_score + ?), "
                f"access_count = access_count + 1, last_accessed = ? "
                f"WHERE agent_id = ? AND key IN ({','.join('?' * len(keys))})",
                (MAX_RELEVANCE, REINFORCEMENT, now, agent_id, *keys))
        return self.conn.execute("UPDATE agent_memories SET relevance_score = relevance_score * ? WHERE agent_id = ?",
                                 (DECAY, agent_id)).rowcount

    # --- pins -------------------------------------------------------------------------------------

    def pin_add(self, agent_id: str, pin_type: str, source: str, content: str, token_count: int,
                shared: bool = False, file_mtime: str | None = None, audit: Audit = None) -> bool:
        """Pin a file or a text (replacing the agent's pin of the same source); True when it is new."""
        now = db_now()
        row = dict(agent_id=agent_id, pin_type=pin_type, source=source, content=content, token_count=token_count,
                   shared=int(bool(shared)), last_read=now, file_mtime=file_mtime, created_at=now)
        return self._upsert("agent_pins", "source", row,
                            ("pin_type", "content", "token_count", "shared", "last_read", "file_mtime"), audit)

    def pin_remove(self, agent_id: str, source: str, audit: Audit = None) -> bool:
        """Remove a pin; False when the agent has none with that source."""
        self._audited(audit)
        return self.conn.execute("DELETE FROM agent_pins WHERE agent_id = ? AND source = ?",
                                 (agent_id, source)).rowcount > 0

    def pin_refresh(self, agent_id: str, source: str, content: str, token_count: int, file_mtime: str,
                    audit: Audit = None) -> bool:
        """A pinned file changed on disk: store its new content and mtime; False when the pin is gone."""
        self._audited(audit)
        return self.conn.execute(
            "UPDATE agent_pins SET content = ?, token_count = ?, file_mtime = ?, last_read = ? "
            "WHERE agent_id = ? AND source = ? AND pin_type = 'file'",
            (content, token_count, file_mtime, db_now(), agent_id, source)).rowcount > 0

    # --- shares -----------------------------------------------------------------------------------

    def share_add(self, source_agent_id: str, target_agent_id: str, share_type: str, item_key: str | None,
                  audit: Audit = None) -> bool:
        """Share a memory key, a pin or everything with a target (`*` = every agent); False when that exact
        share exists already."""
        self._audited(audit)
        exists = self.conn.execute(
            "SELECT 1 FROM agent_shares WHERE source_agent_id = ? AND target_agent_id = ? AND share_type = ? "
            "AND item_key IS ?", (source_agent_id, target_agent_id, share_type, item_key)).fetchone()
        if exists:
            return False
        self.conn.execute(
            "INSERT INTO agent_shares (source_agent_id, target_agent_id, share_type, item_key, created_at) "
            "VALUES (?, ?, ?, ?, ?)", (source_agent_id, target_agent_id, share_type, item_key, db_now()))
        return True

    def share_remove(self, source_agent_id: str, target_agent_id: str, share_type: str, item_key: str | None,
                     audit: Audit = None) -> bool:
        """Stop one share; False when there was no such share."""
        self._audited(audit)
        return self.conn.execute(
            "DELETE FROM agent_shares WHERE source_agent_id = ? AND target_agent_id = ? AND share_type = ? "
            "AND item_key IS ?", (source_agent_id, target_agent_id, share_type, item_key)).rowcount > 0
