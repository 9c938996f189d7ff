"""Retrying SQLITE_BUSY from another process (SPEC §1.5): 50 ms·2ⁿ capped at 500 ms, ±25 % jitter."""

import random
import sqlite3
import time
from typing import Callable, TypeVar

from goclaw_actors.store.group_commit import is_busy

T = TypeVar("T")

BUSY_RETRIES = 5  # attempts after the first SQLITE_BUSY
BUSY_BASE_DELAY = 0.05  # seconds, doubled per retry
BUSY_MAX_DELAY = 0.5  # seconds, cap of one retry delay
BUSY_JITTER = 0.25  # ± fraction of each delay


def busy_delay(attempt: int, rng: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to wait before retry `attempt` (0-based)."""
    delay = min(BUSY_BASE_DELAY * 2 ** attempt, BUSY_MAX_DELAY)
    return delay * rng(1 - BUSY_JITTER, 1 + BUSY_JITTER)


def retry_busy(fn: Callable[[], T], retries: int = BUSY_RETRIES,
               sleep: Callable[[float], None] = time.sleep) -> T:
    """`fn()`, called again after a busy error up to `retries` times; the last error is raised."""
    for attempt in range(retries + 1):
        try:
            return fn()
        except sqlite3.Error as exc:
            if not is_busy(exc) or attempt == retries:
                raise
            sleep(busy_delay(attempt))
    raise AssertionError("unreachable")
