"""Approvals in SQLite (SPEC §5.5): a PENDING row with an expiry, decided once."""

import uuid
from typing import Any

from goclaw_actors.errors import StoreError
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

PENDING = "PENDING"
APPROVED = "APPROVED"
DENIED = "DENIED"
APPROVAL_COLUMNS = "approval_id, task_id, action, details, status, expires_at, resolved_at, created_at"


class ApprovalNotFound(StoreError):
    """No approval has the given id."""

    def __init__(self):
        super().__init__("approval request not found")


class ApprovalResolved(StoreError):
    """The approval was already approved, denied or expired."""

    def __init__(self):
        super().__init__("approval already resolved")


def approval_dict(row: tuple) -> dict[str, Any]:
    """An `approvals` row selected with APPROVAL_COLUMNS as a dict."""
    return dict(zip([name.strip() for name in APPROVAL_COLUMNS.split(",")], row))


class ApprovalSql(SqliteTransitions):
    """Create and decide approvals, in the caller's transaction."""

    def create_approval(self, action: str, details: str, timeout_seconds: float,
                        task_id: str | None = None) -> dict[str, Any]:
        """Insert a PENDING approval expiring `timeout_seconds` from now; returns the row."""
        row = (str(uuid.uuid4()), task_id, action, details, PENDING, db_now(timeout_seconds), None, db_now())
        self.conn.execute(f"INSERT INTO approvals ({APPROVAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        return approval_dict(row)

    def resolve_approval(self, approval_id: str, status: str) -> dict[str, Any]:
        """Decide a PENDING approval (APPROVED or DENIED); raises ApprovalNotFound or ApprovalResolved."""
        if status not in (APPROVED, DENIED):
            raise StoreError(f"approval status must be {APPROVED} or {DENIED}, got {status!r}")
        updated = self.conn.execute(
            f"UPDATE approvals SET status = ?, resolved_at = ? WHERE approval_id = ? AND status = ? "
            f"RETURNING {APPROVAL_COLUMNS}", (status, db_now(), approval_id, PENDING)).fetchone()
        if updated is not None:
            return approval_dict(updated)
        if self.conn.execute("SELECT 1 FROM approvals WHERE approval_id = ?", (approval_id,)).fetchone() is None:
            raise ApprovalNotFound()
        raise ApprovalResolved()
