"""The store's write interface: what actors may ask the store to do, independent of the database.

The operations are declared by noun in goclaw_actors/store/api/ (tasks, sessions, approvals, …); callers
reach them through the typed facade `StoreApi` (`store.tasks.enqueue(...)`). The SQLite implementation is
`SqliteQueue`; a Postgres backend (FOR UPDATE SKIP LOCKED, several daemons on one queue) implements the
same methods and nothing above it changes.
"""

from typing import Any, Protocol

from goclaw_actors.store.api.agents import AgentsApi
from goclaw_actors.store.api.approvals import ApprovalsApi
from goclaw_actors.store.api.audit import AuditApi
from goclaw_actors.store.api.dedup import DedupApi
from goclaw_actors.store.api.delegations import DelegationsApi
from goclaw_actors.store.api.channels import ChannelsApi
from goclaw_actors.store.api.kv import KvApi
from goclaw_actors.store.api.maintenance import MaintenanceApi
from goclaw_actors.store.api.memory import MemoryApi
from goclaw_actors.store.api.plans import PlansApi
from goclaw_actors.store.api.schedules import SchedulesApi
from goclaw_actors.store.api.sessions import SessionsApi
from goclaw_actors.store.api.skills import SkillsApi
from goclaw_actors.store.api.tasks import TasksApi

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


class BackendCore(Protocol):
    """What the group commit needs of a backend besides its operations: the events of the open batch and
    the trace context of the request being run."""

    committed_events: list[dict[str, Any]]
    traceparent: str | None  # the trace context of the request being run; tasks it creates keep it

    def flush_events(self) -> None:
        """Write the pending event rows of the batch."""
        ...

    def discard_events(self, mark: int) -> None:
        """Forget the events recorded after `mark` (their request was rolled back)."""
        ...


class QueueBackend(BackendCore, TasksApi, SessionsApi, ApprovalsApi, PlansApi, SchedulesApi, KvApi, AuditApi,
                   AgentsApi, DelegationsApi, MemoryApi, DedupApi, SkillsApi, MaintenanceApi, ChannelsApi, Protocol):
    """Every durable write operation, each run inside one transaction opened by the store: the union of the
    noun interfaces in goclaw_actors/store/api/ (declared there, with their signatures and documentation)."""
