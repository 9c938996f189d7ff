"""The processor interface worker lanes run tasks through, and the built-in fallback processor."""

from contextlib import AbstractContextManager, nullcontext
from typing import Any, Callable, Protocol

import gevent

from goclaw_actors.store.task_row import TaskRow

FALLBACK_REPLY = (
    "No API key configured. Set the appropriate environment variable (e.g. GEMINI_API_KEY) or use /config "
    "in the TUI to add one. Run /model list to see available providers."
)
FALLBACK_STREAM_CHUNK = "I can answer with full LLM reasoning after an API key is configured."


Emit = Callable[[dict[str, Any]], None]
"""Sends one live chunk of the running attempt: `{"type": "token", "token": str}` or
`{"type": "tool_call", "tool_name": str}` (SPEC §9.6); chunks are not durable, the result is."""


def no_emit(chunk: dict[str, Any]) -> None:
    """An Emit that discards chunks (for callers without a stream)."""


def lane_waiting(emit: Emit) -> Callable[[], AbstractContextManager[None]]:
    """The emit's `waiting()`: a context inside which the attempt waits on other work (a delegation's child)
    and its worker lane serves other tasks meanwhile, taken back when the wait ends. Emits of callers
    without lanes have none: then a no-op context."""
    return getattr(emit, "waiting", None) or nullcontext


class Processor(Protocol):
    """Runs one attempt of a task, emitting live chunks; returns the result object (`{"reply": …}`)
    or raises with the error text."""

    def process(self, task: TaskRow, emit: Emit) -> dict[str, Any]: ...


class FallbackProcessor:
    """Answers every task with the no-provider reply of SPEC §4.3, so the daemon always answers."""

    name = "none"

    def __init__(self, profile: Any = None):
        self.profile = profile  # the agent's PromptProfile (no model), for context.show

    def process(self, task: TaskRow, emit: Emit) -> dict[str, Any]:
        """The fallback reply as a task result; a streaming task gets the single streaming chunk."""
        if task.payload.get("stream"):
            emit({"type": "token", "token": FALLBACK_STREAM_CHUNK})
            return {"reply": FALLBACK_STREAM_CHUNK}
        return {"reply": FALLBACK_REPLY}


class DelayedProcessor:
    """Holds each task for `delay_seconds` (cooperatively) before `inner` runs it.

    Enabled by `GOCLAW_DEBUG_TASK_DELAY_MS`; crash tests use it to kill the daemon mid-task.
    """

    def __init__(self, inner: Processor, delay_seconds: float):
        self.inner = inner
        self.delay_seconds = delay_seconds
        self.name = getattr(inner, "name", "processor")
        self.profile = getattr(inner, "profile", None)

    def process(self, task: TaskRow, emit: Emit) -> dict[str, Any]:
        """Sleep, then delegate."""
        gevent.sleep(self.delay_seconds)
        return self.inner.process(task, emit)
