"""A green thread's live subscription to the event bus: matching events arrive on a gevent queue."""

import uuid
from typing import Any

import gevent.queue
import pykka

WATCH_QUEUE_SIZE = 1024  # events a watcher may have pending
ASK_SECONDS = 5.0


class BusWatch:
    """Subscribes on creation, unsubscribes on `close()` (or leaving a `with` block).

    Usage::

        with BusWatch(bus_proxy, task_id=task_id) as watch:
            event = watch.queue.get(timeout=5)
    """

    def __init__(self, bus: pykka.ActorProxy | None, **filters: Any):
        if bus is None:
            raise pykka.ActorDeadError("event_bus is not running")
        self.queue: gevent.queue.Queue = gevent.queue.Queue(WATCH_QUEUE_SIZE)
        self._bus = bus
        self._subscriber_id = f"watch-{uuid.uuid4().hex}"
        bus.subscribe(self._subscriber_id, self.queue, maxsize=WATCH_QUEUE_SIZE, **filters).get(timeout=ASK_SECONDS)

    def close(self) -> None:
        """Stop receiving (a bus that is gone has nothing to unsubscribe)."""
        try:
            self._bus.unsubscribe(self._subscriber_id).get(timeout=ASK_SECONDS)
        except (pykka.ActorDeadError, pykka.Timeout):
            pass

    def __enter__(self) -> "BusWatch":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
