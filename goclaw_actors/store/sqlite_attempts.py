"""Attempts in SQLite: claim (several tasks per statement), start, heartbeat, and the outcome of each
attempt, alone or for a lane's batch (SPEC §3.5–3.6)."""

import json
import uuid
from typing import Any

from goclaw_actors.errors import IllegalTransition, TaskNotFound
from goclaw_actors.queue import states as st
from goclaw_actors.queue.failure import decide_failure
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow
from goclaw_actors.timeutil import db_now
from goclaw_actors.tokens import estimate_tokens

MAX_CLAIM_BATCH = 64  # tasks one claim statement may take

CLAIMED_PAYLOAD = '{"reason":"claim_next_pending"}'
RUNNING_PAYLOAD = '{"reason":"worker_start"}'
SUCCEEDED_PAYLOAD = '{"reason":"processor_success"}'

# The lane index walks due tasks in claim order; without the hint the planner may pick the
# (agent_id, status, available_at) index and sort every queued task on each claim.
_CLAIM = (
    "UPDATE tasks SET status = 'CLAIMED', lease_owner = ?, lease_expires_at = ?, updated_at = ? "
    "WHERE id IN (SELECT id FROM tasks INDEXED BY idx_tasks_lane "
    "WHERE agent_id = ? AND status = 'QUEUED' AND available_at <= ? "
    "ORDER BY priority DESC, created_at ASC, id ASC LIMIT ?) AND status = 'QUEUED' "
    f"RETURNING {TASK_COLUMNS}"
)
_START = (
    "UPDATE tasks SET status = 'RUNNING', updated_at = ?, lease_expires_at = ?, policy_version = ?, run_id = ? "
    "WHERE id = ? AND status = 'CLAIMED' AND lease_owner = ?"
)
_SUCCEED = (
    "UPDATE tasks SET status = 'SUCCEEDED', updated_at = ?, result = ?, error = NULL, lease_owner = NULL, "
    "lease_expires_at = NULL, prompt_tokens = ?, completion_tokens = ?, total_tokens = ?, estimated_cost_usd = ? "
    f"WHERE id = ? AND status = 'RUNNING' AND lease_owner = ? RETURNING {TASK_COLUMNS}"
)


def claim_order(task: TaskRow) -> tuple:
    """Sort key of SPEC §3.5's claim order: priority DESC, created_at ASC, id ASC."""
    return -task.priority, task.created_at, task.id


