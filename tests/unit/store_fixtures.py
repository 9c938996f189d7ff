"""Shared fixtures for store tests: a migrated database file and a transaction helper."""

import contextlib

import pytest

from goclaw_actors.store.database import open_database
from goclaw_actors.store.backends import make_queue


@contextlib.contextmanager
def transaction(conn):
    """Run the body in one IMMEDIATE transaction, yielding the queue backend of `conn` bound to it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        queue = make_queue(conn)
        yield queue
        queue.flush_events()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@pytest.fixture
def conn(tmp_path):
    """An open, migrated goclaw.db with the `default` agent (max_queue_depth 0) registered."""
    db = open_database(tmp_path / "goclaw.db")
    connection = db.connection()
    with transaction(connection) as q:
        q.upsert_agent("default", {"max_queue_depth": 0, "worker_count": 4})
    yield connection
    db.close()


def events_of(conn, task_id):
    """(event_type, state_from, state_to) of a task's events in order."""
    return conn.execute(
        "SELECT event_type, state_from, state_to FROM task_events WHERE task_id = ? ORDER BY event_id", (task_id,)
    ).fetchall()
