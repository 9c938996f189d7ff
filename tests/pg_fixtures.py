"""Session fixtures for the PostgreSQL backend: one real server per test session (tests.pg_server), a migrated
template database, and a fresh database cloned from it per test. Without a server the tests skip, saying why."""

import itertools

import pytest

from goclaw_actors.store.pg_database import open_postgres
from tests.pg_server import PgServer, unavailable

TEMPLATE = "goclaw_template"
_numbers = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the whole session with a migrated template database; skips when none can run."""
    reason = unavailable()
    if reason:
        pytest.skip(f"PostgreSQL backend not tested: {reason}")
    server = PgServer().start()
    server.create_database(TEMPLATE)
    open_postgres(server.dsn(TEMPLATE)).close()
    yield server
    server.stop()


@pytest.fixture
def pg_dsn(pg_server):
    """The DSN of a fresh, migrated PostgreSQL database for one test."""
    return pg_server.create_database(f"goclaw_test_{next(_numbers)}", template=TEMPLATE)
