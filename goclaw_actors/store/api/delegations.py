"""Delegations between agents and the messages agents send each other."""

from typing import Any, Protocol


class DelegationsApi(Protocol):
    """Delegations between agents and the messages agents send each other."""

    def start_delegation(self, parent_task_id: str, parent_agent: str, child_agent: str, session_id: str,
                         prompt: str, hop: int, mode: str, idempotency_key: str | None = None) -> dict[str, Any]:
        """Enqueue the child task (type `delegation`, `delegation_hop` = `hop`, `parent_task_id`) with its
        `delegations` row and one more delegation in `agent_collaboration_metrics`.

        Returns `{delegation_id, task_id, created}`; a known `idempotency_key` returns the delegation it made
        (`created` False). Raises AgentNotFound / QueueSaturated as `enqueue` does."""
        ...

    def abort_delegation(self, delegation_id: str, error: str) -> bool:
        """Cancel a delegation's child (and its own delegations) recording `error` on the row; False when the
        child had already ended."""
        ...

    def take_delegation_results(self, task_id: str, session_id: str, agent_id: str) -> list[dict[str, Any]]:
        """The ended async delegations of `agent_id` in `session_id` not yet handed to a turn, oldest first,
        now marked `injected` by `task_id` (a retried attempt of that task gets them again)."""
        ...

    def send_agent_message(self, from_agent: str, to_agent: str, content: str, depth: int,
                           idempotency_key: str | None = None) -> dict[str, Any]:
        """Store a message and, below MAX_MESSAGE_DEPTH, enqueue the recipient's `agent_message` task (with
        `message_depth` = `depth`); returns the message as a dict (`task_id` None when not delivered).

        A known `idempotency_key` returns the message stored with it. Raises AgentNotFound for an unknown or
        stopped recipient, QueueSaturated when its queue is full."""
        ...

    def read_agent_messages(self, agent_id: str, limit: int, task_id: str) -> list[dict[str, Any]]:
        """Up to `limit` unread messages to `agent_id`, oldest first, now marked read by `task_id` (messages
        that task read before are included again)."""
        ...
