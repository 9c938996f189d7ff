"""Inter-agent messages in SQLite (SPEC §7.3): a message row and the recipient's task in one transaction, read
once per task.

The row carries the sending tool call's idempotency key, so a retried sender never sends twice; a message
read by a task is given to that task again when it is retried (its earlier attempt may have lost it).
"""

import uuid
from typing import Any

from goclaw_actors.errors import AgentNotFound
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

MESSAGE_TASK = "agent_message"
MESSAGE_SOURCE = "agent_message"
MAX_MESSAGE_DEPTH = 5  # a message at this depth or deeper is stored, not delivered (no endless ping-pong)
MESSAGE_COLUMNS = "id, from_agent, to_agent, content, message_depth, task_id, read_at, created_at"


def message_session_id(agent_a: str, agent_b: str) -> str:
    """The session two agents' messages run in: UUIDv5(NAMESPACE_OID, `agent-msg:<a>:<b>`), ids sorted."""
    first, second = sorted((agent_a, agent_b))
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"agent-msg:{first}:{second}"))


def message_content(from_agent: str, content: str) -> str:
    """What the recipient is asked: `[Message from @<from>]: <content>`."""
    return f"[Message from @{from_agent}]: {content}"


def message_dict(row: tuple) -> dict[str, Any]:
    """A row selected with MESSAGE_COLUMNS as a dict."""
    return dict(zip([name.strip() for name in MESSAGE_COLUMNS.split(",")], row))


class AgentMessageSql(SqliteTransitions):
    """Message writes in the caller's transaction; `enqueue` and `count_collaboration` come from the composed
    SqliteQueue."""

    def send_agent_message(self, from_agent: str, to_agent: str, content: str, depth: int,
                           idempotency_key: str | None = None) -> dict[str, Any]:
        """Store a message and, below MAX_MESSAGE_DEPTH, enqueue the recipient's `agent_message` task (with
        `message_depth` = `depth`); returns the message as a dict (`task_id` None when not delivered).

        A known `idempotency_key` returns the message stored with it. Raises AgentNotFound for an unknown or
        stopped recipient, QueueSaturated when its queue is full.
        """
        if idempotency_key:
            found = self.conn.execute(f"SELECT {MESSAGE_COLUMNS} FROM agent_messages WHERE idempotency_key = ?",
                                      (idempotency_key,)).fetchone()
            if found:
                return message_dict(found)
        recipient = self.conn.execute("SELECT status FROM agents WHERE agent_id = ?", (to_agent,)).fetchone()
        if recipient is None or recipient[0] != "active":
            raise AgentNotFound(to_agent)
        now = db_now()
        (message_id,) = self.conn.execute(
            "INSERT INTO agent_messages (from_agent, to_agent, content, message_depth, idempotency_key, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id", (from_agent, to_agent, content, depth, idempotency_key, now)
        ).fetchone()
        task_id = None
        if depth < MAX_MESSAGE_DEPTH:
            payload = {"content": message_content(from_agent, content), "source": MESSAGE_SOURCE,
                       "message_depth": depth, "agent_message": {"id": message_id, "from_agent": from_agent}}
            task_id = self.enqueue(message_session_id(from_agent, to_agent), payload, agent_id=to_agent,
                                   task_type=MESSAGE_TASK, idempotency_key=f"agent-msg:{message_id}")["task_id"]
            self.conn.execute("UPDATE agent_messages SET task_id = ? WHERE id = ?", (task_id, message_id))
        self.count_collaboration(from_agent, to_agent, "messages", now)
        return message_dict(self.conn.execute(f"SELECT {MESSAGE_COLUMNS} FROM agent_messages WHERE id = ?",
                                              (message_id,)).fetchone())

    def read_agent_messages(self, agent_id: str, limit: int, task_id: str) -> list[dict[str, Any]]:
        """Up to `limit` unread messages to `agent_id`, oldest first, now marked read by `task_id` (messages
        that task read before are included again)."""
        rows = [message_dict(row) for row in self.conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM agent_messages "
            "WHERE to_agent = ? AND (read_at IS NULL OR read_task_id = ?) "
            "ORDER BY id LIMIT ?", (agent_id, task_id, limit))]
        now = db_now()
        self.conn.executemany(
            "UPDATE agent_messages SET read_at = ?, read_task_id = ? WHERE id = ? AND read_at IS NULL",
            [(now, task_id, row["id"]) for row in rows])
        return rows
