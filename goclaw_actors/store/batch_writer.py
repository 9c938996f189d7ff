"""The writer thread: the write connection lives on one OS thread of its own, which runs one group-commit
batch at a time, so that neither the statements nor the COMMIT's fsync ever hold up the gevent hub.

The store actor hands over the write requests it collected (a list at a time); while a batch commits,
further lists queue up and the thread takes them all as its next batch, so batches grow by themselves
when commits are slow. Finished batches come back to the hub with a byte through a pipe: a green
thread then resolves each caller's future (only now: after COMMIT returned) and publishes the events.
"""

import collections
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Callable, cast

import gevent
import gevent.event
from gevent.monkey import get_original
from gevent.socket import wait_read

from goclaw_actors.errors import StoreError
from goclaw_actors.store.busy_retry import busy_delay
from goclaw_actors.store.group_commit import MAX_BATCH, DatabaseBusy, WriteEnvelope, WriteResult, run_batch
from goclaw_actors.store.store_target import PostgresTarget, StoreTarget, is_postgres, open_store, queue_factory

BUSY_RETRIES = 10  # attempts after SQLITE_BUSY from another process (e.g. `goclaw backup`)
WAL_AUTOCHECKPOINT_PAGES = 4000  # 16 MB of WAL between checkpoints (SQLite's 1000 checkpoints too often)
WRITE_BUSY_TIMEOUT_MS = 20  # SQLite's own wait, then our retries with backoff (SPEC §1.5)
# How long a thread waiting for the GIL lets its holder run before asking for it (CPython's default: 5 ms).
# SQLite hands the GIL back for every step; with the hub busy, the writer would then wait up to 5 ms per
# statement, and the hub as long for the writer. 0.1 ms measured best (fastest batches, lowest claim p95).
GIL_SWITCH_INTERVAL = 0.0001

# The writer thread is a real OS thread: it is started and sleeps with the unpatched primitives.
_start_thread = get_original("_thread", "start_new_thread")
_thread_sleep = get_original("time", "sleep")

log = logging.getLogger("goclaw.store")

Publish = Callable[[list[dict[str, Any]]], None]


class _Call:
    """A function to run on the writer thread with the connection, between batches."""

    __slots__ = ("fn", "args", "result")

    def __init__(self, fn: Callable[..., Any], args: tuple, result: gevent.event.AsyncResult):
        self.fn, self.args, self.result = fn, args, result


_STOP = object()  # handed over last: the thread ends


