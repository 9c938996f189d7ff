"""Opening goclaw.db: migrations ledger, refusal of newer or altered schemas, pragmas, group commit isolation."""

import re
import sqlite3

import pytest

from goclaw_actors.errors import AgentNotFound, StartupError, StoreError
from goclaw_actors.queue import states as st
from goclaw_actors.store.database import migrate, open_database
from goclaw_actors.store.api.facade import KvStore, TasksStore
from goclaw_actors.store.group_commit import DatabaseBusy, WriteRequest, run_batch
from goclaw_actors.store.migrations import LATEST_CHECKSUM, LATEST_VERSION, MIGRATIONS
from goclaw_actors.store.sqlite_queue import SqliteQueue

REQUIRED_INDEXES = {
    ("tasks", ("status", "available_at", "priority", "created_at")),
    ("tasks", ("lease_expires_at",)),
    ("tasks", ("agent_id", "status", "available_at")),
    ("messages", ("session_id", "agent_id", "id")),
    ("task_events", ("session_id", "event_id")),
    ("task_events", ("task_id", "event_id")),
    ("schedules", ("enabled", "next_run_at")),
}


def ledger(conn):
    return conn.execute("SELECT version, checksum FROM schema_migrations ORDER BY version").fetchall()


def migration_audits(conn):
    return conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'data.migration'").fetchone()[0]


def test_migrations_are_numbered_in_order_with_spec_checksums():
    versions = [m.version for m in MIGRATIONS]
    assert versions == list(range(1, LATEST_VERSION + 1))
    assert LATEST_VERSION == 20
    assert MIGRATIONS[-1].checksum == LATEST_CHECKSUM == "gc-v20-2026-11-29-telegram-channel"
    assert MIGRATIONS[17].checksum == "gc-v18-2026-11-29-task-traceparent"
    assert MIGRATIONS[13].checksum == "gc-v14-2026-02-16-loop-checkpoints"  # SPEC §3.1's version 14
    for m in MIGRATIONS:
        assert re.fullmatch(rf"gc-v{m.version:02d}-\d{{4}}-\d{{2}}-\d{{2}}-[a-z0-9-]+", m.checksum)


def test_fresh_open_records_every_migration_and_audits_once(conn):
    assert ledger(conn) == [(m.version, m.checksum) for m in MIGRATIONS]
    assert migration_audits(conn) == 1
    (reason,) = conn.execute("SELECT reason FROM audit_log WHERE action = 'data.migration'").fetchone()
    assert reason == f"applied schema versions 1..{LATEST_VERSION}"


def test_reopen_is_a_no_op(conn, tmp_path):
    before = ledger(conn)
    assert migrate(conn) == []
    db = open_database(tmp_path / "goclaw.db")
    db.close()
    assert ledger(conn) == before
    assert migration_audits(conn) == 1


def test_required_indexes_exist(conn):
    found = set()
    for (name, table) in conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"):
        columns = tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{name}')"))
        found.add((table, columns))
    assert REQUIRED_INDEXES <= found


def test_pragmas_wal_full_sync_foreign_keys(conn):
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_newer_schema_version_is_refused(conn, tmp_path):
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'gc-v99-2099-01-01-future', '2099-01-01')",
                 (LATEST_VERSION + 1,))
    with pytest.raises(StartupError) as info:
        open_database(tmp_path / "goclaw.db")
    assert info.value.reason_code == "E_STORE_OPEN"
    assert f"newer than supported {LATEST_VERSION}" in str(info.value)


def test_checksum_mismatch_is_refused_and_changes_nothing(conn, tmp_path):
    conn.execute("UPDATE schema_migrations SET checksum = 'gc-v03-tampered' WHERE version = 3")
    before = ledger(conn)
    with pytest.raises(StartupError) as info:
        open_database(tmp_path / "goclaw.db")
    assert info.value.reason_code == "E_STORE_OPEN"
    assert "checksum mismatch" in info.value.message
    assert ledger(conn) == before and not conn.in_transaction


def test_unopenable_path_is_e_store_open(tmp_path):
    with pytest.raises(StartupError) as info:
        open_database(tmp_path / "missing-dir" / "goclaw.db")
    assert info.value.reason_code == "E_STORE_OPEN"


