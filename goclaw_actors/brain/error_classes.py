"""Classifies a failed provider call into the error classes of SPEC §4.5 by status and message."""

from goclaw_actors.brain.providers.base import AUTH, BILLING, CONTEXT_OVERFLOW, RATE_LIMIT, TIMEOUT, UNKNOWN

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
