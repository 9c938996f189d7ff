"""The typed store facade over a connection this thread owns: each write in its own transaction, without the
store actor (the `goclaw skill` command on goclaw.db while the daemon may run, tests on a temporary database).

    store = connection_store(conn)
    store.skills.remove_installed_skill(skill_id="echo")
"""

import sqlite3
from typing import Any, Callable

from goclaw_actors.store.api.facade import StoreApi
from goclaw_actors.store.busy_retry import retry_busy
from goclaw_actors.store.group_commit import DatabaseBusy, WriteRequest, WriteResult, run_batch
from goclaw_actors.store.sqlite_queue import SqliteQueue


class ConnectionTransport:
    """Runs each write request at once in its own transaction on `conn` (a busy database is retried)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def submit(self, op: str, **kwargs: Any) -> WriteResult:
        """Run the write now; its WriteResult is the 'future'."""
        def attempt() -> WriteResult:
            try:
                return run_batch(self.conn, [WriteRequest(op, kwargs)], SqliteQueue)[0]
            except DatabaseBusy as exc:
                raise sqlite3.OperationalError("database is locked") from exc
        return retry_busy(attempt)

    def result(self, future: WriteResult) -> Any:
        """The write's value, raising its error."""
        if future.error is not None:
            raise future.error
        return future.value

    def call(self, op: str, **kwargs: Any) -> Any:
        """Run one write; its committed value, or its error raised."""
        return self.result(self.submit(op, **kwargs))

    def send(self, op: str, on_error: Callable[[Exception], None], **kwargs: Any) -> None:
        """Run one write; a failure goes to `on_error`."""
        try:
            self.call(op, **kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the caller's handler, as the store client does
            on_error(exc)


def connection_store(conn: sqlite3.Connection) -> StoreApi:
    """Every store write by noun, each committed on `conn` before it returns."""
    return StoreApi(ConnectionTransport(conn))
