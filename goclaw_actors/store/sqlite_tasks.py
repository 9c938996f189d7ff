"""Task lifecycle in SQLite: enqueue, claim, start, heartbeat, succeed, fail, cancel (SPEC §3.4–3.7)."""

import json
import uuid
from typing import Any

from goclaw_actors.tokens import estimate_tokens
from goclaw_actors.errors import AgentNotFound, IllegalTransition, QueueSaturated, StoreError
from goclaw_actors.queue import states as st
from goclaw_actors.queue.failure import decide_failure
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow
from goclaw_actors.timeutil import db_now

DEFAULT_MAX_ATTEMPTS = 3
TIMEOUT_ERROR = "task timeout exceeded: context deadline exceeded"
ABORT_ERROR = "aborted"


class TaskLifecycleSql(SqliteTransitions):
    """Enqueue, claim, start, heartbeat, succeed, fail and cancel; each call runs inside the caller's transaction."""

    def enqueue(
        self,
        session_id: str,
        payload: dict[str, Any],
        agent_id: str = "default",
        task_type: str = "chat",
        priority: int = 0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        parent_task_id: str | None = None,
        idempotency_key: str | None = None,
        append_message: bool = True,
        task_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a QUEUED task (and its session and user message); returns `{task_id, created}`.

        A known `idempotency_key` returns the existing task with `created: False`.
        Raises AgentNotFound, QueueSaturated, or StoreError for an invalid payload.
        """
        content = payload.get("content") if isinstance(payload, dict) else None
        if not isinstance(content, str) or not content.strip():
            raise StoreError("payload.content must be a non-empty string")
        if task_type not in st.TASK_TYPES:
            raise StoreError(f"unknown task type: {task_type}")
        if idempotency_key:
            existing = self.conn.execute(
                "SELECT id FROM tasks WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
            if existing:
                return {"task_id": existing[0], "created": False}
        agent = self.conn.execute(
            "SELECT status, max_queue_depth FROM agents WHERE agent_id = ?", (agent_id,)
        ).fetchone()
        if agent is None or agent[0] != "active":
            raise AgentNotFound(agent_id)
        if agent[1] > 0:
            (depth,) = self.conn.execute(
                "SELECT COUNT(*) FROM tasks WHERE agent_id = ? AND status = 'QUEUED'", (agent_id,)
            ).fetchone()
            if depth >= agent[1]:
                raise QueueSaturated()
        now = db_now()
        task_id = task_id or str(uuid.uuid4())
        self.conn.execute(
            "INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
            (session_id, now, now),
        )
        if append_message:
            self.conn.execute(
                "INSERT INTO messages (session_id, agent_id, role, content, tokens, created_at) "
                "VALUES (?, ?, 'user', ?, ?, ?)",
                (session_id, agent_id, content, estimate_tokens(content), now),
            )
        payload_json = json.dumps(payload, separators=(",", ":"))
        self.conn.execute(
            "INSERT INTO tasks (id, session_id, agent_id, type, status, priority, attempt, max_attempts, "
            "available_at, payload, parent_task_id, idempotency_key, created_at, updated_at, traceparent) "
            "VALUES (?, ?, ?, ?, 'QUEUED', ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
            (task_id, session_id, agent_id, task_type, priority, max_attempts, now, payload_json,
             parent_task_id, idempotency_key, now, now, self.traceparent),
        )
        task = TaskRow(task_id, session_id, agent_id, task_type, st.QUEUED, priority, 0, max_attempts,
                       payload, None, None, None, None, "", parent_task_id, now, now, now, None, None,
                       0, False, None, traceparent=self.traceparent)
        self.event(task, st.EV_ENQUEUED, None, st.QUEUED, {"reason": "create_task"}, now)
        return {"task_id": task_id, "created": True}

    def claim(self, agent_id: str, lease_seconds: float) -> TaskRow | None:
        """Claim the best due QUEUED task of `agent_id` with a fresh lease, or None."""
        now = db_now()
        lease_owner = str(uuid.uuid4())
        row = self.conn.execute(
            f"UPDATE tasks SET status = 'CLAIMED', lease_owner = ?, lease_expires_at = ?, updated_at = ? "
            # The lane index walks tasks in claim order; without the hint the planner picks the
            # (agent_id, status, available_at) index and sorts every queued task on each claim.
            f"WHERE id = (SELECT id FROM tasks INDEXED BY idx_tasks_lane "
            f"WHERE agent_id = ? AND status = 'QUEUED' AND available_at <= ? "
            f"ORDER BY priority DESC, created_at ASC, id ASC LIMIT 1) AND status = 'QUEUED' "
            f"RETURNING {TASK_COLUMNS}",
            (lease_owner, db_now(lease_seconds), now, agent_id, now),
        ).fetchone()
        if row is None:
            return None
        task = TaskRow.from_row(row)
        self.event(task, st.EV_CLAIMED, st.QUEUED, st.CLAIMED, {"reason": "claim_next_pending"}, now)
        return task

    def start(self, task_id: str, lease_owner: str, lease_seconds: float, policy_version: str = "") -> TaskRow:
        """CLAIMED ⇒ RUNNING under `lease_owner`: renew the lease, pin the policy version, open a run."""
        return self._start(self.get_task(task_id), lease_owner, lease_seconds, policy_version)

    def _start(self, task: TaskRow, lease_owner: str, lease_seconds: float, policy_version: str) -> TaskRow:
        now = db_now()
        task.run_id = str(uuid.uuid4())
        self.transition(
            task, st.RUNNING, st.EV_RUNNING, {"reason": "worker_start"}, now, guard_lease=lease_owner,
            lease_expires_at=db_now(lease_seconds), policy_version=policy_version or None, run_id=task.run_id,
        )
        return task

    def claim_and_start(self, agent_id: str, lease_seconds: float, policy_version: str = "") -> TaskRow | None:
        """Claim the best due task and start it in the same transaction (two transitions, two events)."""
        task = self.claim(agent_id, lease_seconds)
        if task is None:
            return None
        return self._start(task, task.lease_owner, lease_seconds, policy_version)

    def heartbeat(self, task_id: str, lease_owner: str, lease_seconds: float) -> bool:
        """Renew the lease of a RUNNING/CLAIMED task; returns `cancel_requested`.

        Raises IllegalTransition when the lease is no longer ours (expired and requeued, or canceled).
        """
        cursor = self.conn.execute(
            "UPDATE tasks SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? "
            "AND status IN ('CLAIMED', 'RUNNING') RETURNING cancel_requested",
            (db_now(lease_seconds), task_id, lease_owner),
        )
        row = cursor.fetchone()
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
    ) -> TaskRow:
        """RUNNING ⇒ SUCCEEDED with result, assistant message, usage and a `task_metrics` row."""
        task = self.get_task(task_id)
        now = db_now()
        usage = usage or {}
        prompt = int(usage.get("prompt_tokens") or 0)
        completion = int(usage.get("completion_tokens") or 0)
        cost = float(usage.get("estimated_cost_usd") or 0.0)
        self.transition(
            task, st.SUCCEEDED, st.EV_SUCCEEDED, {"reason": "processor_success"}, now, guard_lease=lease_owner,
            result=json.dumps(result, separators=(",", ":")), error=None, lease_owner=None,
            lease_expires_at=None, prompt_tokens=prompt, completion_tokens=completion,
            total_tokens=prompt + completion, estimated_cost_usd=cost,
        )
        reply = result.get("reply")
        if store_reply and isinstance(reply, str) and task.type not in st.NO_HISTORY_TYPES:
            tool_calls = result.get("tool_calls")
            self.conn.execute(
                "INSERT INTO messages (session_id, agent_id, role, content, tokens, tool_calls_json, created_at) "
                "VALUES (?, ?, 'assistant', ?, ?, ?, ?)",
                (task.session_id, task.agent_id, reply, completion or estimate_tokens(reply),
                 json.dumps(tool_calls) if tool_calls else None, now),
            )
        metrics = metrics or {}
        self.conn.execute(
            "INSERT OR REPLACE INTO task_metrics (task_id, agent_id, queue_wait_ms, run_ms, prompt_tokens, "
            "completion_tokens, estimated_cost_usd, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (task.id, task.agent_id, metrics.get("queue_wait_ms"), metrics.get("run_ms"), prompt, completion,
             cost, now),
        )
        return task

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

    def cancel(self, task_id: str, reason: str = "abort_request") -> bool:
        """Cancel a non-terminal task and its non-terminal delegation children; False if already terminal."""
        task = self.get_task(task_id)
        if task.status in st.TERMINAL or task.status == st.FAILED:
            return False
        now = db_now()
        self.transition(task, st.CANCELED, st.EV_CANCELED, {"reason": reason}, now,
                        cancel_requested=1, error=ABORT_ERROR, last_error_code=st.ABORTED,
                        lease_owner=None, lease_expires_at=None)
        children = self.conn.execute(
            "SELECT id FROM tasks WHERE parent_task_id = ? AND type = 'delegation' "
            "AND status NOT IN ('SUCCEEDED', 'CANCELED', 'DEAD_LETTER', 'FAILED')",
            (task_id,),
        ).fetchall()
        for (child_id,) in children:
            self.cancel(child_id, reason="parent_canceled")
        return True

    def cancel_agent_backlog(self, agent_id: str) -> int:
        """Cancel the QUEUED/CLAIMED tasks of a removed agent (reason `agent_deleted`); returns the count."""
        ids = self.conn.execute(
            "SELECT id FROM tasks WHERE agent_id = ? AND status IN ('QUEUED', 'CLAIMED')", (agent_id,)
        ).fetchall()
        return sum(self.cancel(task_id, reason="agent_deleted") for (task_id,) in ids)
