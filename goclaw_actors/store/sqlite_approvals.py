"""Approvals in SQLite (SPEC §5.5): a PENDING row with an expiry, decided once, denied when it expires.

A decision arriving at or after `expires_at` is refused (the approval is already denied by its
timeout), so a DENIED row resolved at or after its expiry is one that timed out (`timed_out`).
"""

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


def timed_out(row: dict[str, Any]) -> bool:
    """Whether an approval row was denied by its expiry rather than by a decision."""
    return row["status"] == DENIED and bool(row["resolved_at"]) and row["resolved_at"] >= row["expires_at"]


class ApprovalSql(SqliteTransitions):
    """Create and decide approvals, in the caller's transaction."""

    def create_approval(self, action: str, details: str, timeout_seconds: float,
                        task_id: str | None = None) -> dict[str, Any]:
        """Insert a PENDING approval expiring `timeout_seconds` from now; returns the row."""
        row = (str(uuid.uuid4()), task_id, action, details, PENDING, db_now(timeout_seconds), None, db_now())
        self.conn.execute(f"INSERT INTO approvals ({APPROVAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        return approval_dict(row)

    def resolve_approval(self, approval_id: str, status: str) -> dict[str, Any]:
        """Decide a PENDING approval that has not expired (APPROVED or DENIED); raises ApprovalNotFound, or
        ApprovalResolved when it was decided or has expired (its expiry denies it)."""
        if status not in (APPROVED, DENIED):
            raise StoreError(f"approval status must be {APPROVED} or {DENIED}, got {status!r}")
        now = db_now()
        updated = self.conn.execute(
            f"UPDATE approvals SET status = ?, resolved_at = ? WHERE approval_id = ? AND status = ? "
            f"AND expires_at > ? RETURNING {APPROVAL_COLUMNS}", (status, now, approval_id, PENDING, now)).fetchone()
        if updated is not None:
            return approval_dict(updated)
        if self.conn.execute("SELECT 1 FROM approvals WHERE approval_id = ?", (approval_id,)).fetchone() is None:
            raise ApprovalNotFound()
        raise ApprovalResolved()

    def expire_approvals(self) -> list[dict[str, Any]]:
        """Deny every PENDING approval whose `expires_at` has passed; returns the denied rows, oldest first."""
        now = db_now()
        rows = self.conn.execute(
            f"UPDATE approvals SET status = ?, resolved_at = ? WHERE status = ? AND expires_at <= ? "
            f"RETURNING {APPROVAL_COLUMNS}", (DENIED, now, PENDING, now)).fetchall()
        return sorted((approval_dict(row) for row in rows), key=lambda row: (row["created_at"], row["approval_id"]))
