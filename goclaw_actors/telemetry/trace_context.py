"""The trace context a task row carries across the queue: a W3C `traceparent` (SPEC §11.3).

    traceparent = format_traceparent(trace_id, span_id, sampled=True)  # "00-<32 hex>-<16 hex>-01"
    parse_traceparent(traceparent)   # (trace_id, span_id, flags), or None when it is not one
    trace_id_of(traceparent)         # the 32 hex digits the task's events carry as `trace_id`
"""

import re
import uuid

TRACEPARENT_RE = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def format_traceparent(trace_id: int, span_id: int, flags: int) -> str:
    """The W3C traceparent (version 00) of a span context."""
    return f"00-{trace_id:032x}-{span_id:016x}-{flags:02x}"


def parse_traceparent(text: str | None) -> tuple[int, int, int] | None:
    """(trace id, span id, flags) of a version-00 traceparent; None for anything else (all-zero ids too)."""
    match = TRACEPARENT_RE.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    if match is None:
        return None
    trace_id, span_id, flags = (int(group, 16) for group in match.groups())
    if not trace_id or not span_id:
        return None
    return trace_id, span_id, flags


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id (32 lower-case hex digits) of a traceparent this daemon wrote, or None."""
    return traceparent[3:35] if traceparent else None


def task_trace_id(task_id: str) -> int:
    """The trace id of a task enqueued outside any trace: its own UUID, so that every attempt of the task
    (retries, recovery after a crash) lands in the same trace. A task id that is not a UUID gets 0 (a
    random trace id)."""
    try:
        return uuid.UUID(task_id).int
    except (ValueError, TypeError, AttributeError):
        return 0
