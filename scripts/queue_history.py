"""Finished work for the queue benchmark's growth runs: SUCCEEDED tasks written straight into goclaw.db, each
with what the daemon would have written for it (its session, user and assistant messages, four events and a
`task_metrics` row), as fast as SQLite inserts them.

Task ids are time-ordered like the daemon's own (UUIDv7 shape, older than any new task); session ids are
scattered like the random ones clients send.
"""

import sqlite3
import time
from pathlib import Path

CHUNK = 50_000  # tasks per transaction
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: the history is older than anything the daemon adds

_NUMBERS = "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
_TASK_ID = ("printf('%08x-%04x-7%03x-%04x-%012x', (? + i) >> 16, (? + i) & 65535, i & 4095, "
            "32768 | (i & 16383), (i * 2654435761) & 281474976710655)")
_SESSION_ID = ("printf('%08x-%04x-4%03x-%04x-%012x', (i * 2654435761) & 4294967295, (i * 40503) & 65535, "
               "(i * 97) & 4095, 32768 | ((i * 31) & 16383), (i * 11400714819) & 281474976710655)")
_AT = "strftime('%Y-%m-%d %H:%M:%f', (? + i) / 1000.0, 'unixepoch') || '000'"


def add_finished_tasks(db_path: Path, first: int, count: int) -> float:
    """Insert finished tasks numbered `first` .. `first + count - 1`; returns the seconds it took."""
    started = time.perf_counter()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA cache_size = -262144")  # 256 MB while filling: the scattered session keys
    try:
        for low in range(first, first + count, CHUNK):
            high = min(first + count, low + CHUNK) - 1
            conn.execute("BEGIN IMMEDIATE")
            _insert_chunk(conn, low, high)
            conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return time.perf_counter() - started


def _insert_chunk(conn: sqlite3.Connection, low: int, high: int) -> None:
    bounds = (low, high)
    conn.execute(_NUMBERS + f"INSERT INTO sessions (id, created_at, updated_at) SELECT {_SESSION_ID}, {_AT}, {_AT} "
                 "FROM n", (*bounds, BASE_MS, BASE_MS))
    conn.execute(
        _NUMBERS + "INSERT INTO tasks (id, session_id, agent_id, type, status, priority, attempt, max_attempts, "
        "available_at, payload, result, run_id, policy_version, created_at, updated_at, completion_tokens, "
        f"total_tokens) SELECT {_TASK_ID}, {_SESSION_ID}, 'default', 'chat', 'SUCCEEDED', 0, 0, 3, {_AT}, "
        "'{\"content\":\"task ' || i || '\"}', '{\"reply\":\"done ' || i || '\"}', 'run-' || i, 'policy-history', "
        f"{_AT}, {_AT}, 2, 2 FROM n", (*bounds, BASE_MS, BASE_MS, BASE_MS, BASE_MS, BASE_MS))
    for role, content in (("user", "'task ' || i"), ("assistant", "'done ' || i")):
        conn.execute(_NUMBERS + "INSERT INTO messages (session_id, agent_id, role, content, tokens, created_at) "
                     f"SELECT {_SESSION_ID}, 'default', '{role}', {content}, 2, {_AT} FROM n",
                     (*bounds, BASE_MS))
    for event_type, state_from, state_to, reason in (
            ("task.enqueued", None, "QUEUED", "create_task"),
            ("task.claimed", "QUEUED", "CLAIMED", "claim_next_pending"),
            ("task.running", "CLAIMED", "RUNNING", "worker_start"),
            ("task.succeeded", "RUNNING", "SUCCEEDED", "processor_success")):
        conn.execute(
            _NUMBERS + "INSERT INTO task_events (task_id, session_id, run_id, trace_id, event_type, state_from, "
            f"state_to, payload_json, created_at) SELECT {_TASK_ID}, {_SESSION_ID}, "
            f"CASE WHEN ? = 'task.enqueued' THEN '' ELSE 'run-' || i END, {_SESSION_ID}, ?, ?, ?, ?, {_AT} FROM n",
            (*bounds, BASE_MS, BASE_MS, event_type, event_type, state_from, state_to,
             f'{{"reason":"{reason}"}}', BASE_MS))
    conn.execute(_NUMBERS + "INSERT INTO task_metrics (task_id, agent_id, queue_wait_ms, run_ms, completion_tokens, "
                 f"created_at) SELECT {_TASK_ID}, 'default', 1, 1, 2, {_AT} FROM n",
                 (*bounds, BASE_MS, BASE_MS, BASE_MS))
