"""Opening goclaw.db: pragmas, migration ledger checks and pending migrations (SPEC §1.5, §3.1)."""

import sqlite3
import uuid
from pathlib import Path
from typing import Callable

import peewee

from goclaw_actors.errors import StartupError
from goclaw_actors.file_modes import ensure_private_file
from goclaw_actors.store.migrations import LATEST_VERSION, MIGRATIONS, Migration, checksum_for
from goclaw_actors.timeutil import db_now

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 5000,
}
READ_PRAGMAS = {"foreign_keys": 1, "busy_timeout": 5000, "query_only": 1}


def make_database(path: Path | str, read_only: bool = False) -> peewee.SqliteDatabase:
    """A peewee database for `path` whose connection may be used from the hub threadpool.

    The connection is shared, not thread-local: the store actor serialises its use.
    """
    return peewee.SqliteDatabase(
        str(path),
        pragmas=READ_PRAGMAS if read_only else PRAGMAS,
        check_same_thread=False,
        thread_safe=False,
        timeout=5,
        autoconnect=True,
    )


def open_database(path: Path | str) -> peewee.SqliteDatabase:
    """Open (creating it 0600 if needed, so that SQLite gives its -wal and -shm files the same mode) and
    migrate the database; any failure is `E_STORE_OPEN`."""
    db = make_database(path)
    try:
        ensure_private_file(Path(path))
        db.connect(reuse_if_open=True)
        migrate(db.connection())
    except StartupError:
        db.close()
        raise
    except (sqlite3.Error, peewee.PeeweeException, OSError) as exc:
        db.close()
        raise StartupError("E_STORE_OPEN", f"open database {path}: {exc}") from exc
    return db


def applied_versions(conn: sqlite3.Connection) -> dict[int, str]:
    """Versions recorded in the `schema_migrations` ledger, with their checksums."""
    return dict(conn.execute("SELECT version, checksum FROM schema_migrations ORDER BY version").fetchall())


def ledger_problems(recorded: dict[int, str]) -> list[str]:
    """Why this build cannot open a database with this ledger: a version newer than it supports, or a
    checksum that differs from the project's; [] when it can."""
    problems = []
    newest = max(recorded, default=0)
    if newest > LATEST_VERSION:
        problems.append(f"schema version {newest} is newer than supported {LATEST_VERSION}")
    for version, checksum in recorded.items():
        expected = checksum_for(version)
        if expected is not None and expected != checksum:
            problems.append(f"schema migration {version} checksum mismatch: recorded {checksum!r}, "
                            f"expected {expected!r}")
    return problems


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every pending migration in one transaction; return the versions applied.

    Refuses (E_STORE_OPEN) a ledger newer than this build or a checksum that differs.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    conn.execute("BEGIN IMMEDIATE")
    try:
        pending = apply_pending(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return [m.version for m in pending]


def apply_pending(conn, dialect: Callable[[str], str] = lambda sql: sql,
                  data_step: Callable[[Migration], Callable | None] = lambda migration: migration.apply) -> list:
    """Inside the migrating transaction: refuse (E_STORE_OPEN) a ledger newer than this build or with another
    checksum, then run and record every pending migration (statements through `dialect`, then the data
    step `data_step` gives); returns the migrations applied."""
    recorded = applied_versions(conn)
    problems = ledger_problems(recorded)
    if problems:
        raise StartupError("E_STORE_OPEN", problems[0])
    pending = [m for m in MIGRATIONS if m.version not in recorded]
    for migration in pending:
        for statement in migration.statements:
            conn.execute(dialect(statement))
        step = data_step(migration)
        if step is not None:
            step(conn)
        record_migration(conn, migration)
    record_migrations_run(conn, pending)
    return pending


def record_migration(conn, migration) -> None:
    """Add `migration` to the `schema_migrations` ledger (inside the migrating transaction)."""
    conn.execute("INSERT INTO schema_migrations (version, checksum, applied_at) VALUES (?, ?, ?)",
                 (migration.version, migration.checksum, db_now()))


def record_migrations_run(conn, pending: list) -> None:
    """Audit that the migrations `pending` were applied (nothing when none were)."""
    if pending:
        conn.execute(
            "INSERT INTO audit_log (audit_id, trace_id, subject, action, decision, reason, created_at) "
            "VALUES (?, '', 'store', 'data.migration', 'run', ?, ?)",
            (str(uuid.uuid4()), f"applied schema versions {pending[0].version}..{pending[-1].version}", db_now()))


def check_health(conn: sqlite3.Connection) -> bool:
    """True when the database answers a trivial query."""
    try:
        return conn.execute("SELECT 1").fetchone() == (1,)
    except sqlite3.Error:
        return False
