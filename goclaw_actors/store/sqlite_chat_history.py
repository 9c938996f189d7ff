"""Conversation history sent by a client: replace a (session, agent) history, alone or with the next turn's enqueue.

The OpenAI-compatible API sends the whole conversation with every request; the client is the
source of truth, so the stored history is replaced by it (SPEC §9.4).
"""

import json
from typing import Any

from goclaw_actors.errors import StoreError
from goclaw_actors.store.sqlite_tasks import estimate_tokens
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

MESSAGE_ROLES = frozenset({"system", "user", "assistant", "tool"})


class ChatHistorySql(SqliteTransitions):
    """Replace a conversation's stored messages; mixed into SqliteQueue (which provides `enqueue`)."""

    def replace_history(self, session_id: str, agent_id: str, messages: list[dict[str, Any]]) -> int:
        """Make `messages` (`{role, content, tool_call_id?, tool_calls?}`, oldest first) the whole history
        of (session, agent), creating the session if needed; returns the number of messages stored.

        Raises StoreError for a message with an unknown role or non-string content.
        """
        rows = [_message_row(message) for message in messages]
        now = db_now()
        self.conn.execute(
            "INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
            (session_id, now, now),
        )
        self.conn.execute("DELETE FROM messages WHERE session_id = ? AND agent_id = ?", (session_id, agent_id))
        self.conn.executemany(
            "INSERT INTO messages (session_id, agent_id, role, content, tokens, tool_call_id, tool_calls_json, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(session_id, agent_id, *row, now) for row in rows],
        )
        return len(rows)

    def enqueue_chat_with_history(self, session_id: str, payload: dict[str, Any], messages: list[dict[str, Any]],
                                  agent_id: str = "default", **enqueue_args: Any) -> dict[str, Any]:
        """Enqueue the next turn and make `messages` (the whole conversation, ending with that turn) the
        (session, agent) history, in the same transaction: a request is one durable write.

        A refused enqueue (AgentNotFound, QueueSaturated) writes nothing; a known idempotency key
        returns the existing task and leaves the history alone. `enqueue_args` are those of `enqueue`
        (except `append_message`); returns its `{task_id, created}`.
        """
        result = self.enqueue(session_id, payload, agent_id=agent_id, append_message=False, **enqueue_args)
        if result["created"]:
            self.replace_history(session_id, agent_id, messages)
        return result

def _message_row(message: dict[str, Any]) -> tuple[str, str, int, str | None, str | None]:
    role, content = message.get("role"), message.get("content")
    if role not in MESSAGE_ROLES:
        raise StoreError(f"unknown message role: {role!r}")
    content = "" if content is None else content
    if not isinstance(content, str):
        raise StoreError("message content must be a string")
    tool_calls = message.get("tool_calls")
    return (role, content, estimate_tokens(content), message.get("tool_call_id") or None,
            json.dumps(tool_calls) if tool_calls else None)
