"""The writer thread: the write connection lives on one OS thread of its own, which runs one group-commit
batch at a time, so that neither the statements nor the COMMIT's fsync ever hold up the gevent hub.

SQLite releases the GIL while it works and while the disk syncs; the hub keeps serving sockets and
actors meanwhile, and write requests arriving during a commit queue up for the next batch.
"""

import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

from gevent.event import AsyncResult
from gevent.monkey import get_original
from gevent.threadpool import ThreadPool

from goclaw_actors.errors import StoreError
from goclaw_actors.store.busy_retry import busy_delay
from goclaw_actors.store.database import open_database
from goclaw_actors.store.group_commit import DatabaseBusy, WriteRequest, WriteResult, run_batch
from goclaw_actors.store.sqlite_queue import SqliteQueue

BUSY_RETRIES = 10  # attempts after SQLITE_BUSY from another process (e.g. `goclaw backup`)
WAL_AUTOCHECKPOINT_PAGES = 4000  # 16 MB of WAL between checkpoints (SQLite's 1000 checkpoints too often)
WRITE_BUSY_TIMEOUT_MS = 20  # SQLite's own wait, then our retries with backoff (SPEC §1.5)

_thread_sleep = get_original("time", "sleep")  # the writer thread's own sleep: it has no hub to yield to


class BatchWriter:
    """The write connection and the OS thread that uses it; every method is called from the hub's thread.

    Usage::

        writer = BatchWriter(db_path)              # opens and migrates on the writer thread
        pending = writer.commit([WriteRequest("enqueue", {...})])
        results, seconds = pending.get()            # green wait; the hub runs meanwhile
        writer.close()
    """

    def __init__(self, db_path: Path | str, commit_delay: float = 0.0):
        self._pool = ThreadPool(1)  # one long-lived worker: the only thread that touches the connection
        self._commit_delay = commit_delay
        try:
            self.db = self._pool.apply(_open_writer, (db_path,))
        except BaseException:
            self._pool.kill()
            raise

    def commit(self, requests: list[WriteRequest]) -> AsyncResult:
        """Hand one batch to the writer thread; the result yields `(results, seconds spent)` once COMMIT
        returned, or raises StoreError when the whole batch failed."""
        return self._pool.spawn(self._commit, requests)

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(conn, *args)` on the writer thread, after any batch in progress; green wait."""
        return self._pool.apply(fn, (self.db.connection(), *args))

    def close(self) -> None:
        """Close the connection on its thread and end the thread."""
        try:
            self._pool.apply(self.db.close)
        finally:
            self._pool.kill()

    def _commit(self, requests: list[WriteRequest]) -> tuple[list[WriteResult], float]:
        started = time.perf_counter()
        conn = self.db.connection()
        hold = self._hold if self._commit_delay > 0 else None
        for attempt in range(BUSY_RETRIES + 1):
            try:
                return run_batch(conn, requests, SqliteQueue, before_commit=hold), time.perf_counter() - started
            except DatabaseBusy:
                if attempt == BUSY_RETRIES:
                    raise StoreError("database is locked by another process") from None
                _thread_sleep(busy_delay(attempt))
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc
        raise AssertionError("unreachable")

    def _hold(self) -> None:
        _thread_sleep(self._commit_delay)


def _open_writer(db_path: Path | str):
    db = open_database(db_path)
    db.connection().execute(f"PRAGMA busy_timeout = {WRITE_BUSY_TIMEOUT_MS}")
    db.connection().execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
    return db
