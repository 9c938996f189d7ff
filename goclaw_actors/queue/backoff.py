"""Retry delay: exponential backoff with deterministic jitter (SPEC §3.6)."""

from goclaw_actors.fnv import fnv1a64_hex

BASE_DELAY_MS = 1000  # delay of the first retry before jitter
MAX_DELAY_MS = 30_000  # cap of every retry delay


def retry_delay_ms(task_id: str, attempt: int) -> int:
    """Delay before retry number `attempt` (1-based) of `task_id`, in milliseconds.

    base = min(1 s · 2^(n−1), 30 s); jitter from FNV-1a of "<task_id>:<n>" in [0, base/2);
    the sum is capped at 30 s. The same task and attempt always get the same delay.
    """
    attempt = max(1, attempt)
    base_ms = min(BASE_DELAY_MS * (2 ** min(attempt - 1, 30)), MAX_DELAY_MS)
    jitter_ms = int(fnv1a64_hex(f"{task_id}:{attempt}")[:8], 16) % (base_ms // 2)
    return min(base_ms + jitter_ms, MAX_DELAY_MS)
