"""Sessions and their messages: chat lines, history replacement and compaction, loop checkpoints, purge."""

from typing import Any, Protocol


class SessionsApi(Protocol):
    """Sessions and their messages: chat lines, history replacement and compaction, loop checkpoints, purge."""

    def enqueue_line(self, session_id: str, payload: dict[str, Any], agent_id: str = "default",
                     task_type: str = "chat", sticky_agent_id: str | None = None,
                     **enqueue_args: Any) -> dict[str, Any]:
        """Enqueue a chat line for `agent_id`: a turn (its text joins the history) or a command task (it does
        not); with `sticky_agent_id`, that agent becomes the session's target for later lines, in the same
        transaction. Returns enqueue's `{task_id, created}`."""
        ...

    def enqueue_chat_with_history(self, session_id: str, payload: dict[str, Any], messages: list[dict[str, Any]],
                                  agent_id: str = "default", **enqueue_args: Any) -> dict[str, Any]:
        """Enqueue the next turn and make `messages` (the whole conversation, ending with that turn) the
        (session, agent) history, in the same transaction: a request is one durable write.

        A refused enqueue (AgentNotFound, QueueSaturated) writes nothing; a known idempotency key
        returns the existing task and leaves the history alone. `enqueue_args` are those of `enqueue`
        (except `append_message`); returns its `{task_id, created}`."""
        ...

    def replace_history(self, session_id: str, agent_id: str, messages: list[dict[str, Any]]) -> int:
        """Make `messages` (`{role, content, tool_call_id?, tool_calls?}`, oldest first) the whole history
        of (session, agent), creating the session if needed; returns the number of messages stored.

        Raises StoreError for a message with an unknown role or non-string content."""
        ...

    def compact_history(self, session_id: str, agent_id: str, archive_ids: list[int], summary: str) -> int:
        """Archive `archive_ids` of (session, agent); the newest of them becomes the summary message.

        Reusing that row's id keeps the summary ordered before every message that was kept.
        Returns the number of messages archived."""
        ...

    def clear_history(self, session_id: str, agent_id: str) -> int:
        """Archive the (session, agent) conversation (`/clear`): later turns start afresh; returns how many
        messages were archived."""
        ...

    def purge_session(self, session_id: str, policy_version: str = "", redacted_by: str = "") -> dict[str, Any]:
        """Delete the session's messages, redact its tasks' payload/result and its events' payloads,
        and record one `data_redactions` row per deleted message and per task; returns the counts."""
        ...

    def save_loop_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Insert or update the checkpoint row of `checkpoint["loop_id"]`."""
        ...