def test_legacy_data_is_normalised_by_pending_migrations(tmp_path):
    path = tmp_path / "legacy.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, checksum TEXT NOT NULL, "
                "applied_at TEXT NOT NULL)")
    for statement in MIGRATIONS[0].statements:
        raw.execute(statement)
    raw.execute("INSERT INTO schema_migrations VALUES (1, ?, '2025-06-02')", (MIGRATIONS[0].checksum,))
    for task_id, status in (("a", "PENDING"), ("b", "COMPLETED"), ("c", "FAILED")):
        raw.execute("INSERT INTO tasks (id, session_id, status, available_at, created_at, updated_at) "
                    "VALUES (?, 's', ?, '2025-01-01', '2025-01-01', '2025-01-01')", (task_id, status))
    raw.execute("CREATE TABLE history (session_id TEXT, role TEXT, content TEXT, created_at TEXT)")
    raw.execute("INSERT INTO history VALUES ('old', 'user', 'hi there', '2025-01-01 00:00:00')")
    raw.close()
    db = open_database(path)
    try:
        conn = db.connection()
        assert conn.execute("SELECT id, status FROM tasks ORDER BY id").fetchall() == [
            ("a", st.QUEUED), ("b", st.SUCCEEDED), ("c", st.FAILED)]
        assert conn.execute("SELECT session_id, agent_id, role, content FROM messages").fetchall() == [
            ("old", "default", "user", "hi there")]
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'history'").fetchone() is None
        assert [v for v, _ in ledger(conn)] == list(range(1, LATEST_VERSION + 1))
        (reason,) = conn.execute("SELECT reason FROM audit_log WHERE action = 'data.migration'").fetchone()
        assert reason == f"applied schema versions 2..{LATEST_VERSION}"
    finally:
        db.close()


def test_group_commit_isolates_failing_requests(conn):
    requests = [
        TasksStore.enqueue.request(session_id="s1", payload={"content": "one"}),
        TasksStore.enqueue.request(session_id="s1", payload={"content": "x"}, agent_id="nope"),
        WriteRequest("drop_everything", {}),  # not a store operation: refused by the group commit
        TasksStore.enqueue.request(session_id="s2", payload={"content": "two"}),
    ]
    results = run_batch(conn, requests, SqliteQueue)
    assert [r.error is None for r in results] == [True, False, False, True]
    assert isinstance(results[1].error, AgentNotFound)
    assert isinstance(results[2].error, StoreError) and "unknown store operation" in str(results[2].error)
    assert [e["event_type"] for e in results[0].events] == [st.EV_ENQUEUED]
    assert results[1].events == [] and results[2].events == []
    assert results[3].events[0]["task_id"] == results[3].value["task_id"]
    assert not conn.in_transaction
    assert conn.execute("SELECT COUNT(*) FROM tasks").fetchone() == (2,)


def test_group_commit_rolls_back_partial_writes_of_a_failed_request(conn):
    first = run_batch(conn, [TasksStore.enqueue.request(session_id="s1", payload={"content": "a"},
                                                        task_id="fixed")], SqliteQueue)[0]
    assert first.error is None
    results = run_batch(conn, [
        TasksStore.enqueue.request(session_id="s9", payload={"content": "dup"}, task_id="fixed"),
        KvStore.put_kv.request(key="k", value="v"),
    ], SqliteQueue)
    assert isinstance(results[0].error, sqlite3.IntegrityError) and results[1].error is None
    assert conn.execute("SELECT COUNT(*) FROM messages WHERE session_id = 's9'").fetchone() == (0,)
    assert conn.execute("SELECT COUNT(*) FROM sessions WHERE id = 's9'").fetchone() == (0,)
    assert conn.execute("SELECT value FROM kv_store WHERE key = 'k'").fetchone() == ("v",)


def test_group_commit_reports_busy_when_another_connection_holds_the_lock(conn, tmp_path):
    other = sqlite3.connect(tmp_path / "goclaw.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        conn.execute("PRAGMA busy_timeout = 0")
        with pytest.raises(DatabaseBusy):
            run_batch(conn, [KvStore.put_kv.request(key="k", value="v")], SqliteQueue)
        assert not conn.in_transaction
        other.execute("ROLLBACK")
        assert run_batch(conn, [KvStore.put_kv.request(key="k", value="v")], SqliteQueue)[0].error is None
    finally:
        other.close()
