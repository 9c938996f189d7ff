"""Plan executions in SQLite (SPEC §7.4): an execution and its step rows, step tasks, step results, progress.

Each task a step runs carries the idempotency key `plan:<execution_id>:<step_index>:<attempt>`, so a
step's attempts (and their cost) are found again after a crash, and one attempt is never enqueued twice.
"""

import json
import uuid
from typing import Any

from goclaw_actors.errors import StoreError
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

EXECUTION_RUNNING = "running"
EXECUTION_ENDS = frozenset({"succeeded", "failed", "canceled"})
STEP_PENDING = "pending"
STEP_RUNNING = "running"
STEP_ENDS = frozenset({"succeeded", "failed"})
PLAN_STEP_TASK = "plan_step"
PLAN_SOURCE = "plan"
PLAN_STEP_ACTION = "plan.step"  # the action of the approval a gated step waits for


def attempt_key(execution_id: str, step_index: int, attempt: int) -> str:
    """The idempotency key of a step's task number `attempt` (0-based)."""
    return f"plan:{execution_id}:{step_index}:{attempt}"


def attempt_key_range(execution_id: str, step_index: int) -> tuple[str, str]:
    """`[low, high)` bounds holding exactly the keys of one step's attempts (";" sorts right after ":")."""
    prefix = f"plan:{execution_id}:{step_index}:"
    return prefix, prefix[:-1] + ";"


class PlanSql(SqliteTransitions):
    """Plan execution writes, in the caller's transaction; `enqueue` comes from the composed SqliteQueue."""

    def create_plan_execution(self, plan_name: str, session_id: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
        """Insert a `running` execution and its `pending` step rows.

        `steps` are `{step_id, step_index, wave_number, agent_id, prompt}`; returns
        `{execution_id, session_id, plan_name, status}`.
        """
        if not steps:
            raise StoreError(f'plan "{plan_name}" has no steps')
        execution_id, now = str(uuid.uuid4()), db_now()
        self.conn.execute(
            "INSERT INTO plan_executions (id, plan_name, session_id, status, total_steps, completed_steps, "
            "current_wave, total_cost_usd, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, ?)",
            (execution_id, plan_name, session_id, EXECUTION_RUNNING, len(steps), now, now))
        self.conn.executemany(
            "INSERT INTO plan_execution_steps (execution_id, step_id, step_index, wave_number, agent_id, prompt, "
            "status, cost_usd, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [(execution_id, s["step_id"], s["step_index"], s["wave_number"], s["agent_id"], s["prompt"],
              STEP_PENDING, now, now) for s in steps])
        return {"execution_id": execution_id, "session_id": session_id, "plan_name": plan_name,
                "status": EXECUTION_RUNNING}

    def start_plan_step(self, step_row_id: int, attempt: int, content: str,
                        task_id: str | None = None) -> dict[str, Any]:
        """Enqueue attempt `attempt` of a step as a `plan_step` task in the execution's session and mark
        the step `running` with it; returns `{task_id, created}` (`created` False: that attempt exists).

        Raises StoreError when the step is unknown or its execution has ended, and the enqueue errors.
        """
        row = self.conn.execute(
            "SELECT s.execution_id, s.step_id, s.step_index, s.agent_id, e.session_id, e.status "
            "FROM plan_execution_steps s JOIN plan_executions e ON e.id = s.execution_id WHERE s.id = ?",
            (step_row_id,)).fetchone()
        if row is None:
            raise StoreError(f"plan step not found: {step_row_id}")
        execution_id, step_id, step_index, agent_id, session_id, status = row
        if status != EXECUTION_RUNNING:
            raise StoreError(f"plan execution {execution_id} is {status}")
        payload = {"content": content, "source": PLAN_SOURCE,
                   "plan": {"execution_id": execution_id, "step_id": step_id, "attempt": attempt}}
        enqueued = self.enqueue(session_id, payload, agent_id=agent_id, task_type=PLAN_STEP_TASK,
                                idempotency_key=attempt_key(execution_id, step_index, attempt), task_id=task_id)
        self.conn.execute(
            "UPDATE plan_execution_steps SET status = ?, task_id = ?, updated_at = ? WHERE id = ?",
            (STEP_RUNNING, enqueued["task_id"], db_now(), step_row_id))
        return enqueued

    def cancel_plan_step_task(self, task_id: str, error: str) -> bool:
        """Cancel a step's task that ran out of time, recording `error` as its error; False if it had ended."""
        if not self.cancel(task_id):
            return False
        self.conn.execute("UPDATE tasks SET error = ? WHERE id = ?", (error, task_id))
        return True

    def finish_plan_step(self, step_row_id: int, status: str, result: str | None = None,
                         error: str | None = None) -> dict[str, Any]:
        """End a step (`succeeded` with its reply, or `failed` with the error) with the cost of every task
        it ran, and bring the execution's `completed_steps` and `total_cost_usd` up to date.

        Returns the execution's `{completed_steps, total_cost_usd}`.
        """
        if status not in STEP_ENDS:
            raise StoreError(f"plan step status must be one of {sorted(STEP_ENDS)}, got {status!r}")
        row = self.conn.execute("SELECT execution_id, step_index FROM plan_execution_steps WHERE id = ?",
                                (step_row_id,)).fetchone()
        if row is None:
            raise StoreError(f"plan step not found: {step_row_id}")
        execution_id, step_index = row
        (cost,) = self.conn.execute(
            "SELECT COALESCE(SUM(estimated_cost_usd), 0) FROM tasks WHERE idempotency_key >= ? "
            "AND idempotency_key < ?", attempt_key_range(execution_id, step_index)).fetchone()
        now = db_now()
        self.conn.execute(
            "UPDATE plan_execution_steps SET status = ?, result = ?, error = ?, cost_usd = ?, updated_at = ? "
            "WHERE id = ?", (status, result, error, cost, now, step_row_id))
        completed, total_cost = self.conn.execute(
            "UPDATE plan_executions SET completed_steps = (SELECT COUNT(*) FROM plan_execution_steps "
            "WHERE execution_id = ?1 AND status = 'succeeded'), total_cost_usd = (SELECT COALESCE(SUM(cost_usd), 0) "
            "FROM plan_execution_steps WHERE execution_id = ?1), updated_at = ?2 WHERE id = ?1 "
            "RETURNING completed_steps, total_cost_usd", (execution_id, now)).fetchone()
        return {"completed_steps": completed, "total_cost_usd": total_cost}

    def set_plan_execution(self, execution_id: str, current_wave: int | None = None,
                           status: str | None = None) -> bool:
        """Move a running execution to `current_wave` and/or end it with `status`; False if it had ended."""
        if status is not None and status not in EXECUTION_ENDS:
            raise StoreError(f"plan execution status must be one of {sorted(EXECUTION_ENDS)}, got {status!r}")
        updated = self.conn.execute(
            "UPDATE plan_executions SET current_wave = COALESCE(?, current_wave), status = COALESCE(?, status), "
            "updated_at = ? WHERE id = ? AND status = ?",
            (current_wave, status, db_now(), execution_id, EXECUTION_RUNNING))
        return updated.rowcount == 1


def plan_step_details(execution_id: str, plan_name: str, step_id: str, agent_id: str, prompt: str) -> str:
    """The `details` of the approval a gated step waits for (found again by execution and step id)."""
    return json.dumps({"execution_id": execution_id, "plan_name": plan_name, "step_id": step_id,
                       "agent_id": agent_id, "prompt": prompt}, separators=(",", ":"))
