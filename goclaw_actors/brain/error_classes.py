"""Classifies a failed provider call into the error classes of SPEC §4.5 by status and message, and a
failed turn into what the queue and the client need to know (SPEC §9.4)."""

from goclaw_actors.attempt_failure import (CONTEXT_LENGTH_EXCEEDED, INPUT_BLOCKED, PROVIDER_UNAVAILABLE,
                                           UPSTREAM_AUTHENTICATION, UPSTREAM_INVALID_REQUEST, UPSTREAM_RATE_LIMITED,
                                           AttemptFailure)
from goclaw_actors.brain.providers.base import (AUTH, BILLING, CONTEXT_OVERFLOW, RATE_LIMIT, TIMEOUT, UNKNOWN,
                                                ProviderError)
from goclaw_actors.brain.safety_filter import SafetyBlocked

# Message fragments (lower case) per class, checked in this order. Context overflow comes first: it is
# the only class failover treats differently, and overflow messages may mention other words ("token").
_MESSAGE_RULES = (
    (CONTEXT_OVERFLOW, ("context_length", "context length", "token limit", "context window",
                        "prompt is too long", "maximum context", "exceeds the maximum number of tokens")),
    (AUTH, ("unauthorized", "unauthenticated", "authentication", "invalid api key", "invalid x-api-key",
            "api key not valid", "incorrect api key", "permission_denied")),
    (RATE_LIMIT, ("rate limit", "rate_limit", "quota", "resource_exhausted", "too many requests")),
    (TIMEOUT, ("deadline", "timeout", "timed out")),
    (BILLING, ("billing", "payment", "insufficient credit", "credit balance")),
)
_STATUS_CLASSES = {401: AUTH, 403: AUTH, 429: RATE_LIMIT, 402: BILLING, 408: TIMEOUT, 504: TIMEOUT}


def classify_error(message: str, status: int | None = None) -> str:
    """The error class of a failure with this message and HTTP status (None when there was no response)."""
    lowered = (message or "").lower()
    overflow_words = _MESSAGE_RULES[0][1]
    if any(word in lowered for word in overflow_words):
        return CONTEXT_OVERFLOW
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    for error_class, words in _MESSAGE_RULES[1:]:
        if any(word in lowered for word in words):
            return error_class
    return UNKNOWN


# Provider answers no retry can change (SPEC §9.4): a request the provider refuses as such.
_INVALID_REQUEST_STATUSES = frozenset({400, 404, 405, 413, 415, 422})
_CONTENT_FILTER_WORDS = ("content_filter", "content filter", "content_policy", "content policy")


def attempt_failure(exc: BaseException) -> AttemptFailure:
    """What a failed turn means for the queue and the client: its kind, whether a retry may help, Retry-After.

    Context overflow, authentication, content filter and other invalid requests are not retriable; rate
    limits and an open circuit are, and say when to come back; the safety filter's verdict is `input_blocked`.
    """
    if isinstance(exc, SafetyBlocked):
        return AttemptFailure(INPUT_BLOCKED)
    if not isinstance(exc, ProviderError):
        return AttemptFailure()
    if exc.circuit_open:
        return AttemptFailure(PROVIDER_UNAVAILABLE, retry_after=exc.retry_after)
    if exc.error_class == CONTEXT_OVERFLOW:
        return AttemptFailure(CONTEXT_LENGTH_EXCEEDED, retriable=False)
    if exc.error_class == AUTH:
        return AttemptFailure(UPSTREAM_AUTHENTICATION, retriable=False)
    if exc.error_class == RATE_LIMIT:
        return AttemptFailure(UPSTREAM_RATE_LIMITED, retry_after=exc.retry_after)
    content_filter = any(word in str(exc).lower() for word in _CONTENT_FILTER_WORDS)
    if exc.error_class == UNKNOWN and (exc.status in _INVALID_REQUEST_STATUSES or content_filter):
        return AttemptFailure(UPSTREAM_INVALID_REQUEST, retriable=False)
    return AttemptFailure()
