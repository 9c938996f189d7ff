"""What happens to a failed attempt: error fingerprint, poison pills, retry or dead letter (SPEC §3.6)."""

from dataclasses import dataclass

from goclaw_actors.fnv import fnv1a64_hex
from goclaw_actors.queue.backoff import retry_delay_ms
from goclaw_actors.queue.states import (
    DEAD_LETTER_MAX_ATTEMPTS,
    DEAD_LETTER_NON_RETRIABLE,
    DEAD_LETTER_POISON_PILL,
    RETRY_PROCESSOR_ERROR,
)

POISON_THRESHOLD = 3  # identical consecutive failures that make a task a poison pill
FINGERPRINT_CHARS = 512  # error prefix length that the fingerprint covers


def error_fingerprint(error: str) -> str:
    """FNV-1a 64 hex of the first 512 characters of the lower-cased, trimmed error."""
    return fnv1a64_hex(error.strip().lower()[:FINGERPRINT_CHARS])


@dataclass(frozen=True)
class FailureOutcome:
    """The decision for one failed attempt."""

    attempt: int
    fingerprint: str
    poison_count: int
    reason_code: str
    dead_letter: bool
    delay_ms: int = 0


def decide_failure(
    task_id: str,
    attempt: int,
    max_attempts: int,
    previous_fingerprint: str | None,
    poison_count: int,
    error: str,
    retriable: bool = True,
) -> FailureOutcome:
    """Decide retry or dead letter for a failed attempt; the max-attempts check wins over poison. A failure
    that no retry can change (`retriable` False) is dead-lettered at once (SPEC §9.4)."""
    attempt += 1
    fingerprint = error_fingerprint(error)
    poison = poison_count + 1 if fingerprint == previous_fingerprint else 1
    if not retriable:
        return FailureOutcome(attempt, fingerprint, poison, DEAD_LETTER_NON_RETRIABLE, True)
    if attempt >= max_attempts:
        return FailureOutcome(attempt, fingerprint, poison, DEAD_LETTER_MAX_ATTEMPTS, True)
    if poison >= POISON_THRESHOLD:
        return FailureOutcome(attempt, fingerprint, poison, DEAD_LETTER_POISON_PILL, True)
    return FailureOutcome(
        attempt, fingerprint, poison, RETRY_PROCESSOR_ERROR, False, retry_delay_ms(task_id, attempt)
    )
