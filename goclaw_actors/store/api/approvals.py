"""Approval requests: created by a guarded action, resolved by a person or by expiry."""

from typing import Any, Protocol


class ApprovalsApi(Protocol):
    """Approval requests: created by a guarded action, resolved by a person or by expiry."""

    def create_approval(self, action: str, details: str, timeout_seconds: float,
                        task_id: str | None = None) -> dict[str, Any]:
        """Insert a PENDING approval expiring `timeout_seconds` from now; returns the row."""
        ...

    def resolve_approval(self, approval_id: str, status: str) -> dict[str, Any]:
        """Decide a PENDING approval that has not expired (APPROVED or DENIED); raises ApprovalNotFound, or
        ApprovalResolved when it was decided or has expired (its expiry denies it)."""
        ...

    def expire_approvals(self) -> list[dict[str, Any]]:
        """Deny every PENDING approval whose `expires_at` has passed; returns the denied rows, oldest first."""
        ...
