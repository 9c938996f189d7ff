"""Pacing of outgoing Bot API messages within Telegram's limits: at most one message or edit per chat per
`chat_interval` (1 s), and at most `per_second` (30) in any one second over all chats.

    pacer = SendPacer()
    gevent.sleep(pacer.reserve(chat_id))   # then send
    pacer.ready(chat_id)                   # whether a send could go now without waiting (progressive edits)
"""

import bisect
import time
from typing import Callable

WINDOW_SECONDS = 1.0


class SendPacer:
    """Books send slots; each booking returns how long to wait before sending."""

    def __init__(self, chat_interval: float = 1.0, per_second: int = 30,
                 clock: Callable[[], float] = time.monotonic):
        self.chat_interval = chat_interval
        self.per_second = per_second
        self.clock = clock
        self._chat_next: dict[int, float] = {}
        self._booked: list[float] = []  # slot times of recent and future sends, sorted

    def _forget(self, now: float) -> None:
        del self._booked[:bisect.bisect_right(self._booked, now - WINDOW_SECONDS)]
        if len(self._chat_next) > 10_000:  # chats whose slot has passed
            self._chat_next = {chat: at for chat, at in self._chat_next.items() if at > now}

    def _in_window(self, slot: float) -> int:
        """Sends booked in the second that ends at `slot`."""
        return bisect.bisect_right(self._booked, slot) - bisect.bisect_right(self._booked, slot - WINDOW_SECONDS)

    def ready(self, chat_id: int) -> bool:
        """Whether a send to `chat_id` could go now."""
        now = self.clock()
        self._forget(now)
        return self._chat_next.get(chat_id, 0.0) <= now and self._in_window(now) < self.per_second

    def reserve(self, chat_id: int) -> float:
        """Book the next slot for `chat_id`; returns the seconds to wait until it."""
        now = self.clock()
        self._forget(now)
        slot = max(now, self._chat_next.get(chat_id, 0.0))
        while self._in_window(slot) >= self.per_second:  # move past the oldest send of that second
            first = bisect.bisect_right(self._booked, slot - WINDOW_SECONDS)
            slot = self._booked[first] + WINDOW_SECONDS
        bisect.insort(self._booked, slot)
        self._chat_next[chat_id] = slot + self.chat_interval
        return slot - now

    def defer(self, chat_id: int, seconds: float) -> None:
        """The Bot API said to wait (429 retry_after): no send to `chat_id` before then."""
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), self.clock() + seconds)
