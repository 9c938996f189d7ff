"""Pacing of outgoing Bot API messages within Telegram's limits: at most one message or edit per chat per
`chat_interval` (1 s), and at most `per_second` (30) in all.

    pacer = SendPacer()
    gevent.sleep(pacer.reserve(chat_id))   # then send
    pacer.ready(chat_id)                   # whether a send could go now without waiting (progressive edits)
"""

import time
from typing import Callable


class SendPacer:
    """Books send slots; each booking returns how long to wait before sending."""

    def __init__(self, chat_interval: float = 1.0, per_second: int = 30,
                 clock: Callable[[], float] = time.monotonic):
        self.chat_interval = chat_interval
        self.spacing = 1.0 / per_second
        self.clock = clock
        self._chat_next: dict[int, float] = {}
        self._global_next = 0.0

    def ready(self, chat_id: int) -> bool:
        """Whether a send to `chat_id` could go now."""
        now = self.clock()
        return self._chat_next.get(chat_id, 0.0) <= now and self._global_next <= now

    def reserve(self, chat_id: int) -> float:
        """Book the next slot for `chat_id`; returns the seconds to wait until it."""
        now = self.clock()
        slot = max(now, self._chat_next.get(chat_id, 0.0), self._global_next)
        self._global_next = slot + self.spacing
        self._chat_next[chat_id] = slot + self.chat_interval
        if len(self._chat_next) > 10_000:  # forget chats whose slot has passed
            self._chat_next = {chat: at for chat, at in self._chat_next.items() if at > now}
        return slot - now

    def defer(self, chat_id: int, seconds: float) -> None:
        """The Bot API said to wait (429 retry_after): no send to `chat_id` before then."""
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), self.clock() + seconds)
