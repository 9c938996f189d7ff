"""Skill registry state in SQLite (SPEC §8.3): re-enabling a quarantined skill."""

from goclaw_actors.errors import StoreError
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now


class SkillNotFound(StoreError):
    """No `skill_registry` row has the given id."""

    def __init__(self, name: str):
        super().__init__(f"skill not found: {name}")
        self.name = name


class SkillStateSql(SqliteTransitions):
    """State changes of `skill_registry` rows, in the caller's transaction."""

    def enable_skill(self, name: str) -> str:
        """Set a skill `active` and reset its fault count; returns the state. Raises SkillNotFound."""
        cursor = self.conn.execute(
            "UPDATE skill_registry SET state = 'active', fault_count = 0, updated_at = ? WHERE skill_id = ?",
            (db_now(), name))
        if cursor.rowcount != 1:
            raise SkillNotFound(name)
        return "active"
