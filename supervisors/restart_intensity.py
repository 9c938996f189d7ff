"""Restart intensity: at most `max_restarts` restarts within `max_seconds`, else the supervisor gives up."""

import time
from collections import deque
from typing import Callable


class RestartIntensity:
    """A sliding window of restart times."""

    def __init__(self, max_restarts: int, max_seconds: float, clock: Callable[[], float] = time.monotonic):
        if max_restarts < 0 or max_seconds <= 0:
            raise ValueError("max_restarts must be >= 0 and max_seconds > 0")
        self.max_restarts = max_restarts
        self.max_seconds = max_seconds
        self._clock = clock
        self._times: deque[float] = deque()
        self.total = 0

    def record(self) -> bool:
        """Record one restart; returns False when it exceeds the intensity (the supervisor must fail)."""
        now = self._clock()
        self._times.append(now)
        self.total += 1
        while self._times and now - self._times[0] > self.max_seconds:
            self._times.popleft()
        return len(self._times) <= self.max_restarts
