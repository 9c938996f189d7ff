"""The Telegram channel's durable state (SPEC §10): update offsets committed with the tasks they create, each
user's sticky @mention target, and the replies still to deliver."""

from typing import Any

from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now

CHAT_ENQUEUE_OPS = frozenset({"enqueue", "enqueue_line"})  # what an update's line may run (chat_tasks.enqueue_call)


class TelegramSql(SqliteTransitions):
    """Mixed into SqliteQueue (which provides the enqueue ops)."""

    def telegram_intake(self, channel: str, update_id: int, enqueue: dict[str, Any] | None = None,
                        reply: dict[str, Any] | None = None, sticky: dict[str, Any] | None = None) -> dict[str, Any]:
        """Take in update `update_id` of `channel` once: run `enqueue` (`{op, args}` of chat_tasks.enqueue_call),
        record `reply` (`{chat_id, reply_to}`: where the task's answer goes) and `sticky` (`{user_id, agent_id}`)
        and move the channel's offset to `update_id`, all in the caller's transaction. An update at or below the
        offset was taken in already: nothing changes and `duplicate` is True. Returns `{duplicate, task_id}`."""
        row = self.conn.execute("SELECT update_offset FROM channel_offsets WHERE channel = ?", (channel,)).fetchone()
        if row is not None and update_id <= row[0]:
            return {"duplicate": True, "task_id": None}
        now = db_now()
        task_id = None
        if enqueue is not None:
            if enqueue["op"] not in CHAT_ENQUEUE_OPS:
                raise ValueError(f"not a chat enqueue op: {enqueue['op']}")
            task_id = getattr(self, enqueue["op"])(**enqueue["args"])["task_id"]
            if reply is not None:
                self.conn.execute(
                    "INSERT OR IGNORE INTO telegram_replies (task_id, chat_id, reply_to, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (task_id, reply["chat_id"], reply.get("reply_to"), now))
        if sticky is not None:
            self.conn.execute(
                "INSERT INTO telegram_users (user_id, sticky_agent_id, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET sticky_agent_id = excluded.sticky_agent_id, "
                "updated_at = excluded.updated_at", (sticky["user_id"], sticky["agent_id"], now))
        self.conn.execute(
            "INSERT INTO channel_offsets (channel, update_offset, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (channel) DO UPDATE SET update_offset = excluded.update_offset, "
            "updated_at = excluded.updated_at",
            (channel, update_id, now))
        return {"duplicate": False, "task_id": task_id}

    def telegram_reply_message(self, task_id: str, message_id: int) -> bool:
        """Remember the message that shows the task's reply (edited as it streams); False if unknown."""
        return self.conn.execute("UPDATE telegram_replies SET message_id = ? WHERE task_id = ?",
                                 (message_id, task_id)).rowcount == 1

    def telegram_reply_delivered(self, task_id: str) -> bool:
        """Mark the task's final reply delivered; False if it was already (or is unknown)."""
        return self.conn.execute(
            "UPDATE telegram_replies SET delivered_at = ? WHERE task_id = ? AND delivered_at IS NULL",
            (db_now(), task_id)).rowcount == 1
