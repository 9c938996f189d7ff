"""Chat tasks as the gateway's protocols use them: enqueue durably, wait for the end, follow the stream.

Every protocol (OpenAI, ACP, A2A, REST, SSE) goes through these, so a request is a task row before
it is acknowledged, and waiting is event-driven (bus subscription first, then one read, no polling).
"""

from dataclasses import dataclass
from typing import Any, Iterator

import gevent
import gevent.queue

from goclaw_actors.http.context import TERMINAL_STATES, GatewayContext, Watch
from goclaw_actors.queue.states import NO_HISTORY_TYPES
from goclaw_actors.ids import time_ordered_uuid
from goclaw_actors.store.sqlite_reads import get_task
from goclaw_actors.store.task_row import TaskRow

RUN_END = "run_end"
INTERRUPTED = "interrupted"  # item: an attempt that had shown output failed and the task is being retried
REQUEUED_STATES = ("RETRY_WAIT", "QUEUED")
END_GRACE_SECONDS = 1.0  # how long a finished task's stream may still deliver its last chunks


@dataclass
class ChatRequest:
    """What a client asks for: one user turn for an agent in a session."""

    agent_id: str
    session_id: str
    content: str
    stream: bool = False
    priority: int = 0
    task_type: str = "chat"
    extra: dict[str, Any] | None = None  # more payload fields (sampling, response_format, client_tools, …)
    idempotency_key: str | None = None
    history: list[dict[str, Any]] | None = None  # whole conversation incl. this turn; replaces the stored
    sticky_agent: str | None = None  # becomes the session's @mention target (SPEC §7.1)


def enqueue_chat(ctx: GatewayContext, request: ChatRequest, task_id: str | None = None) -> str:
    """Enqueue the turn as a task (committed before this returns); returns the task id (`task_id` if given).

    Raises AgentNotFound, QueueSaturated or StoreError (the store's own errors) for the caller to map.
    """
    op, args = enqueue_call(request, task_id)
    return getattr(getattr(ctx.store, ENQUEUE_NOUNS[op]), op)(**args)["task_id"]


ENQUEUE_NOUNS = {"enqueue": "tasks", "enqueue_line": "sessions", "enqueue_chat_with_history": "sessions"}


