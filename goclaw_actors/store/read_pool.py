"""Read-only connections used off the hub: queries run in gevent's threadpool on WAL snapshots."""

import sqlite3
from typing import Any, Callable, TypeVar

import gevent
from gevent.queue import Queue

from goclaw_actors.store.database import READ_PRAGMAS
from goclaw_actors.store.store_target import is_postgres

T = TypeVar("T")
DEFAULT_READERS = 2  # concurrent read connections


class ReadPool:
    """A few read-only connections; `run(fn, *args)` calls `fn(conn, *args)` in the hub threadpool.

    Usage::

        reads = ReadPool(home / "goclaw.db")
        task = reads.run(sqlite_reads.get_task, task_id)
    """

    def __init__(self, path, size: int = DEFAULT_READERS):
        self._target = path if is_postgres(path) else None
        self._path = str(path)
        self._idle: Queue = Queue()
        self._all: list = []
        for _ in range(size):
            self._idle.put(self._connect())

    def _connect(self):
        if self._target is not None:  # psycopg waits cooperatively under gevent: reads stay on the hub
            from goclaw_actors.store.pg_connection import PgConnection

            conn: Any = PgConnection(self._target.dsn, f"goclaw-reads:{self._target.instance_id}",
                                self._target.connect_timeout)
            self._all.append(conn)
            return conn
        conn = sqlite3.connect(self._path, check_same_thread=False, timeout=5, isolation_level=None)
        for name, value in READ_PRAGMAS.items():
            conn.execute(f"PRAGMA {name} = {value}")
        self._all.append(conn)
        return conn

    def run(self, fn: Callable[..., T], *args) -> T:
        """Run `fn(conn, *args)` on an idle connection in the threadpool and return its result."""
        conn = self._idle.get()
        try:
            if self._target is not None:
                return fn(conn, *args)
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
