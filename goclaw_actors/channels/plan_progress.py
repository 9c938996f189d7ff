"""Plan progress for the Telegram channel (SPEC §10): what changed in the plan executions since the last look,
as messages: an execution started, a step more done, an execution ended (with the failed step's error).

    tracker = PlanProgress()
    tracker.messages(read(recent_plan_executions, since))   # [] the first time: only later changes are told
"""

import sqlite3
from typing import Any

from goclaw_actors.store.sqlite_plans import EXECUTION_RUNNING

MAX_ERROR_CHARS = 500


def recent_plan_executions(conn: sqlite3.Connection, since: str) -> list[dict[str, Any]]:
    """Executions running, or updated at or after `since` (a database timestamp), with their failed step's
    error: `{id, plan_name, status, total_steps, completed_steps, failed_step, error}`."""
    rows = conn.execute(
        "SELECT e.id, e.plan_name, e.status, e.total_steps, e.completed_steps, "
        "(SELECT step_id || char(0) || COALESCE(error, '') FROM plan_execution_steps s WHERE s.execution_id = e.id "
        "AND s.status = 'failed' ORDER BY s.step_index LIMIT 1) FROM plan_executions e "
        "WHERE e.status = ? OR e.updated_at >= ? ORDER BY e.created_at, e.id", (EXECUTION_RUNNING, since))
    executions = []
    for row in rows:
        failed_step, _, error = (row[5] or "").partition("\0")
        executions.append({"id": row[0], "plan_name": row[1], "status": row[2], "total_steps": row[3],
                           "completed_steps": row[4], "failed_step": failed_step, "error": error})
    return executions


class PlanProgress:
    """Remembers each execution's last known (status, completed steps)."""

    def __init__(self):
        self.seen: dict[str, tuple[str, int]] | None = None

    def messages(self, executions: list[dict[str, Any]]) -> list[str]:
        """The progress messages for what changed since the previous call (none on the first)."""
        first, self.seen = self.seen is None, self.seen or {}
        out = []
        for execution in executions:
            now = (execution["status"], execution["completed_steps"])
            before = self.seen.get(execution["id"])
            self.seen[execution["id"]] = now
            if first or before == now:
                continue
            out += _changes(execution, before)
        if len(self.seen) > 1000:  # forget ended executions
            self.seen = {key: value for key, value in self.seen.items() if value[0] == EXECUTION_RUNNING}
        return out


def _changes(execution: dict[str, Any], before: tuple[str, int] | None) -> list[str]:
    name, done, total = execution["plan_name"], execution["completed_steps"], execution["total_steps"]
    out = []
    if before is None:
        out.append(f"📋 Plan {name} started ({total} steps)")
    if execution["status"] == EXECUTION_RUNNING:
        if done and (before is None or done > before[1]):
            out.append(f"📋 Plan {name}: {done}/{total} steps done")
        return out
    ended = f"📋 Plan {name} {execution['status']} ({done}/{total} steps done)"
    if execution["failed_step"]:
        ended += f"\nstep {execution['failed_step']}: {execution['error'][:MAX_ERROR_CHARS]}"
    return out + [ended]
