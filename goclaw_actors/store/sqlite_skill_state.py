"""Skill registry rows in SQLite (SPEC §8.3, §8.5): loaded modules, faults and quarantine, re-enabling,
and the provenance of installed skills."""

from typing import Any

from goclaw_actors.errors import StoreError
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

QUARANTINE_FAULTS = 5  # faults after which a skill is quarantined


class SkillNotFound(StoreError):
    """No `skill_registry` row has the given id."""

    def __init__(self, name: str):
        super().__init__(f"skill not found: {name}")
        self.name = name


class SkillStateSql(SqliteTransitions):
    """State changes of `skill_registry` rows, in the caller's transaction."""

    def enable_skill(self, name: str, create: bool = False) -> str:
        """Set a skill `active` and reset its fault count; returns the state. Without a row: creates one
        when `create` (a skill the daemon knows), else raises SkillNotFound."""
        now = db_now()
        cursor = self.conn.execute(
            "UPDATE skill_registry SET state = 'active', fault_count = 0, updated_at = ? WHERE skill_id = ?",
            (now, name))
        if cursor.rowcount != 1:
            if not create:
                raise SkillNotFound(name)
            self.conn.execute("INSERT INTO skill_registry (skill_id, state, fault_count, created_at, updated_at) "
                              "VALUES (?, 'active', 0, ?, ?)", (name, now, now))
        return "active"

    def register_skill_module(self, skill_id: str, version: str, abi_version: str, content_hash: str,
                              source: str) -> str:
        """Record a loaded module; new content (another hash) makes the skill `active` with no faults.
        Returns the skill's state."""
        now = db_now()
        row = self.conn.execute("SELECT content_hash, state FROM skill_registry WHERE skill_id = ?",
                                (skill_id,)).fetchone()
        if row is None:
            self.conn.execute(
                "INSERT INTO skill_registry (skill_id, version, abi_version, content_hash, state, source, fault_count, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, 'active', ?, 0, ?, ?)",
                (skill_id, version, abi_version, content_hash, source, now, now))
            return "active"
        if row[0] == content_hash:
            return row[1]
        self.conn.execute(
            "UPDATE skill_registry SET version = ?, abi_version = ?, content_hash = ?, state = 'active', "
            "fault_count = 0, source = COALESCE(source, ?), updated_at = ? WHERE skill_id = ?",
            (version, abi_version, content_hash, source, now, skill_id))
        return "active"

    def record_skill_fault(self, skill_id: str) -> dict[str, Any]:
        """Count one fault; at QUARANTINE_FAULTS the skill becomes `quarantined`. Returns `{state,
        fault_count, quarantined_now}`."""
        now = db_now()
        self.conn.execute(
            "INSERT INTO skill_registry (skill_id, state, fault_count, created_at, updated_at) "
            "VALUES (?, 'active', 0, ?, ?) ON CONFLICT(skill_id) DO NOTHING", (skill_id, now, now))
        before = self.conn.execute("SELECT state FROM skill_registry WHERE skill_id = ?", (skill_id,)).fetchone()[0]
        self.conn.execute(
            "UPDATE skill_registry SET fault_count = fault_count + 1, last_fault_at = ?, updated_at = ?, "
            "state = CASE WHEN fault_count + 1 >= ? THEN 'quarantined' ELSE state END WHERE skill_id = ?",
            (now, now, QUARANTINE_FAULTS, skill_id))
        state, count = self.conn.execute("SELECT state, fault_count FROM skill_registry WHERE skill_id = ?",
                                         (skill_id,)).fetchone()
        return {"state": state, "fault_count": count, "quarantined_now": before != state == "quarantined"}

    def register_installed_skill(self, skill_id: str, source: str, source_url: str, ref: str | None,
                                 content_hash: str = "") -> None:
        """Record where an installed skill came from (no capability is granted by installing)."""
        now = db_now()
        self.conn.execute(
            "INSERT INTO skill_registry (skill_id, version, content_hash, state, source, source_url, ref, "
            "installed_at, fault_count, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, ?, ?, ?, 0, ?, ?) "
            "ON CONFLICT(skill_id) DO UPDATE SET source = excluded.source, source_url = excluded.source_url, "
            "ref = excluded.ref, installed_at = excluded.installed_at, version = excluded.version, "
            "content_hash = CASE WHEN skill_registry.abi_version IS NULL THEN excluded.content_hash "
            "ELSE skill_registry.content_hash END, updated_at = excluded.updated_at",
            (skill_id, content_hash[:12], content_hash, source, source_url, ref or None, now, now, now))

    def remove_installed_skill(self, skill_id: str) -> bool:
        """Delete an installed skill's row; False when there was none."""
        return self.conn.execute("DELETE FROM skill_registry WHERE skill_id = ?", (skill_id,)).rowcount == 1
