"""Session purge in SQLite (SPEC §3.11): delete the messages, tombstone tasks and events, record redactions."""

from typing import Any

from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

REDACTED = "[REDACTED]"
PURGE_REASON = "pii_purge"


class SessionSql(SqliteTransitions):
    """Purge of one session's personal data, in the caller's transaction."""

    def purge_session(self, session_id: str, policy_version: str = "", redacted_by: str = "") -> dict[str, Any]:
        """Delete the session's messages, redact its tasks' payload/result and its events' payloads,
        and record one `data_redactions` row per deleted message and per task; returns the counts.
        """
        now = db_now()
        self.flush_events()  # events of this batch are redacted too
        message_ids = [row[0] for row in self.conn.execute(
            "SELECT id FROM messages WHERE session_id = ? ORDER BY id", (session_id,))]
        task_ids = [row[0] for row in self.conn.execute(
            "SELECT id FROM tasks WHERE session_id = ? ORDER BY created_at, id", (session_id,))]
        self.conn.execute("DELETE FROM messages WHERE session_id = ?", (session_id,))
        self.conn.execute("UPDATE tasks SET payload = ?, result = ? WHERE session_id = ?",
                          (REDACTED, REDACTED, session_id))
        events = self.conn.execute("UPDATE task_events SET payload_json = ? WHERE session_id = ?",
                                   (REDACTED, session_id)).rowcount
        redactions = [("message", str(message_id), "content") for message_id in message_ids]
        redactions += [("task", task_id, "payload") for task_id in task_ids]
        self.conn.executemany(
            "INSERT INTO data_redactions (entity_type, entity_id, field_name, redaction_reason, policy_version, "
            "redacted_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(kind, entity_id, field, PURGE_REASON, policy_version or None, redacted_by or None, now)
             for kind, entity_id, field in redactions],
        )
        return {"session_id": session_id, "messages_deleted": len(message_ids), "tasks_tombstoned": len(task_ids),
                "events_tombstoned": events, "redactions_recorded": len(redactions)}
