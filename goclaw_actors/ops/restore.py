"""`goclaw restore <file>`: put a verified backup in place of goclaw.db while no daemon uses it.

The current database is kept (hard link, or copy) as `backups/goclaw-pre-restore-<stamp>.db` after its
WAL is checkpointed into it; the backup is copied next to goclaw.db and renamed over it (atomic), and
stale `-wal`/`-shm` files are removed so SQLite never replays them onto the restored file.
"""

import contextlib
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from goclaw_actors.ops.backup import (BACKUP_FILE_MODE, BACKUPS_DIR, BACKUPS_DIR_MODE, BackupError, backup_stamp,
                                      fsync_directory)
from goclaw_actors.ops.db_check import DatabaseReport, inspect_database, open_existing
from goclaw_actors.store.group_commit import is_busy

SIDE_FILES = ("-wal", "-shm")


@dataclass(frozen=True)
class RestoreResult:
    """The restored backup's report and where the database it replaced was kept (None if there was none)."""

    report: DatabaseReport
    kept: Path | None


@contextlib.contextmanager
def exclusive_access(db_path: Path) -> Iterator[sqlite3.Connection | None]:
    """Hold `db_path` exclusively (no other connection may use it meanwhile); yields the connection, or
    None when the file is missing or unreadable as a database. Raises BackupError when a process holds it.
    """
    if not db_path.exists():
        yield None
        return
    conn = open_existing(db_path, query_only=False, timeout=0)
    try:
        try:
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if is_busy(exc):
                raise BackupError(f"{db_path} is in use by another process (a running daemon?); stop it first"
                                  ) from None
            conn.close()
            conn = None
        yield conn
    finally:
        if conn is not None:
            conn.close()


def database_in_use(db_path: Path) -> bool:
    """Whether another process holds `db_path` open (a daemon, even one not answering HTTP)."""
    try:
        with exclusive_access(db_path):
            return False
    except BackupError:
        return True


def restore_database(backup: Path, db_path: Path) -> RestoreResult:
    """Verify `backup`, keep the current database, and swap the backup in; raises BackupError (nothing
    changed) when the backup does not verify or the database is in use."""
    report = inspect_database(backup)
    if not report.ok:
        raise BackupError(f"{backup} is not a usable backup: {'; '.join(report.problems)}")
    home = db_path.parent
    staged = home / f".{db_path.name}.restore-{uuid.uuid4().hex[:8]}"
    try:
        shutil.copyfile(backup, staged)
        os.chmod(staged, BACKUP_FILE_MODE)
        with open(staged, "rb+") as handle:
            os.fsync(handle.fileno())
        kept = None
        with exclusive_access(db_path) as conn:
            if conn is not None:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if db_path.exists():
                kept = _keep(db_path, home / BACKUPS_DIR / f"goclaw-pre-restore-{backup_stamp()}.db")
        for suffix in SIDE_FILES:
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        os.replace(staged, db_path)
        fsync_directory(home)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"restore of {backup} failed: {exc}") from exc
    finally:
        staged.unlink(missing_ok=True)
    report.path = db_path
    return RestoreResult(report, kept)


def _keep(db_path: Path, kept: Path) -> Path:
    """Keep the current database (and a WAL a failed checkpoint left) as `kept`; returns it."""
    kept.parent.mkdir(mode=BACKUPS_DIR_MODE, parents=True, exist_ok=True)
    stem, number = kept.stem, 1
    while kept.exists():  # two restores within one second
        kept = kept.with_name(f"{stem}-{number}.db")
        number += 1
    try:
        os.link(db_path, kept)
    except OSError:  # another file system, or no hard links
        shutil.copy2(db_path, kept)
    os.chmod(kept, BACKUP_FILE_MODE)
    wal = Path(f"{db_path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        shutil.copy2(wal, f"{kept}-wal")
    return kept
