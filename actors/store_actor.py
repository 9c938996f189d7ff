"""StoreActor: the only writer of goclaw.db; folds concurrent write requests into one transaction."""

import logging
from pathlib import Path
from typing import Any, Callable

import pykka

from goclaw_actors.errors import StoreError
from goclaw_actors.store.batch_writer import BatchWriter
from goclaw_actors.store.group_commit import MAX_BATCH, WriteEnvelope, WriteResult

log = logging.getLogger("goclaw.store")

_FLUSH = object()  # inbox marker: hand the pending requests to the writer thread now

Publish = Callable[[list[dict[str, Any]]], None]


class StoreActor(pykka.ThreadingActor):
    """Owns the write connection, through a BatchWriter whose OS thread runs one batch at a time.

    Each WriteEnvelope joins the pending list, handed to the writer when the flush marker queued
    behind its first request comes up (so everything already in the inbox goes along), or when it
    is full. While a commit is in flight, the lists handed over meanwhile make up the next batch, so
    batches grow by themselves when commits are slow. Callers' futures are resolved, and the committed
    events published, only after COMMIT returned. The actor's green thread never waits on SQLite.
    """

    def __init__(self, db_path: Path | str, publish: Publish, max_batch: int = MAX_BATCH,
                 commit_delay: float = 0.0):
        super().__init__()
        self.db_path = db_path
        self.publish = publish
        self.max_batch = max_batch
        self.commit_delay = commit_delay
        self.pending: list[WriteEnvelope] = []
        self.writer: BatchWriter | None = None

    def on_start(self) -> None:
        self.writer = BatchWriter(self.db_path, self.publish, commit_delay=self.commit_delay,
                                  max_batch=self.max_batch)

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, WriteEnvelope):
            self.pending.append(message)
            if len(self.pending) == 1:
                # Everything already queued behind this request goes along: the marker comes after it.
                self.actor_ref.tell(_FLUSH)
            elif len(self.pending) >= self.max_batch:
                self._hand_off()
            return None
        if message is _FLUSH:
            self._hand_off()
            return None
        log.error("store: unexpected message", extra={"type": type(message).__name__})
        return None

    def stats(self) -> dict[str, float]:
        """Batches committed, requests served and seconds the writer spent on batches since start."""
        return self.writer.stats()

    def checkpoint(self) -> None:
        """Commit everything pending, then flush the WAL into the main database file."""
        self._hand_off()
        self.writer.drain()
        if not self.writer.is_postgres:  # PostgreSQL checkpoints by itself
            self.writer.call(_checkpoint, self.writer.connection)

    def on_stop(self) -> None:
        try:
            self.checkpoint()
        except Exception as exc:  # closing anyway; the WAL is replayed on the next open
            log.warning("store checkpoint failed", extra={"error": str(exc)})
        self.writer.close()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        error = StoreError(f"store failed: {exc_value}")
        for envelope in self.pending:
            envelope.future.set(WriteResult(error=error))
        self.pending = []
        if self.writer is not None:
            self.writer.close()  # what the writer has already is committed and answered first

    def _hand_off(self) -> None:
        if self.pending:
            batch, self.pending = self.pending, []
            self.writer.submit(batch)


def _checkpoint(conn) -> None:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
