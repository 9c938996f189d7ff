"""The task row as the queue hands it to workers and readers."""

import json
from dataclasses import dataclass, field
from typing import Any

from goclaw_actors.telemetry.trace_context import trace_id_of

TASK_COLUMNS = (
    "id, session_id, agent_id, type, status, priority, attempt, max_attempts, payload, result, "
    "error, lease_owner, lease_expires_at, run_id, parent_task_id, available_at, created_at, "
    "updated_at, last_error_code, last_error_fingerprint, poison_count, cancel_requested, "
    "policy_version, prompt_tokens, completion_tokens, total_tokens, estimated_cost_usd, traceparent"
)


@dataclass
class TaskRow:
    """One `tasks` row; `payload` is decoded, `result` stays the stored JSON text."""

    id: str
    session_id: str
    agent_id: str
    type: str
    status: str
    priority: int
    attempt: int
    max_attempts: int
    payload: dict[str, Any]
    result: str | None
    error: str | None
    lease_owner: str | None
    lease_expires_at: str | None
    run_id: str
    parent_task_id: str | None
    available_at: str
    created_at: str
    updated_at: str
    last_error_code: str | None
    last_error_fingerprint: str | None
    poison_count: int
    cancel_requested: bool
    policy_version: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    estimated_cost_usd: float = 0.0
    traceparent: str | None = None  # W3C trace context of what enqueued it (SPEC §11.3)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def trace_id(self) -> str:
        """The `trace_id` of the task's events: its trace's id, else its session id (SPEC §3.3)."""
        return trace_id_of(self.traceparent) or self.session_id

    @classmethod
    def from_row(cls, row: tuple) -> "TaskRow":
        """Build from a tuple selected with TASK_COLUMNS."""
        values = list(row)
        values[8] = decode_payload(values[8])
        values[21] = bool(values[21])
        return cls(*values)


def decode_payload(text: str | None) -> dict[str, Any]:
    """Decode a stored payload; text that is not a JSON object becomes `{"content": text}`."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"content": text}
    return value if isinstance(value, dict) else {"content": str(value)}
