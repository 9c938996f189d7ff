"""Plan executions in SQLite (SPEC §7.4): an execution and its step rows, step tasks, step results, progress.

Each task a step runs carries the idempotency key `plan:<execution_id>:<step_index>:<attempt>`, so a
step's attempts (and their cost) are found again after a crash, and one attempt is never enqueued twice.
"""

import json
import uuid
from typing import Any

from goclaw_actors.errors import StoreError
from goclaw_actors.queue.states import TERMINAL
from goclaw_actors.store.sqlite_approvals import APPROVAL_COLUMNS, DENIED, PENDING, approval_dict
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
EXECUTION_CANCELED = "canceled"
CANCELED_STEP_ERROR = "plan execution canceled"


def attempt_key(execution_id: str, step_index: int, attempt: int) -> str:
    """The idempotency key of a step's task number `attempt` (0-based)."""
    return f"plan:{execution_id}:{step_index}:{attempt}"


def attempt_key_range(execution_id: str, step_index: int) -> tuple[str, str]:
    """`[low, high)` bounds holding exactly the keys of one step's attempts (";" sorts right after ":")."""
    return key_range(f"plan:{execution_id}:{step_index}:")


def execution_key_range(execution_id: str) -> tuple[str, str]:
    """`[low, high)` bounds holding exactly the keys of every step task of one execution."""
    return key_range(f"plan:{execution_id}:")


def key_range(prefix: str) -> tuple[str, str]:
    """`[low, high)` bounds of the keys starting with `prefix`, which ends with ":" (";" sorts right after it)."""
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

    def refuse_plan_step(self, step_row_id: int, attempt: int, error: str) -> None:
        """Record that attempt `attempt` of a step could not be enqueued (`error`: agent gone, queue saturated);
        it counts as a failed attempt of the step (SPEC §7.4 retry rules)."""
        row = self.conn.execute("SELECT execution_id, step_index FROM plan_execution_steps WHERE id = ?",
                                (step_row_id,)).fetchone()
        if row is None:
            raise StoreError(f"plan step not found: {step_row_id}")
        self.conn.execute("INSERT OR IGNORE INTO plan_step_refusals (execution_id, step_index, attempt, error, "
                          "created_at) VALUES (?, ?, ?, ?, ?)", (*row, attempt, error, db_now()))

    def cancel_plan_execution(self, execution_id: str) -> dict[str, Any]:
        """Cancel a running execution: it becomes `canceled`, its unfinished steps `failed` (`plan execution
        canceled`) and their tasks that have not ended are canceled.

        Returns `{execution_id, canceled, status, tasks: [[task_id, agent_id], …], approvals: [denied rows]}`
        (`canceled` False: it had ended, nothing changed); the pending approvals of its gated steps are denied.
        Raises StoreError for an unknown execution.
        """
        row = self.conn.execute("SELECT status FROM plan_executions WHERE id = ?", (execution_id,)).fetchone()
        if row is None:
            raise StoreError(f"plan execution not found: {execution_id}")
        if row[0] != EXECUTION_RUNNING:
            return {"execution_id": execution_id, "canceled": False, "status": row[0], "tasks": [], "approvals": []}
        now = db_now()
        self.conn.execute("UPDATE plan_executions SET status = ?, updated_at = ? WHERE id = ?",
                          (EXECUTION_CANCELED, now, execution_id))
        self.conn.execute(
            "UPDATE plan_execution_steps SET status = 'failed', error = ?, updated_at = ? WHERE execution_id = ? "
            "AND status IN (?, ?)", (CANCELED_STEP_ERROR, now, execution_id, STEP_PENDING, STEP_RUNNING))
        live = self.conn.execute(
            f"SELECT id, agent_id FROM tasks WHERE idempotency_key >= ? AND idempotency_key < ? AND status NOT IN "
            f"({', '.join('?' for _ in TERMINAL)}) ORDER BY created_at, id",
            (*execution_key_range(execution_id), *sorted(TERMINAL))).fetchall()
        canceled = [[task_id, agent_id] for task_id, agent_id in live if self.cancel(task_id)]
        denied = self.conn.execute(  # a gated step's approval has nothing left to decide
            f"UPDATE approvals SET status = ?, resolved_at = ? WHERE action = ? AND status = ? "
            f"AND json_extract(details, '$.execution_id') = ? RETURNING {APPROVAL_COLUMNS}",
            (DENIED, now, PLAN_STEP_ACTION, PENDING, execution_id)).fetchall()
        return {"execution_id": execution_id, "canceled": True, "status": EXECUTION_CANCELED, "tasks": canceled,
                "approvals": [approval_dict(row) for row in denied]}

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
