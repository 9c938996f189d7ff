"""Why a task attempt failed, as the queue and the gateways need to know it (SPEC §3.6, §9.4).

The brain (or the lane, for a timeout) raises AttemptFailed with an AttemptFailure; the queue ends
the task at once when the failure is not retriable, and records the failure with the attempt's
`task.failed` / `task.retry_wait` event, where the gateways read it to answer with the right status.
"""

from dataclasses import dataclass
from typing import Any

INPUT_BLOCKED = "input_blocked"
CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded"
UPSTREAM_INVALID_REQUEST = "upstream_invalid_request"
UPSTREAM_RATE_LIMITED = "upstream_rate_limited"
PROVIDER_UNAVAILABLE = "provider_unavailable"
UPSTREAM_AUTHENTICATION = "upstream_authentication_error"
TASK_TIMEOUT = "task_timeout"
KINDS = (INPUT_BLOCKED, CONTEXT_LENGTH_EXCEEDED, UPSTREAM_INVALID_REQUEST, UPSTREAM_RATE_LIMITED,
         PROVIDER_UNAVAILABLE, UPSTREAM_AUTHENTICATION, TASK_TIMEOUT)


@dataclass(frozen=True)
class AttemptFailure:
    """`kind` (one of KINDS, "" when none applies), whether another attempt may succeed, and how many
    seconds the client should wait before asking again (None when unknown)."""

    kind: str = ""
    retriable: bool = True
    retry_after: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The form stored in the attempt's event payload."""
        return {"kind": self.kind, "retriable": self.retriable, "retry_after": self.retry_after}

    @classmethod
    def from_dict(cls, data: Any) -> "AttemptFailure":
        """The failure stored by `as_dict` (an unknown or missing one is the default failure)."""
        if not isinstance(data, dict):
            return cls()
        kind = data.get("kind") if data.get("kind") in KINDS else ""
        retry_after = data.get("retry_after")
        if isinstance(retry_after, bool) or not isinstance(retry_after, (int, float)) or retry_after < 0:
            retry_after = None
        return cls(kind, data.get("retriable") is not False, retry_after)


class AttemptFailed(Exception):
    """A failed attempt: the text is the task's error, `failure` says what kind of failure it was."""

    def __init__(self, message: str, failure: AttemptFailure = AttemptFailure()):
        super().__init__(message)
        self.failure = failure


def failure_of(exc: BaseException) -> AttemptFailure:
    """The AttemptFailure an exception carries (the default one for any other exception)."""
    failure = getattr(exc, "failure", None)
    return failure if isinstance(failure, AttemptFailure) else AttemptFailure()
