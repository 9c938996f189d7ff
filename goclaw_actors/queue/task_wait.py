"""Waiting for a task to end, driven by its committed events (no polling)."""

import time
from typing import Any, Callable

import gevent.queue

from goclaw_actors.queue.states import TERMINAL


def is_done(task: Any) -> bool:
    """Whether a task row read back is terminal (or gone: nothing more will happen to it)."""
    return task is None or task.status in TERMINAL


def await_terminal(events: gevent.queue.Queue, read: Callable[[], Any], timeout: float,
                   clock: Callable[[], float] = time.monotonic) -> Any:
    """Read the task, then again after each of its events that ends it, until it is done or `timeout`
    seconds have passed; returns the last row read (check it with `is_done`).

    `events` must be subscribed to the task's committed events before the call, so no ending is missed.
    """
    deadline = clock() + timeout
    task = read()
    while not is_done(task):
        remaining = deadline - clock()
        if remaining <= 0:
            return task
        try:
            event = events.get(timeout=remaining)
        except gevent.queue.Empty:
            return read()
        if event.get("state_to") in TERMINAL:
            task = read()
    return task
