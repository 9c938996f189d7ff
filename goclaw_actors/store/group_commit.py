"""Group commit: many write requests in one transaction, each isolated by its own savepoint (SPEC §1.5)."""

import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable

from goclaw_actors.errors import StoreError
from goclaw_actors.store.queue_backend import WRITE_OPS, QueueBackend

MAX_BATCH = 128  # write requests folded into one transaction


@dataclass
class WriteRequest:
    """One caller's write: a backend operation name, its keyword arguments, and the caller's trace context
    (a W3C traceparent; tasks the operation creates continue that trace)."""

    op: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    traceparent: str | None = None


class WriteEnvelope:
    """A write request plus the future (a gevent AsyncResult) its WriteResult is delivered on after COMMIT."""

    __slots__ = ("request", "future")

    def __init__(self, request: WriteRequest, future: Any):
        self.request = request
        self.future = future


@dataclass
class WriteResult:
    """The outcome of one request after the batch committed: a value or an error, and its events."""

    value: Any = None
    error: Exception | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


class DatabaseBusy(StoreError):
    """The write lock could not be taken (another process holds it); the batch may be retried."""


def is_busy(exc: sqlite3.Error) -> bool:
    """True for SQLITE_BUSY / SQLITE_LOCKED errors."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def run_batch(
    conn: sqlite3.Connection,
    requests: list[WriteRequest],
    make_backend: Callable[[sqlite3.Connection], QueueBackend],
    before_commit: Callable[[], None] | None = None,
) -> list[WriteResult]:
    """Run `requests` in one IMMEDIATE transaction; return results in order.

    A failing request gets its own error and the others still commit: the batch first runs
    without savepoints (the common case, fewer statements); if any request fails it is rolled
    back and run again with one savepoint per request. Raises DatabaseBusy if the transaction
    could not begin; a failed COMMIT fails the whole batch. `before_commit` runs inside the open
    transaction, just before COMMIT (crash tests hold the transaction open there).
    """
    results = _run_transaction(conn, requests, make_backend, isolated=False, before_commit=before_commit)
    if results is None:
        results = _run_transaction(conn, requests, make_backend, isolated=True, before_commit=before_commit)
        assert results is not None  # the isolated run gives each failing request its own error
    return results


def _run_transaction(conn, requests, make_backend, isolated: bool, before_commit=None) -> list[WriteResult] | None:
    """One attempt at the batch; None when a request failed in the non-isolated mode (rolled back)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise DatabaseBusy(str(exc)) from exc
        raise
    backend = make_backend(conn)
    results: list[WriteResult] = []
    try:
        for request in requests:
            result = _run_isolated(conn, backend, request) if isolated else _run_plain(backend, request)
            if result is None:
                conn.execute("ROLLBACK")
                return None
            results.append(result)
        if not isolated and not _flushed(backend):
            conn.execute("ROLLBACK")
            return None
        if before_commit is not None:
            before_commit()
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return results


def _flushed(backend: QueueBackend) -> bool:
    """Write the batch's pending event rows; False if that failed (the batch is redone request by request)."""
    try:
        backend.flush_events()
    except Exception:  # noqa: BLE001 - redone with savepoints, where the failing request gets the error
        return False
    return True


def _run_plain(backend: QueueBackend, request: WriteRequest) -> WriteResult | None:
    """Run one request directly in the transaction; None if it failed (the batch must be redone)."""
    if request.op not in WRITE_OPS:
        return None
    mark = len(backend.committed_events)
    try:
        value = _apply(backend, request)
    except Exception:  # noqa: BLE001 - redone with savepoints, where the error is reported
        return None
    return WriteResult(value=value, events=backend.committed_events[mark:])


def _run_isolated(conn: sqlite3.Connection, backend: QueueBackend, request: WriteRequest) -> WriteResult:
    """Run one request inside a savepoint of the open transaction."""
    if request.op not in WRITE_OPS:
        return WriteResult(error=StoreError(f"unknown store operation: {request.op}"))
    mark = len(backend.committed_events)
    conn.execute("SAVEPOINT request")
    try:
        value = _apply(backend, request)
        backend.flush_events()
    except Exception as exc:  # the request's own failure: undo it, keep the batch
        conn.execute("ROLLBACK TO request")
        conn.execute("RELEASE request")
        backend.discard_events(mark)
        return WriteResult(error=exc)
    conn.execute("RELEASE request")
    return WriteResult(value=value, events=backend.committed_events[mark:])


def _apply(backend: QueueBackend, request: WriteRequest) -> Any:
    """Run one request's operation on the backend, under the request's trace context."""
    backend.traceparent = request.traceparent
    return getattr(backend, request.op)(**request.kwargs)
