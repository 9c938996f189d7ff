"""`goclaw backup` (SPEC §3.11): a consistent copy of goclaw.db taken with `VACUUM INTO` (one read
transaction: a snapshot, so it works while the daemon writes), verified, then published under its final name.

    report = backup_database(home / "goclaw.db", default_backup_path(home), progress=bar)
"""

import os
import sqlite3
import uuid
from datetime import datetime
from pathlib import Path
from typing import Callable

from goclaw_actors.errors import GoclawError
from goclaw_actors.ops.db_check import DatabaseReport, inspect_database, open_existing
from goclaw_actors.store.busy_retry import retry_busy
from goclaw_actors.timeutil import utc_now

BACKUPS_DIR = "backups"
BACKUPS_DIR_MODE = 0o700
BACKUP_FILE_MODE = 0o600
PROGRESS_EVERY_OPS = 20_000  # SQLite VM steps between progress callbacks

Progress = Callable[[int, int], None]


class BackupError(GoclawError):
    """The backup (or restore) could not be made; the message says why."""


def backup_stamp(moment: datetime | None = None) -> str:
    """`YYYYMMDDTHHMMSSZ` of `moment` (UTC now by default)."""
    return (moment or utc_now()).strftime("%Y%m%dT%H%M%SZ")


def default_backup_path(home: Path, moment: datetime | None = None) -> Path:
    """`$GOCLAW_HOME/backups/goclaw-<YYYYMMDDTHHMMSSZ>.db`."""
    return home / BACKUPS_DIR / f"goclaw-{backup_stamp(moment)}.db"


def fsync_directory(directory: Path) -> None:
    """Make a rename or link in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_database(db_path: Path, out: Path, progress: Progress | None = None) -> DatabaseReport:
    """Copy `db_path` into the new file `out` (mode 0600) and verify the copy; returns its report.

    Raises BackupError when there is no database, `out` exists (never overwritten), SQLite fails (busy
    errors are retried per SPEC §1.5) or the copy does not verify; no partial file is left behind.
    """
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    if out.exists():
        raise BackupError(f"{out} already exists; not overwriting it")
    if out.parent.name == BACKUPS_DIR:
        out.parent.mkdir(mode=BACKUPS_DIR_MODE, parents=True, exist_ok=True)
    elif not out.parent.is_dir():
        raise BackupError(f"directory {out.parent} does not exist")
    temp = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, BACKUP_FILE_MODE))
        retry_busy(lambda: _vacuum_into(db_path, temp, progress))
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        report = inspect_database(temp)
        if not report.ok:
            raise BackupError(f"the copy did not verify: {'; '.join(report.problems)}")
        try:
            os.link(temp, out)  # fails if `out` appeared meanwhile: never overwrites
        except FileExistsError:
            raise BackupError(f"{out} already exists; not overwriting it") from None
        fsync_directory(out.parent)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"backup of {db_path} failed: {exc}") from exc
    finally:
        temp.unlink(missing_ok=True)
    report.path = out
    return report


def _vacuum_into(db_path: Path, target: Path, progress: Progress | None) -> None:
    """One attempt: `VACUUM INTO` the (emptied) target, reporting bytes written against the source size."""
    os.truncate(target, 0)
    conn = open_existing(db_path, query_only=False)  # VACUUM INTO counts as a write
    try:
        if progress is not None:
            page_size, pages, free = (conn.execute(f"PRAGMA {name}").fetchone()[0]
                                      for name in ("page_size", "page_count", "freelist_count"))
            total = max((pages - free) * page_size, 1)

            def report() -> int:
                progress(min(os.path.getsize(target), total - 1), total)
                return 0  # go on

            conn.set_progress_handler(report, PROGRESS_EVERY_OPS)
        conn.execute("VACUUM INTO ?", (str(target),))
        if progress is not None:
            progress(total, total)
    finally:
        conn.close()
