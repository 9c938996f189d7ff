"""Which queue backend serves a connection: `SqliteQueue` for sqlite3, `PostgresQueue` for PgConnection."""

from goclaw_actors.store.sqlite_queue import SqliteQueue


def make_queue(conn, instance_id: str = ""):
    """The store's write operations bound to `conn`, in the dialect of its database."""
    if getattr(conn, "backend", "sqlite") == "postgres":
        from goclaw_actors.store.pg_queue import PostgresQueue

        return PostgresQueue(conn, instance_id)
    return SqliteQueue(conn)
