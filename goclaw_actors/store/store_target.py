"""Where the daemon's store lives: the SQLite file in its home, or a PostgreSQL database shared with other
daemons (`storage.backend`). One place opens either, and builds the queue backend for its connections."""

import functools
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, cast

from goclaw_actors.store.backends import make_queue


@dataclass(frozen=True)
class PostgresTarget:
    """A PostgreSQL store: its DSN, the connect timeout, and this daemon process's instance id (every lease
    it takes names it)."""

    dsn: str = field(repr=False)  # may hold a password
    connect_timeout: float = 10
    instance_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


StoreTarget = Path | PostgresTarget


def store_target(config: Any, db_path: Path) -> StoreTarget:
    """The store `config` asks for: `db_path` (SQLite) or a PostgresTarget with a fresh instance id."""
    if config is None or config.get("storage.backend", "sqlite") != "postgres":
        return db_path
    return PostgresTarget(dsn=config.get("storage.postgres_dsn"),
                          connect_timeout=float(config.get("storage.postgres_connect_timeout_seconds") or 10))


def is_postgres(target: Any) -> bool:
    """True for a PostgreSQL store."""
    return isinstance(target, PostgresTarget)


class PostgresStore:
    """An open PostgreSQL store with the interface of peewee's database that the writer uses."""

    def __init__(self, target: PostgresTarget, application_name: str):
        from goclaw_actors.store.pg_database import open_postgres

        self._conn = open_postgres(target.dsn, f"{application_name}:{target.instance_id}", target.connect_timeout)

    def connection(self):
        """The PgConnection."""
        return self._conn

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def open_store(target: StoreTarget, application_name: str = "goclaw"):
    """Open and migrate the store at `target`: a peewee SqliteDatabase or a PostgresStore (both have
    `.connection()` and `.close()`)."""
    if is_postgres(target):
        return PostgresStore(cast(PostgresTarget, target), application_name)
    from goclaw_actors.store.database import open_database

    return open_database(cast(Path, target))


def queue_factory(target: StoreTarget) -> Callable:
    """`make_backend` for run_batch: the queue backend of a connection to `target`."""
    if is_postgres(target):
        return functools.partial(make_queue, instance_id=cast(PostgresTarget, target).instance_id)
    return make_queue
