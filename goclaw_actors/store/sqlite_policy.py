"""Policy versions and audit rows in SQLite (SPEC §2.6, §11.2)."""

import uuid

from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now


class PolicySql(SqliteTransitions):
    """Record loaded policy versions and audit decisions."""

    def record_policy_version(self, policy_version: str, checksum: str, source: str) -> bool:
        """Record a policy version the first time it is loaded; True if the row is new."""
        return self.conn.execute(
            "INSERT OR IGNORE INTO policy_versions (policy_version, checksum, loaded_at, source) VALUES (?, ?, ?, ?)",
            (policy_version, checksum, db_now(), source),
        ).rowcount == 1

    def write_audit(self, action: str, decision: str, reason: str, policy_version: str = "",
                    subject: str | None = None, trace_id: str | None = None) -> None:
        """Append one `audit_log` row."""
        self.conn.execute(
            "INSERT INTO audit_log (audit_id, trace_id, subject, action, decision, reason, policy_version, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), trace_id, subject, action, decision, reason, policy_version, db_now()),
        )
