"""The store's write interface: what actors may ask the store to do, independent of the database.

The SQLite implementation is `SqliteQueue`; a Postgres backend (FOR UPDATE SKIP LOCKED,
several daemons on one queue) implements the same methods and nothing above it changes.
"""

from typing import Any, Protocol

from goclaw_actors.store.task_row import TaskRow

# The operations a write request may name; anything else is refused before touching the database.
WRITE_OPS = frozenset({
    "enqueue", "claim", "start", "claim_and_start", "claim_batch", "record_outcomes", "heartbeat", "succeed", "fail",
    "cancel", "cancel_agent_backlog",
    "requeue_expired_leases", "recover_interrupted", "release_for_shutdown", "age_queued", "delete_expired",
    "dedup_begin", "dedup_finish", "record_alert", "upsert_agent", "set_agent_status", "put_kv", "delete_kv",
    "record_policy_version", "write_audit",
    "compact_history", "save_loop_checkpoint",
    "replace_history", "enqueue_chat_with_history",
    "purge_session", "create_approval", "resolve_approval", "expire_approvals",
    "add_schedule", "remove_schedule", "set_schedule_enabled", "fire_schedule",
    "enable_skill", "register_skill_module", "record_skill_fault", "register_installed_skill",
    "remove_installed_skill",
    "create_plan_execution", "start_plan_step", "cancel_plan_step_task", "finish_plan_step", "set_plan_execution",
    "refuse_plan_step", "cancel_plan_execution",
    "start_delegation", "abort_delegation", "take_delegation_results",
    "send_agent_message", "read_agent_messages", "set_team",
    "enqueue_line", "clear_history",
    "memory_set", "memory_delete", "memory_clear", "memory_turn",
    "pin_add", "pin_remove", "pin_refresh", "share_add", "share_remove",
    "telegram_intake", "telegram_reply_message", "telegram_reply_delivered",
})


class QueueBackend(Protocol):
    """Durable queue operations; each runs inside one transaction opened by the store."""

    committed_events: list[dict[str, Any]]
    traceparent: str | None  # the trace context of the request being run; tasks it creates keep it

    def flush_events(self) -> None: ...

    def discard_events(self, mark: int) -> None: ...

    def enqueue(self, session_id: str, payload: dict[str, Any], agent_id: str = "default",
                task_type: str = "chat", priority: int = 0, max_attempts: int = 3,
                parent_task_id: str | None = None, idempotency_key: str | None = None,
                append_message: bool = True, task_id: str | None = None) -> dict[str, Any]: ...

    def claim(self, agent_id: str, lease_seconds: float) -> TaskRow | None: ...

    def start(self, task_id: str, lease_owner: str, lease_seconds: float, policy_version: str = "") -> TaskRow: ...

    def claim_and_start(self, agent_id: str, lease_seconds: float, policy_version: str = "") -> TaskRow | None: ...

    def claim_batch(self, agent_id: str, lease_seconds: float, policy_version: str = "",
                    limit: int = 1) -> list[TaskRow]: ...

    def record_outcomes(self, outcomes: list[dict[str, Any]]) -> list[str | None]: ...

    def heartbeat(self, task_id: str, lease_owner: str, lease_seconds: float) -> bool: ...

    def succeed(self, task_id: str, lease_owner: str, result: dict[str, Any],
                usage: dict[str, Any] | None = None, metrics: dict[str, Any] | None = None,
                store_reply: bool = True) -> None: ...

    def fail(self, task_id: str, lease_owner: str, error: str,
             failure: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def cancel(self, task_id: str, reason: str = "abort_request") -> bool: ...

    def cancel_agent_backlog(self, agent_id: str) -> int: ...

    def requeue_expired_leases(self) -> int: ...

    def recover_interrupted(self) -> int: ...

    def release_for_shutdown(self, task_id: str, lease_owner: str) -> bool: ...

    def age_queued(self) -> int: ...

    def delete_expired(self, table: str, keys: list[int], cutoff: str) -> int: ...

    def upsert_agent(self, agent_id: str, fields: dict[str, Any], status: str = "active") -> None: ...

    def set_agent_status(self, agent_id: str, status: str) -> bool: ...

    def put_kv(self, key: str, value: str) -> None: ...

    def delete_kv(self, keys: list[str]) -> int: ...

    def record_policy_version(self, policy_version: str, checksum: str, source: str) -> bool: ...

    def write_audit(self, action: str, decision: str, reason: str, policy_version: str = "",
                    subject: str | None = None, trace_id: str | None = None) -> None: ...
