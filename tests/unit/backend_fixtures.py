"""The store fixture of the queue and recovery suites, on both backends: import `conn` from here in a test
module to run its tests on SQLite and on a real PostgreSQL (started once per session, one fresh database per
test, cloned from a migrated template)."""

import contextlib

import pytest

from goclaw_actors.store.database import open_database
from goclaw_actors.store.pg_connection import PgConnection
from goclaw_actors.store.pg_database import open_postgres
from tests.unit.store_fixtures import transaction


@pytest.fixture(params=["sqlite", "postgres"])
def conn(request, tmp_path):
    """An open, migrated store on each backend, with the `default` agent (max_queue_depth 0) registered."""
    if request.param == "sqlite":
        db = open_database(tmp_path / "goclaw.db")
        connection, close = db.connection(), db.close
    else:
        connection = open_postgres(request.getfixturevalue("pg_dsn"))
        close = connection.close
    with transaction(connection) as q:
        q.upsert_agent("default", {"max_queue_depth": 0, "worker_count": 4})
    yield connection
    close()


@contextlib.contextmanager
def other_connection(conn, tmp_path):
    """A second connection to the store of the `conn` fixture (another process or daemon, in effect)."""
    if is_postgres(conn):
        other = PgConnection(conn.dsn)
        close = other.close
    else:
        db = open_database(tmp_path / "goclaw.db")
        other, close = db.connection(), db.close
    try:
        yield other
    finally:
        close()


def is_postgres(conn) -> bool:
    """True when `conn` is the PostgreSQL store."""
    return getattr(conn, "backend", "sqlite") == "postgres"
