"""What the span hooks share: the task attributes carried in the context, error marking, remote parents."""

from typing import Any

from opentelemetry.context import Context, create_key
from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags, set_span_in_context

from goclaw_actors.telemetry.semconv import ERROR_TYPE
from goclaw_actors.telemetry.trace_context import parse_traceparent

TASK_KEY = create_key("goclaw-task")  # context value: the attributes every span of the attempt carries
MAX_DESCRIPTION = 500  # characters of an error kept as a span's status description


def error_type(exc: BaseException) -> str:
    """The `error.type` of an exception: an attempt failure's kind, else the provider error class of the
    exception or of its cause (e.g. `RATE_LIMIT`), else the exception's class name."""
    kind = getattr(getattr(exc, "failure", None), "kind", None)
    return (kind or getattr(exc, "error_class", None) or getattr(exc.__cause__, "error_class", None)
            or type(exc).__name__)


def mark_error(span: Any, exc: BaseException) -> str:
    """Record `exc` on `span` (status ERROR, `error.type`, an exception event); returns the error type."""
    kind = error_type(exc)
    span.set_status(Status(StatusCode.ERROR, (str(exc) or kind)[:MAX_DESCRIPTION]))
    span.set_attribute(ERROR_TYPE, kind)
    span.record_exception(exc)
    return kind


def fail_span(span: Any, kind: str, description: str) -> None:
    """Mark `span` failed without an exception (a tool that answered an error, a 5xx response)."""
    span.set_status(Status(StatusCode.ERROR, description[:MAX_DESCRIPTION]))
    span.set_attribute(ERROR_TYPE, kind)


def remote_parent(traceparent: str | None) -> Context | None:
    """A context whose current span is the remote parent a traceparent names, or None when there is none."""
    parsed = parse_traceparent(traceparent)
    if parsed is None:
        return None
    trace_id, span_id, flags = parsed
    parent = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(flags & TraceFlags.SAMPLED))
    return set_span_in_context(NonRecordingSpan(parent), Context())
