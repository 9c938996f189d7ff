"""The Task JSON object every protocol returns for a task row (SPEC §9.5)."""

import json
from typing import Any

from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.timeutil import rfc3339


def payload_text(task: TaskRow) -> str:
    """The task's payload as stored (kept exactly when the row was read with its text), else re-encoded."""
    text = task.extra.get("payload_text")
    return text if isinstance(text, str) else json.dumps(task.payload, separators=(",", ":"))


def task_json(task: TaskRow, payload: bool = True, result: bool = True) -> dict[str, Any]:
    """`id, session_id, type, status, attempt, max_attempts, available_at, last_error_code?, poison_count?,
    payload, result?, error?, lease_owner?, lease_expires_at?, created_at, updated_at, agent_id`.

    Optional keys are left out when empty; `payload` and `result` are JSON text; times are RFC 3339.
    A summary (listings) leaves out `payload` and/or `result` when they are not asked for.
    """
    body: dict[str, Any] = {
        "id": task.id,
        "session_id": task.session_id,
        "type": task.type,
        "status": task.status,
        "attempt": task.attempt,
        "max_attempts": task.max_attempts,
        "available_at": rfc3339(task.available_at),
    }
    if task.last_error_code:
        body["last_error_code"] = task.last_error_code
    if task.poison_count:
        body["poison_count"] = task.poison_count
    if payload:
        body["payload"] = payload_text(task)
    if result and task.result:
        body["result"] = task.result
    if task.error:
        body["error"] = task.error
    if task.lease_owner:
        body["lease_owner"] = task.lease_owner
    if task.lease_expires_at:
        body["lease_expires_at"] = rfc3339(task.lease_expires_at)
    body["created_at"] = rfc3339(task.created_at)
    body["updated_at"] = rfc3339(task.updated_at)
    body["agent_id"] = task.agent_id
    return body
