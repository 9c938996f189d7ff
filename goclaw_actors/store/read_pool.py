"""Read-only connections used off the hub: queries run in gevent's threadpool on WAL snapshots."""

import sqlite3
from pathlib import Path
from typing import Callable, TypeVar

import gevent
from gevent.queue import Queue

from goclaw_actors.store.database import READ_PRAGMAS

T = TypeVar("T")
DEFAULT_READERS = 2  # concurrent read connections


class ReadPool:
    """A few read-only connections; `run(fn, *args)` calls `fn(conn, *args)` in the hub threadpool.

    Usage::

        reads = ReadPool(home / "goclaw.db")
        task = reads.run(sqlite_reads.get_task, task_id)
    """

    def __init__(self, path: Path | str, size: int = DEFAULT_READERS):
        self._path = str(path)
        self._idle: Queue = Queue()
        self._all: list[sqlite3.Connection] = []
        for _ in range(size):
            self._idle.put(self._connect())

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, check_same_thread=False, timeout=5, isolation_level=None)
        for name, value in READ_PRAGMAS.items():
            conn.execute(f"PRAGMA {name} = {value}")
        self._all.append(conn)
        return conn

    def run(self, fn: Callable[..., T], *args) -> T:
        """Run `fn(conn, *args)` on an idle connection in the threadpool and return its result."""
        conn = self._idle.get()
        try:
            return gevent.get_hub().threadpool.apply(fn, (conn, *args))
        finally:
            self._idle.put(conn)

    def run_inline(self, fn: Callable[..., T], *args) -> T:
        """Run a cheap `fn(conn, *args)` on the calling greenlet (no thread hop)."""
        conn = self._idle.get()
        try:
            return fn(conn, *args)
        finally:
            self._idle.put(conn)

    def close(self) -> None:
        """Close every connection."""
        for conn in self._all:
            conn.close()
        self._all.clear()
