"""StoreActor: the only writer of goclaw.db; folds concurrent write requests into one transaction."""

import logging
from pathlib import Path
from typing import Any, Callable

import gevent
import pykka
from gevent.event import AsyncResult

from actors.store_client import WriteEnvelope
from goclaw_actors.errors import StoreError
from goclaw_actors.store.batch_writer import BatchWriter
from goclaw_actors.store.group_commit import MAX_BATCH, WriteResult

log = logging.getLogger("goclaw.store")

_FLUSH = object()  # inbox marker: hand the pending batch to the writer now

Publish = Callable[[list[dict[str, Any]]], None]


class _Committed:
    """The writer thread finished batch number `token`."""

    __slots__ = ("token",)

    def __init__(self, token: int):
        self.token = token


class StoreActor(pykka.ThreadingActor):
    """Owns the write connection, through a BatchWriter whose OS thread runs one batch at a time.

    Each WriteEnvelope joins the pending batch. When the writer is idle, the batch is handed over
    once the flush marker queued behind its first request comes up (or when it is full); while a
    commit is in flight, requests keep joining the next batch, so batches grow by themselves when
    commits are slow. Only after COMMIT returned are the callers' futures resolved and the committed
    events published. The actor's green thread never waits on SQLite.
    """

    def __init__(self, db_path: Path | str, publish: Publish, max_batch: int = MAX_BATCH,
                 commit_delay: float = 0.0):
        super().__init__()
        self.db_path = db_path
        self.publish = publish
        self.max_batch = max_batch
        self.commit_delay = commit_delay
        self.pending: list[WriteEnvelope] = []
        self.in_flight: list[WriteEnvelope] | None = None  # the batch the writer thread is committing
        self.in_flight_result: AsyncResult | None = None
        self.tokens = 0
        self.writer: BatchWriter | None = None
        self.batches = 0
        self.requests = 0
        self.commit_seconds = 0.0

    def on_start(self) -> None:
        self.writer = BatchWriter(self.db_path, commit_delay=self.commit_delay)

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, WriteEnvelope):
            self.pending.append(message)
            if self.in_flight is None:
                if len(self.pending) == 1:
                    # Everything already queued behind this request joins its batch: the marker comes after it.
                    self.actor_ref.tell(_FLUSH)
                elif len(self.pending) >= self.max_batch:
                    self._hand_off()
            return None
        if message is _FLUSH:
            if self.in_flight is None:
                self._hand_off()
            return None
        if isinstance(message, _Committed):
            if message.token == self.tokens and self.in_flight is not None:
                self._finish_batch()
                if self.pending:
                    self._hand_off()
            return None
        log.error("store: unexpected message", extra={"type": type(message).__name__})
        return None

    def stats(self) -> dict[str, float]:
        """Batches committed, requests served and seconds the writer spent on batches since start."""
        return {"batches": self.batches, "requests": self.requests, "commit_seconds": self.commit_seconds}

    def checkpoint(self) -> None:
        """Commit everything pending, then flush the WAL into the main database file."""
        self._drain()
        self.writer.run(_checkpoint)

    def on_stop(self) -> None:
        try:
            self.checkpoint()
        except Exception as exc:  # closing anyway; the WAL is replayed on the next open
            log.warning("store checkpoint failed", extra={"error": str(exc)})
        self.writer.close()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        error = StoreError(f"store failed: {exc_value}")
        if self.in_flight is not None:
            self.in_flight_result.wait()  # never close the connection under a running batch
            self._resolve_all(self.in_flight, error)
            self.in_flight = None
        self._resolve_all(self.pending, error)
        self.pending = []
        if self.writer is not None:
            self.writer.close()

    def _hand_off(self) -> None:
        """Give the writer thread the next batch (up to max_batch requests, oldest first)."""
        batch, self.pending = self.pending[:self.max_batch], self.pending[self.max_batch:]
        if not batch:
            return
        self.tokens += 1
        self.in_flight = batch
        self.in_flight_result = self.writer.commit([envelope.request for envelope in batch])
        gevent.spawn(self._report_done, self.tokens, self.in_flight_result)

    def _report_done(self, token: int, result: AsyncResult) -> None:
        result.wait()
        try:
            self.actor_ref.tell(_Committed(token))
        except pykka.ActorDeadError:
            pass  # stopping: on_stop waits for the batch itself

    def _finish_batch(self) -> None:
        """Resolve the callers of the batch that just committed (or failed) and publish its events."""
        batch, result = self.in_flight, self.in_flight_result
        self.in_flight = self.in_flight_result = None
        try:
            results, seconds = result.get()
        except Exception as exc:
            log.error("store batch failed", extra={"error": str(exc), "requests": len(batch)})
            self._resolve_all(batch, error=exc if isinstance(exc, StoreError) else StoreError(
                f"store write failed: {exc}"))
            return
        self.commit_seconds += seconds
        self.batches += 1
        self.requests += len(batch)
        events: list[dict[str, Any]] = []
        for envelope, outcome in zip(batch, results):
            events.extend(outcome.events)
            envelope.future.set(outcome)
        if events:
            self.publish(events)

    def _drain(self) -> None:
        """Commit the batch in flight and everything pending, waiting (green) for each."""
        while self.in_flight is not None or self.pending:
            if self.in_flight is None:
                self._hand_off()
            self.in_flight_result.wait()
            self._finish_batch()

    @staticmethod
    def _resolve_all(batch: list[WriteEnvelope], error: Exception) -> None:
        for envelope in batch:
            envelope.future.set(WriteResult(error=error))


def _checkpoint(conn) -> None:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
