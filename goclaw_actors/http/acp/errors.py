"""ACP error codes (SPEC §9.3) and the mapping of internal errors onto them."""

from goclaw_actors.errors import QueueSaturated, StoreError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603
INVALID_PARAMS = 1000  # also policy denials, replay_gap and approval errors
ENQUEUE_FAILED = 4000
QUEUE_SATURATED = 4290
RATE_LIMITED = 4290  # the caller's rate-limit bucket is empty: retry later, like a saturated queue


class AcpError(Exception):
    """An error answer: `code` and `message` go to the client as they are."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class ConnectionGone(Exception):
    """The socket is closed (by the peer, or by us with a close code); stop serving it."""


def invalid(message: str) -> AcpError:
    """A 1000 error (invalid params and the other client-side refusals)."""
    return AcpError(INVALID_PARAMS, message)


def internal(message: str) -> AcpError:
    """A -32603 error (internal and not-found errors)."""
    return AcpError(INTERNAL_ERROR, message)


def enqueue_error(exc: StoreError) -> AcpError:
    """A refused enqueue: 4290 when the queue is saturated, 4000 otherwise (e.g. `agent "x" not found`)."""
    return AcpError(QUEUE_SATURATED if isinstance(exc, QueueSaturated) else ENQUEUE_FAILED, str(exc))
