"""Reads behind the plan runner (SPEC §7.4): executions to resume, a step's attempts, a step's approval."""

import sqlite3
from typing import Any

from goclaw_actors.plans.step_retry import REFUSED, Attempt
from goclaw_actors.store.sqlite_approvals import APPROVAL_COLUMNS, approval_dict
from goclaw_actors.store.sqlite_plans import EXECUTION_RUNNING, PLAN_STEP_ACTION, attempt_key_range


def running_plan_executions(conn: sqlite3.Connection) -> list[str]:
    """Ids of the executions still `running`, oldest first."""
    return [row[0] for row in conn.execute(
        "SELECT id FROM plan_executions WHERE status = ? ORDER BY created_at, id", (EXECUTION_RUNNING,))]


def step_attempts(conn: sqlite3.Connection, execution_id: str, step_index: int) -> list[Attempt]:
    """A step's attempts in order: the tasks it ran and the enqueues the store refused (task id "")."""
    low, high = attempt_key_range(execution_id, step_index)
    return [Attempt(*row[1:]) for row in conn.execute(
        "SELECT CAST(substr(idempotency_key, ?) AS INTEGER) AS attempt, id, status, result, error FROM tasks "
        "WHERE idempotency_key >= ? AND idempotency_key < ? "
        "UNION ALL SELECT attempt, '', ?, NULL, error FROM plan_step_refusals "
        "WHERE execution_id = ? AND step_index = ? "
        "ORDER BY attempt", (len(low) + 1, low, high, REFUSED, execution_id, step_index))]


def plan_step_approval(conn: sqlite3.Connection, execution_id: str, step_id: str) -> dict[str, Any] | None:
    """The newest approval created for a gated step of an execution, or None."""
    row = conn.execute(
        f"SELECT {APPROVAL_COLUMNS} FROM approvals WHERE action = ? AND CASE WHEN json_valid(details) THEN "
        "json_extract(details, '$.execution_id') = ? AND json_extract(details, '$.step_id') = ? END "
        "ORDER BY created_at DESC LIMIT 1", (PLAN_STEP_ACTION, execution_id, step_id)).fetchone()
    return approval_dict(row) if row else None
