"""Audit rows, the policy versions in force, and alerts raised by tasks."""

from typing import Any, Protocol


class AuditApi(Protocol):
    """Audit rows, the policy versions in force, and alerts raised by tasks."""

    def write_audit(self, action: str, decision: str, reason: str, policy_version: str = "",
                    subject: str | None = None, trace_id: str | None = None) -> None:
        """Append one `audit_log` row."""
        ...

    def record_policy_version(self, policy_version: str, checksum: str, source: str) -> bool:
        """Record a policy version the first time it is loaded; True if the row is new."""
        ...

    def record_alert(self, task_id: str, severity: str, title: str, body: str) -> dict[str, Any]:
        """Append an `alert` event (no state change) to the task's events; returns the event."""
        ...
