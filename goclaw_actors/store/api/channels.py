"""Channels (SPEC §10): Telegram updates taken in once, with the task they make, and the replies to deliver."""

from typing import Any, Protocol


class ChannelsApi(Protocol):
    """Channels (SPEC §10): Telegram updates taken in once, with the task they make, and the replies to deliver."""

    def telegram_intake(self, channel: str, update_id: int, enqueue: dict[str, Any] | None = None,
                        reply: dict[str, Any] | None = None, sticky: dict[str, Any] | None = None) -> dict[str, Any]:
        """Take in update `update_id` of `channel` once: run `enqueue` (`{op, args}` of chat_tasks.enqueue_call),
        record `reply` (`{chat_id, reply_to}`: where the task's answer goes) and `sticky` (`{user_id, agent_id}`)
        and move the channel's offset to `update_id`, all in the caller's transaction. An update at or below the
        offset was taken in already: nothing changes and `duplicate` is True. Returns `{duplicate, task_id}`."""
        ...

    def telegram_reply_message(self, task_id: str, message_id: int) -> bool:
        """Remember the message that shows the task's reply (edited as it streams); False if unknown."""
        ...

    def telegram_reply_delivered(self, task_id: str) -> bool:
        """Mark the task's final reply delivered; False if it was already (or is unknown)."""
        ...
