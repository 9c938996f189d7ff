"""Backup and restore of goclaw.db on real files: consistent, verified, never overwriting, refusing a database in
use, keeping the one it replaces; SQLITE_BUSY retried per SPEC §1.5."""

import os
import shutil
import sqlite3
import stat

import pytest

from goclaw_actors.ops.backup import BackupError, backup_database, default_backup_path
from goclaw_actors.ops.restore import database_in_use, restore_database
from goclaw_actors.store.busy_retry import busy_delay, retry_busy
from goclaw_actors.store.database import open_database
from goclaw_actors.store.migrations import LATEST_VERSION
from tests.helpers import insert_task


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    db = open_database(path / "goclaw.db")
    with db.connection() as conn:
        for n in range(3):
            insert_task(conn, f"task {n}")
    db.close()
    return path


def task_contents(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return sorted(row[0] for row in conn.execute("SELECT json_extract(payload, '$.content') FROM tasks"))
    finally:
        conn.close()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_backup_is_a_verified_private_copy_and_never_overwrites(home):
    out = default_backup_path(home)
    seen = []
    report = backup_database(home / "goclaw.db", out, progress=lambda done, total: seen.append((done, total)))
    assert report.ok and report.path == out and (report.version, report.tasks) == (LATEST_VERSION, 3)
    assert out.parent.name == "backups" and mode(out.parent) == 0o700 and mode(out) == 0o600
    assert out.name.startswith("goclaw-") and len(out.stem) == len("goclaw-20260101T000000Z")
    assert task_contents(out) == ["task 0", "task 1", "task 2"]
    assert seen and seen[-1][0] == seen[-1][1] and all(done <= total for done, total in seen)
    before = out.read_bytes()
    with pytest.raises(BackupError, match="already exists"):
        backup_database(home / "goclaw.db", out)
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no partial file left


def test_backup_needs_a_database_and_an_existing_directory(home, tmp_path):
    with pytest.raises(BackupError, match="no database"):
        backup_database(tmp_path / "absent.db", tmp_path / "out.db")
    with pytest.raises(BackupError, match="does not exist"):
        backup_database(home / "goclaw.db", tmp_path / "no-such-dir" / "out.db")


def test_backup_while_a_writer_holds_a_transaction_is_a_consistent_snapshot(home, tmp_path):
    writer = sqlite3.connect(home / "goclaw.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        insert_task(writer, "uncommitted")
        report = backup_database(home / "goclaw.db", tmp_path / "snapshot.db")
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert report.ok and task_contents(tmp_path / "snapshot.db") == ["task 0", "task 1", "task 2"]


def test_busy_errors_are_retried_with_growing_jittered_delays():
    attempts, sleeps = [], []

    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise sqlite3.OperationalError("database is locked")
        return "done"

    assert retry_busy(flaky, sleep=sleeps.append) == "done" and len(sleeps) == 2
    assert 0.0375 <= sleeps[0] <= 0.0625 and 0.075 <= sleeps[1] <= 0.125
    assert 0.375 <= busy_delay(9) <= 0.625  # capped at 500 ms ± 25 %
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        retry_busy(lambda: (_ for _ in ()).throw(sqlite3.OperationalError("database is locked")), sleep=sleeps.append)
    assert len(sleeps) == 2 + 5
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        retry_busy(lambda: (_ for _ in ()).throw(sqlite3.OperationalError("no such table: x")), sleep=sleeps.append)


def test_restore_swaps_the_backup_in_and_keeps_the_database_it_replaces(home, tmp_path):
    backup = tmp_path / "backup.db"
    backup_database(home / "goclaw.db", backup)
    db = open_database(home / "goclaw.db")
    with db.connection() as conn:
        insert_task(conn, "after the backup")
    db.close()
    (home / "goclaw.db-shm").write_bytes(b"stale")
    result = restore_database(backup, home / "goclaw.db")
    assert result.report.ok and task_contents(home / "goclaw.db") == ["task 0", "task 1", "task 2"]
    assert not (home / "goclaw.db-wal").exists() and not (home / "goclaw.db-shm").exists()
    assert mode(home / "goclaw.db") == 0o600 and mode(result.kept) == 0o600
    assert result.kept.parent == home / "backups" and result.kept.name.startswith("goclaw-pre-restore-")
    assert task_contents(result.kept) == ["after the backup", "task 0", "task 1", "task 2"]
    assert not [p for p in home.iterdir() if ".restore-" in p.name]
    again = restore_database(backup, home / "goclaw.db")  # within the same second: a second kept copy
    assert again.kept != result.kept and result.kept.exists()


def test_restore_keeps_what_only_the_wal_of_a_crashed_daemon_held(home, tmp_path):
    writer = sqlite3.connect(home / "goclaw.db", isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    insert_task(writer, "only in the wal")
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("goclaw.db", "goclaw.db-wal"):  # the files as kill -9 leaves them
        shutil.copyfile(home / name, crashed / name)
    writer.close()
    backup = tmp_path / "backup.db"
    backup_database(home / "goclaw.db", backup)
    result = restore_database(backup, crashed / "goclaw.db")
    assert "only in the wal" in task_contents(result.kept)


def test_restore_refuses_a_database_in_use_and_a_bad_backup_changing_nothing(home, tmp_path):
    backup = tmp_path / "backup.db"
    backup_database(home / "goclaw.db", backup)
    holder = sqlite3.connect(home / "goclaw.db")
    holder.execute("SELECT 1 FROM tasks").fetchall()
    try:
        assert database_in_use(home / "goclaw.db")
        with pytest.raises(BackupError, match="in use by another process"):
            restore_database(backup, home / "goclaw.db")
    finally:
        holder.close()
    assert not database_in_use(home / "goclaw.db") and not database_in_use(tmp_path / "absent.db")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE notes (x)").connection.close()
    future = tmp_path / "future.db"
    shutil.copyfile(backup, future)
    with sqlite3.connect(future) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'gc-v99-x', '2030-01-01 00:00:00')")
    before = (home / "goclaw.db").read_bytes()
    for bad, reason in ((garbage, "not a database"), (foreign, "not a goclaw database"),
                        (future, "newer than supported"), (tmp_path / "absent.db", "does not exist")):
        with pytest.raises(BackupError, match=reason):
            restore_database(bad, home / "goclaw.db")
    assert (home / "goclaw.db").read_bytes() == before and not (home / "backups").exists()
