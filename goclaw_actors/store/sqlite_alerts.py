"""Alerts sent by the `send_alert` tool: a durable `alert` event of the task that sent it (SPEC §5.1)."""

from typing import Any

from goclaw_actors.store.sqlite_transition import SqliteTransitions

ALERT_EVENT = "alert"


class AlertSql(SqliteTransitions):
    """Record alerts in the caller's transaction; the event is published after commit."""

    def record_alert(self, task_id: str, severity: str, title: str, body: str) -> dict[str, Any]:
        """Append an `alert` event (no state change) to the task's events; returns the event."""
        task = self.get_task(task_id)
        return self.event(task, ALERT_EVENT, None, None, {"severity": severity, "title": title, "body": body})
