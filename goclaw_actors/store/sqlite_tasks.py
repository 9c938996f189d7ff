"""Task lifecycle in SQLite: enqueue and cancel (SPEC §3.4, §3.7); attempts are in sqlite_attempts."""

import json
from typing import Any

from goclaw_actors.errors import AgentNotFound, QueueSaturated, StoreError
from goclaw_actors.ids import time_ordered_uuid
from goclaw_actors.queue import states as st
from goclaw_actors.store.sqlite_agents import AgentSql
from goclaw_actors.store.sqlite_attempts import AttemptSql
from goclaw_actors.telemetry.trace_context import trace_id_of
from goclaw_actors.timeutil import db_now
from goclaw_actors.tokens import estimate_tokens

DEFAULT_MAX_ATTEMPTS = 3
TIMEOUT_ERROR = "task timeout exceeded: context deadline exceeded"
ABORT_ERROR = "aborted"
ENQUEUED_PAYLOAD = '{"reason":"create_task"}'


class TaskLifecycleSql(AttemptSql, AgentSql):
    """Enqueue and cancel, plus the attempts' operations; each call runs inside the caller's transaction."""

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
        agent = self.agent_limits(agent_id)
        if agent is None or agent[0] != "active":
            raise AgentNotFound(agent_id)
        if agent[1] > 0:
            (depth,) = self.conn.execute(
                "SELECT COUNT(*) FROM tasks WHERE agent_id = ? AND status = 'QUEUED'", (agent_id,)
            ).fetchone()
            if depth >= agent[1]:
                raise QueueSaturated()
        now = db_now()
        task_id = task_id or time_ordered_uuid()
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
        self.record_event(task_id, session_id, agent_id, "", st.EV_ENQUEUED, None, st.QUEUED, ENQUEUED_PAYLOAD, now,
                          trace_id_of(self.traceparent) or session_id)
        return {"task_id": task_id, "created": True}

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