def enqueue_call(request: ChatRequest, task_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """The store op and arguments that enqueue the turn (channels run them inside their own op, so that
    what they commit with the task, such as an update offset, shares its transaction)."""
    payload: dict[str, Any] = {"content": request.content, **(request.extra or {})}
    if request.stream:
        payload["stream"] = True
    args = dict(session_id=request.session_id, payload=payload, agent_id=request.agent_id,
                task_type=request.task_type, priority=request.priority, idempotency_key=request.idempotency_key,
                task_id=task_id)
    if request.history is not None:
        return "enqueue_chat_with_history", dict(messages=request.history, **args)
    if request.sticky_agent is not None or request.task_type in NO_HISTORY_TYPES:
        return "enqueue_line", dict(sticky_agent_id=request.sticky_agent, **args)
    return "enqueue", args


def load_task(ctx: GatewayContext, task_id: str) -> TaskRow | None:
    """The task row, or None."""
    return ctx.read(get_task, task_id)


def wait_terminal(ctx: GatewayContext, task_id: str, timeout: float | None = None) -> TaskRow | None:
    """Block (green) until the task is SUCCEEDED, CANCELED or DEAD_LETTER; None on timeout.

    Subscribes before reading, so a transition between the read and the wait is never missed.
    """
    with ctx.watch_task(task_id) as watch:
        task = load_task(ctx, task_id)
        if task is None or task.status in TERMINAL_STATES:
            return task
        return wait_watched(ctx, task_id, watch, timeout)


def enqueue_watched(ctx: GatewayContext, request: ChatRequest) -> tuple[str, Watch]:
    """Subscribe to a new task's events, then enqueue it: its end cannot be missed and needs no first read.

    Returns the task id and the watch (the caller closes it); enqueue errors are raised here.
    """
    task_id = time_ordered_uuid()
    watch = ctx.watch_task(task_id)
    try:
        enqueue_chat(ctx, request, task_id=task_id)
    except BaseException:
        watch.close()
        raise
    return task_id, watch


def wait_watched(ctx: GatewayContext, task_id: str, watch: Watch, timeout: float | None = None) -> TaskRow | None:
    """The task once one of its events on `watch` is terminal (read once then); None on timeout."""
    deadline = None if timeout is None else gevent.get_hub().loop.now() + timeout
    while True:
        remaining = None if deadline is None else max(0.0, deadline - gevent.get_hub().loop.now())
        try:
            event = watch.queue.get(timeout=remaining)
        except gevent.queue.Empty:
            return None
        if event.get("state_to") in TERMINAL_STATES:
            return load_task(ctx, task_id)


def follow_stream(ctx: GatewayContext, task_id: str, idle_seconds: float | None = None,
                  run_ends: bool = False) -> Iterator[dict[str, Any]]:
    """Yield the task's live chunks (replayed ones first), then `{"type": "done", "task": TaskRow}`.

    Yields `{"type": "idle"}` after `idle_seconds` without a chunk (for keep-alive pings). A retried
    attempt's chunks follow the failed one's, after `{"type": "interrupted"}` when the failed attempt had
    shown output (a client that cannot take it back ends its stream there; with `run_ends`, each attempt's
    end is also yielded between them as `{"type": "run_end"}`); the end is the task's terminal state, not an
    attempt's end. Nothing is yielded for an unknown task.
    """
    events, stream = ctx.watch_task(task_id), ctx.watch_stream(task_id)
    yield from _follow(ctx, task_id, events, stream, idle_seconds, run_ends)


def stream_new_task(ctx: GatewayContext, request: ChatRequest,
                    idle_seconds: float | None = None) -> tuple[str, Iterator[dict[str, Any]]]:
    """Subscribe to a new task's output, then enqueue it, so not one chunk is missed.

    Returns the task id and the follow_stream iterator; enqueue errors are raised here, before any output.
    """
    task_id = time_ordered_uuid()
    events, stream = ctx.watch_task(task_id), ctx.watch_stream(task_id)
    try:
        enqueue_chat(ctx, request, task_id=task_id)
    except BaseException:
        events.close()
        stream.close()
        raise
    return task_id, _follow(ctx, task_id, events, stream, idle_seconds)


def _follow(ctx: GatewayContext, task_id: str, events: Watch, stream: Watch,
            idle_seconds: float | None, run_ends: bool = False) -> Iterator[dict[str, Any]]:
    with events, stream:
        task = load_task(ctx, task_id)
        if task is None:
            return
        open_run = bool(stream.replay)  # chunks seen whose attempt has not reported its end yet
        shown = open_run  # output yielded since the start or the last interruption
        for chunk in stream.replay:
            yield chunk
        merged: gevent.queue.Queue = gevent.queue.Queue()
        pumps = [gevent.spawn(_pump, events.queue, merged, "event"), gevent.spawn(_pump, stream.queue, merged, "chunk")]
        try:
            task = load_task(ctx, task_id)
            while True:
                terminal = task.status in TERMINAL_STATES
                if terminal and not open_run and merged.empty() and stream.queue.empty():
                    break
                # After the terminal commit, only wait (briefly) for the end of a run still streaming.
                wait = END_GRACE_SECONDS if terminal else idle_seconds
                try:
                    kind, item = merged.get(timeout=wait)
                except gevent.queue.Empty:
                    if task.status in TERMINAL_STATES:
                        break
                    yield {"type": "idle"}
                    continue
                if kind == "chunk":
                    open_run = item.get("type") != RUN_END
                    if open_run:
                        shown = True
                    if open_run or run_ends:
                        yield item
                elif item.get("state_to") in TERMINAL_STATES:
                    task = load_task(ctx, task_id)
                elif item.get("state_to") in REQUEUED_STATES and shown:
                    shown = False
                    yield {"type": INTERRUPTED}
        finally:
            gevent.killall(pumps, block=False)
        yield {"type": "done", "task": task}


def _pump(source: gevent.queue.Queue, target: gevent.queue.Queue, kind: str) -> None:
    while True:
        target.put((kind, source.get()))
