"""What the queue benchmarks share: one transaction of queue operations on a connection of their own."""

from goclaw_actors.store.backends import make_queue


def in_transaction(conn, fn):
    """`fn(queue)` in one transaction on `conn` (SQLite or PostgreSQL); returns its value."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        queue = make_queue(conn, "bench")
        value = fn(queue)
        queue.flush_events()
        conn.execute("COMMIT")
        return value
    except BaseException:
        conn.execute("ROLLBACK")
        raise
