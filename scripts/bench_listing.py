"""Task listing benchmark: one page of `GET /api/tasks` read from a database of large tasks, as the gateway
reads it now (summaries found on the creation-time indexes) against the previous query (every column,
payload included, sorted without an index) measured on the same database in the same run.
"""

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from goclaw_actors.store import api_reads  # noqa: E402
from goclaw_actors.store.database import open_database  # noqa: E402
from goclaw_actors.store.task_row import TASK_COLUMNS  # noqa: E402
from goclaw_actors.timeutil import db_now  # noqa: E402

LISTING_INDEXES = ("idx_tasks_created", "idx_tasks_status_created", "idx_tasks_session_created",
                   "idx_tasks_agent_created")  # schema version 15


def fill(db_path: Path, tasks: int, payload_bytes: int) -> None:
    """`tasks` succeeded tasks whose payload and result each hold about `payload_bytes` bytes."""
    database = open_database(db_path)
    conn = database.connection()
    body = "x" * payload_bytes
    conn.execute("BEGIN")
    for index in range(tasks):
        now = db_now()
        conn.execute(
            "INSERT INTO tasks (id, session_id, agent_id, type, status, priority, attempt, max_attempts, "
            "available_at, payload, result, created_at, updated_at) VALUES (?, ?, 'default', 'chat', 'SUCCEEDED', "
            "0, 1, 3, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), str(uuid.uuid4()), now, json.dumps({"content": f"{index} {body}"}),
             json.dumps({"reply": body}), now, now))
    conn.execute("COMMIT")
    database.close()


def timed(run, repeat: int) -> float:
    """Median seconds of `run()` over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def previous_page(conn: sqlite3.Connection, limit: int, offset: int) -> list:
    """The query the gateway ran before (every column, sorted in full) and its count."""
    conn.execute("SELECT COUNT(*) FROM tasks").fetchone()
    return conn.execute(f"SELECT {TASK_COLUMNS}, payload FROM tasks ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                        (limit, offset)).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--payload-kib", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "goclaw.db"
        fill(db_path, args.tasks, args.payload_kib * 1024)
        conn = sqlite3.connect(db_path)
        summary = timed(lambda: api_reads.list_tasks(conn, None, 20, 0, payload=False, result=False), args.repeat)
        deep = timed(lambda: api_reads.list_tasks(conn, None, 20, args.tasks - 40, payload=False, result=False),
                     args.repeat)
        bodies = timed(lambda: api_reads.list_tasks(conn, None, 20, 0), args.repeat)
        for name in LISTING_INDEXES:
            conn.execute(f"DROP INDEX {name}")
        before = timed(lambda: previous_page(conn, 20, 0), args.repeat)
        conn.close()
    size = f"{args.tasks} tasks of {args.payload_kib} KiB payload + result"
    print(f"baseline  previous query, first page of 20:      {before * 1000:8.1f} ms  ({size})")
    print(f"listing   summaries, first page of 20:           {summary * 1000:8.1f} ms")
    print(f"listing   summaries, page at offset {args.tasks - 40}:".ljust(49) + f"{deep * 1000:8.1f} ms")
    print(f"listing   with payload and result, first page:   {bodies * 1000:8.1f} ms")
    print(f"ratio     baseline / summaries:                  {before / summary:8.1f}x")


if __name__ == "__main__":
    main()