class BatchWriter:
    """The write connection and the OS thread that uses it; every public method is called on the hub's thread.

    Usage::

        writer = BatchWriter(db_path, publish)     # opens and migrates the database on the writer thread
        writer.submit([WriteEnvelope(TasksStore.enqueue.request(...), AsyncResult())])
        writer.call(checkpoint, writer.connection)  # any function, run on the writer thread
        writer.drain()                             # green wait until everything submitted is delivered
        writer.close()
    """

    def __init__(self, db_path: StoreTarget | str, publish: Publish, commit_delay: float = 0.0,
                 max_batch: int = MAX_BATCH):
        self._publish = publish
        target: StoreTarget = cast(PostgresTarget, db_path) if is_postgres(db_path) else Path(cast(str, db_path))
        self._make_backend = queue_factory(target)
        self.is_postgres = is_postgres(db_path)
        self._commit_delay = commit_delay
        self._max_batch = max_batch
        # Both ways, items go through a deque and a byte through a pipe wakes the other side: os.write and
        # os.read release the GIL for their syscalls, so neither thread is switched out while holding it.
        self._handed: collections.deque = collections.deque()  # lists of envelopes, _Call, _STOP: hub -> thread
        self._done: collections.deque = collections.deque()  # (batch, results | error, seconds): thread -> hub
        self._to_thread = _Doorbell(thread_blocks=True)
        self._to_hub = _Doorbell(thread_blocks=False)
        self._stopped = False
        self._drained = gevent.event.Event()
        self._submitted = self._delivered = 0
        self.batches = self.requests = 0
        self.commit_seconds = 0.0
        self._conn: sqlite3.Connection | None = None
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL))  # process-wide, once a writer runs
        self._pump = gevent.spawn(self._deliver_forever)
        _start_thread(self._run, ())
        try:
            self.db = self.call(_open_writer, db_path)
        except BaseException:
            self._stop_thread()
            raise
        self._conn = self.db.connection()  # used on the writer thread only

    def submit(self, envelopes: list[WriteEnvelope]) -> None:
        """Hand over write requests; each envelope's future is set once its batch committed (or failed)."""
        self._submitted += len(envelopes)
        self._drained.clear()
        self._hand(envelopes)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` on the writer thread after the requests submitted so far; green wait."""
        result = gevent.event.AsyncResult()
        self._hand(_Call(fn, args, result))
        return result.get()

    def drain(self) -> None:
        """Wait (green) until every request submitted so far has committed and its caller was answered."""
        while self._delivered < self._submitted:
            self._drained.wait()

    @property
    def connection(self) -> sqlite3.Connection:
        """The write connection: hand it to `call`, never use it on the hub."""
        assert self._conn is not None  # opened in __init__
        return self._conn

    def stats(self) -> dict[str, float]:
        """Batches committed, requests served and seconds the thread spent on batches since start."""
        return {"batches": self.batches, "requests": self.requests, "commit_seconds": self.commit_seconds}

    def close(self) -> None:
        """Commit what was submitted, close the connection on its thread, end the thread."""
        self.drain()
        try:
            self.call(self.db.close)
        finally:
            self._stop_thread()

    def _hand(self, item: Any) -> None:
        if self._stopped:
            raise StoreError("the store's writer has stopped")
        self._handed.append(item)
        self._to_thread.ring()

    def _stop_thread(self) -> None:
        self._pump.kill()  # it waits on the pipe the thread closes last
        self._hand(_STOP)
        self._stopped = True  # the thread closes the pipes once it took _STOP: nothing may ring them after

    # On the writer thread.

    def _run(self) -> None:
        handed = self._handed
        while True:
            if not handed:
                self._to_thread.wait()
                continue
            item = handed.popleft()
            if item is _STOP:
                self._to_thread.close()
                self._to_hub.close()
                return
            if isinstance(item, _Call):
                self._finish(item, _invoke(item))
                continue
            batch = list(item)
            while handed and isinstance(handed[0], list) and len(batch) < self._max_batch:
                batch.extend(handed.popleft())  # everything handed over meanwhile joins this batch
            if len(batch) > self._max_batch:
                handed.appendleft(batch[self._max_batch:])
                batch = batch[:self._max_batch]
            started = time.perf_counter()
            outcome = self._commit([envelope.request for envelope in batch])
            self._finish(batch, outcome, time.perf_counter() - started)

    def _commit(self, requests) -> list[WriteResult] | Exception:
        conn = self._conn
        assert conn is not None  # batches are handed over only once the connection is open
        hold = self._hold if self._commit_delay > 0 else None
        for attempt in range(BUSY_RETRIES + 1):
            try:
                return run_batch(conn, requests, self._make_backend, before_commit=hold)
            except DatabaseBusy:
                if attempt == BUSY_RETRIES:
                    return StoreError("database is locked by another process")
                _thread_sleep(busy_delay(attempt))
            except Exception as exc:  # noqa: BLE001 - the batch fails (disk full, read-only…); the thread lives on
                return StoreError(f"store write failed: {exc}")
        raise AssertionError("unreachable")

    def _hold(self) -> None:
        _thread_sleep(self._commit_delay)

    def _finish(self, item: Any, outcome: Any, seconds: float = 0.0) -> None:
        self._done.append((item, outcome, seconds))
        self._to_hub.ring()

    # On the hub: a green thread answers the callers.

    def _deliver_forever(self) -> None:
        while True:
            self._to_hub.wait()
            while self._done:
                item, outcome, seconds = self._done.popleft()
                try:
                    if isinstance(item, _Call):
                        _answer(item, outcome)
                    else:
                        self._deliver(item, outcome, seconds)
                except Exception as exc:  # noqa: BLE001 - one delivery failing must not stop the others
                    log.error("store delivery failed", extra={"error": repr(exc)})

    def _deliver(self, batch: list[WriteEnvelope], outcome: Any, seconds: float) -> None:
        if isinstance(outcome, Exception):
            log.error("store batch failed", extra={"error": str(outcome), "requests": len(batch)})
            for envelope in batch:
                envelope.future.set(WriteResult(error=outcome))
        else:
            self.batches += 1
            self.requests += len(batch)
            self.commit_seconds += seconds
            events: list[dict[str, Any]] = []
            for envelope, result in zip(batch, outcome):
                events.extend(result.events)
                envelope.future.set(result)
            if events:
                self._publish(events)
        self._delivered += len(batch)
        if self._delivered >= self._submitted:
            self._drained.set()


class _Doorbell:
    """A pipe carrying wake-up bytes: `ring` never blocks; `wait` blocks the OS thread (`thread_blocks`) or
    only the calling greenlet, until a ring since the last wait (a ring may wake a wait spuriously: the
    waiter checks its deque again)."""

    def __init__(self, thread_blocks: bool):
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        os.set_blocking(self._read, thread_blocks)
        self._thread_blocks = thread_blocks

    def ring(self) -> None:
        try:
            os.write(self._write, b"!")
        except (BlockingIOError, OSError):  # full: a ring is pending anyway; closed: the other side is gone
            pass

    def wait(self) -> None:
        if not self._thread_blocks:
            wait_read(self._read)
        try:
            os.read(self._read, 4096)
        except BlockingIOError:
            pass

    def close(self) -> None:
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass


def _open_writer(db_path: StoreTarget | str):
    if is_postgres(db_path):
        return open_store(cast(PostgresTarget, db_path), "goclaw-writer")
    db = open_store(Path(cast(str, db_path)))
    db.connection().execute(f"PRAGMA busy_timeout = {WRITE_BUSY_TIMEOUT_MS}")
    db.connection().execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
    return db


def _invoke(call: _Call) -> Any:
    try:
        return call.fn(*call.args)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller on the hub
        return exc


def _answer(call: _Call, outcome: Any) -> None:
    if isinstance(outcome, BaseException):
        call.result.set_exception(outcome)
    else:
        call.result.set(outcome)