class AttemptSql(SqliteTransitions):
    """Claim, start, heartbeat, succeed and fail; each call runs inside the caller's transaction."""

    def claim_many(self, agent_id: str, lease_seconds: float, limit: int = 1) -> list[TaskRow]:
        """Claim up to `limit` of the best due QUEUED tasks of `agent_id` in one statement, in claim order,
        under one fresh lease owner."""
        now = db_now()
        rows = self.conn.execute(_CLAIM, (str(uuid.uuid4()), db_now(lease_seconds), now, agent_id, now,
                                          max(1, min(limit, MAX_CLAIM_BATCH)))).fetchall()
        tasks = sorted((TaskRow.from_row(row) for row in rows), key=claim_order)
        for task in tasks:
            self.event(task, st.EV_CLAIMED, st.QUEUED, st.CLAIMED, CLAIMED_PAYLOAD, now)
        return tasks

    def claim(self, agent_id: str, lease_seconds: float) -> TaskRow | None:
        """Claim the best due QUEUED task of `agent_id` with a fresh lease, or None."""
        tasks = self.claim_many(agent_id, lease_seconds)
        return tasks[0] if tasks else None

    def claim_batch(self, agent_id: str, lease_seconds: float, policy_version: str = "",
                    limit: int = 1) -> list[TaskRow]:
        """Claim up to `limit` due tasks and start them all (CLAIMED ⇒ RUNNING, a new run each), in claim
        order: what a lane runs next, one after the other."""
        tasks = self.claim_many(agent_id, lease_seconds, limit)
        if not tasks:
            return tasks
        now, expires = db_now(), db_now(lease_seconds)
        for task in tasks:
            task.run_id = str(uuid.uuid4())
        started = self.conn.executemany(_START, [(now, expires, policy_version or None, task.run_id, task.id,
                                                  task.lease_owner) for task in tasks]).rowcount
        if started != len(tasks):
            raise IllegalTransition(f"claimed tasks changed before their start ({started} of {len(tasks)})")
        for task in tasks:
            task.status, task.updated_at, task.lease_expires_at = st.RUNNING, now, expires
            task.policy_version = policy_version or None
            self.event(task, st.EV_RUNNING, st.CLAIMED, st.RUNNING, RUNNING_PAYLOAD, now)
        return tasks

    def claim_and_start(self, agent_id: str, lease_seconds: float, policy_version: str = "") -> TaskRow | None:
        """Claim the best due task and start it in the same transaction (two transitions, two events)."""
        tasks = self.claim_batch(agent_id, lease_seconds, policy_version)
        return tasks[0] if tasks else None

    def start(self, task_id: str, lease_owner: str, lease_seconds: float, policy_version: str = "") -> TaskRow:
        """CLAIMED ⇒ RUNNING under `lease_owner`: renew the lease, pin the policy version, open a run."""
        task = self.get_task(task_id)
        now = db_now()
        task.run_id = str(uuid.uuid4())
        self.transition(
            task, st.RUNNING, st.EV_RUNNING, RUNNING_PAYLOAD, now, guard_lease=lease_owner,
            lease_expires_at=db_now(lease_seconds), policy_version=policy_version or None, run_id=task.run_id,
        )
        return task

    def heartbeat(self, task_id: str, lease_owner: str, lease_seconds: float) -> bool:
        """Renew the lease of a RUNNING/CLAIMED task; returns `cancel_requested`.

        Raises IllegalTransition when the lease is no longer ours (expired and requeued, or canceled).
        """
        row = self.conn.execute(
            "UPDATE tasks SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? "
            "AND status IN ('CLAIMED', 'RUNNING') RETURNING cancel_requested",
            (db_now(lease_seconds), task_id, lease_owner),
        ).fetchone()
        if row is None:
            raise IllegalTransition(f"task {task_id} lease lost")
        return bool(row[0])

    def succeed(
        self,
        task_id: str,
        lease_owner: str,
        result: dict[str, Any],
        usage: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        store_reply: bool = True,
    ) -> None:
        """RUNNING ⇒ SUCCEEDED with result, assistant message, usage and a `task_metrics` row; one guarded
        `UPDATE … RETURNING` (IllegalTransition / TaskNotFound when the guard fails, nothing written)."""
        now = db_now()
        usage = usage or {}
        prompt = int(usage.get("prompt_tokens") or 0)
        completion = int(usage.get("completion_tokens") or 0)
        cost = float(usage.get("estimated_cost_usd") or 0.0)
        row = self.conn.execute(_SUCCEED, (now, json.dumps(result, separators=(",", ":")), prompt, completion,
                                           prompt + completion, cost, task_id, lease_owner)).fetchone()
        if row is None:
            raise self._guard_failed(task_id, st.SUCCEEDED)
        task = TaskRow.from_row(row)
        session_id, agent_id = task.session_id, task.agent_id
        self.event(task, st.EV_SUCCEEDED, st.RUNNING, st.SUCCEEDED, SUCCEEDED_PAYLOAD, now)
        self.task_ended(task, now)
        reply = result.get("reply")
        if store_reply and isinstance(reply, str) and task.type not in st.NO_HISTORY_TYPES:
            tool_calls = result.get("tool_calls")
            self.conn.execute(
                "INSERT INTO messages (session_id, agent_id, role, content, tokens, tool_calls_json, created_at) "
                "VALUES (?, ?, 'assistant', ?, ?, ?, ?)",
                (session_id, agent_id, reply, completion or estimate_tokens(reply),
                 json.dumps(tool_calls) if tool_calls else None, now),
            )
        metrics = metrics or {}
        self.conn.execute(
            "INSERT OR REPLACE INTO task_metrics (task_id, agent_id, queue_wait_ms, run_ms, prompt_tokens, "
            "completion_tokens, estimated_cost_usd, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (task_id, agent_id, metrics.get("queue_wait_ms"), metrics.get("run_ms"), prompt, completion, cost, now),
        )

    def _guard_failed(self, task_id: str, state_to: str) -> Exception:
        """Why a guarded move of `task_id` to `state_to` matched no row: TaskNotFound, or IllegalTransition."""
        task = self.get_task(task_id)
        if not st.is_legal(task.status, state_to):
            return IllegalTransition(f"illegal task transition {task.status} -> {state_to}")
        return IllegalTransition(f"task {task_id} is no longer {task.status} under this lease")

    def fail(self, task_id: str, lease_owner: str, error: str,
             failure: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record a failed attempt: retry with backoff, or dead-letter (max attempts wins over poison; a
        failure that is not retriable is dead-lettered at once). `failure` (AttemptFailure.as_dict) is kept
        in the attempt's event payload, where the gateways read why the task failed.

        Returns `{status, reason_code, attempt, delay_ms}`.
        """
        task = self.get_task(task_id)
        now = db_now()
        outcome = decide_failure(task.id, task.attempt, task.max_attempts, task.last_error_fingerprint,
                                 task.poison_count, error, retriable=(failure or {}).get("retriable") is not False)
        common = dict(attempt=outcome.attempt, error=error, last_error_code=outcome.reason_code,
                      last_error_fingerprint=outcome.fingerprint, poison_count=outcome.poison_count,
                      lease_owner=None, lease_expires_at=None)
        described = {"failure": failure} if failure and failure.get("kind") else {}
        if outcome.dead_letter:
            self.transition(task, st.FAILED, st.EV_FAILED,
                            {"reason": "processor_error", "reason_code": outcome.reason_code,
                             "attempt": outcome.attempt, "max_attempts": task.max_attempts, **described},
                            now, guard_lease=lease_owner, **common)
            self.transition(task, st.DEAD_LETTER, st.EV_DEAD_LETTER,
                            {"reason": "terminal_failure", "reason_code": outcome.reason_code}, now)
            return {"status": st.DEAD_LETTER, "reason_code": outcome.reason_code,
                    "attempt": outcome.attempt, "delay_ms": 0}
        self.transition(task, st.RETRY_WAIT, st.EV_RETRY_WAIT,
                        {"reason": "retry_scheduled", "reason_code": outcome.reason_code,
                         "attempt": outcome.attempt, "max_attempts": task.max_attempts,
                         "delay_ms": outcome.delay_ms, **described},
                        now, guard_lease=lease_owner, **common)
        self.transition(task, st.QUEUED, st.EV_REQUEUED,
                        {"reason": "ready_for_retry", "reason_code": outcome.reason_code}, now,
                        available_at=db_now(outcome.delay_ms / 1000.0))
        return {"status": st.QUEUED, "reason_code": outcome.reason_code, "attempt": outcome.attempt,
                "delay_ms": outcome.delay_ms}

    def record_outcomes(self, outcomes: list[dict[str, Any]]) -> list[str | None]:
        """The outcomes of a lane's attempts, in one request: each is the keyword arguments of `succeed`, or
        of `fail` (with `error`). Returns, per outcome, None when recorded or why not (the lease was lost or
        the task canceled meanwhile: that outcome changes nothing, the others still count)."""
        problems: list[str | None] = []
        for outcome in outcomes:
            try:
                if "error" in outcome:
                    self.fail(**outcome)
                else:
                    self.succeed(**outcome)
                problems.append(None)
            except (IllegalTransition, TaskNotFound) as exc:  # raised before anything of it was written
                problems.append(str(exc))
        return problems
