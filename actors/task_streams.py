"""TaskStreams: the live output of running tasks (tokens, tool calls), replayable while they run.

Workers tell it every chunk a processor emits; the gateway subscribes per task and gets the
chunks already produced followed by the live ones, in order, from one place (no race between
replay and live). Chunks are not durable: the task's reply is, once the task succeeds.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pykka

log = logging.getLogger("goclaw.streams")

MAX_BUFFERED_CHUNKS = 20_000  # per running task; older chunks are dropped from the replay buffer
DEFAULT_SUBSCRIBER_QUEUE = 4096

RUN_END = "run_end"  # chunk type sent to subscribers when an attempt ends (check the task's status)


@dataclass(frozen=True)
class StreamChunk:
    """Told by a worker: `chunk` (e.g. {"type": "token", "token": "…"}) of task `task_id`'s current run."""

    task_id: str
    run_id: str
    chunk: dict[str, Any]


@dataclass(frozen=True)
class StreamEnd:
    """Told by a worker when an attempt of `task_id` ends (whatever its outcome)."""

    task_id: str
    run_id: str


@dataclass
class _Stream:
    run_id: str = ""
    chunks: list[dict[str, Any]] = field(default_factory=list)


class TaskStreams(pykka.ThreadingActor):
    """Per-task chunk buffers of running attempts and their subscribers (gevent queues)."""

    def __init__(self):
        super().__init__()
        self.streams: dict[str, _Stream] = {}
        self.subscribers: dict[str, dict[str, Any]] = defaultdict(dict)
        self.dropped_total = 0

    def subscribe(self, task_id: str, subscriber_id: str, queue: Any) -> list[dict[str, Any]]:
        """Register `queue` for live chunks of `task_id`; returns the chunks of its current run so far."""
        self.subscribers[task_id][subscriber_id] = queue
        stream = self.streams.get(task_id)
        return list(stream.chunks) if stream is not None else []

    def unsubscribe(self, task_id: str, subscriber_id: str) -> None:
        """Stop delivering to a subscriber."""
        subs = self.subscribers.get(task_id)
        if subs is not None:
            subs.pop(subscriber_id, None)
            if not subs:
                del self.subscribers[task_id]

    def running(self) -> int:
        """Tasks with a live stream."""
        return len(self.streams)

    def dropped(self) -> int:
        """Chunks not delivered because a subscriber's queue was full."""
        return self.dropped_total

    def on_receive(self, message: Any) -> None:
        if isinstance(message, StreamChunk):
            stream = self.streams.get(message.task_id)
            if stream is None or stream.run_id != message.run_id:
                stream = self.streams[message.task_id] = _Stream(message.run_id)
            if len(stream.chunks) < MAX_BUFFERED_CHUNKS:
                stream.chunks.append(message.chunk)
            self._deliver(message.task_id, message.chunk)
        elif isinstance(message, StreamEnd):
            stream = self.streams.get(message.task_id)
            if stream is not None and stream.run_id == message.run_id:
                del self.streams[message.task_id]
            self._deliver(message.task_id, {"type": RUN_END, "run_id": message.run_id})
        else:
            log.error("streams: unexpected message", extra={"type": type(message).__name__})

    def _deliver(self, task_id: str, chunk: dict[str, Any]) -> None:
        for queue in list(self.subscribers.get(task_id, {}).values()):
            maxsize = getattr(queue, "maxsize", None) or DEFAULT_SUBSCRIBER_QUEUE
            if queue.qsize() >= maxsize:
                self.dropped_total += 1
                continue
            queue.put_nowait(chunk)
