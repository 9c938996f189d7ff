"""Inspecting a goclaw database file without changing it: integrity and the migration ledger (SPEC §3.1)."""

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from goclaw_actors.store.database import applied_versions, ledger_problems
from goclaw_actors.store.migrations import LATEST_VERSION

INTEGRITY_LINES = 5  # problems of integrity_check reported at most


@dataclass
class DatabaseReport:
    """What `inspect_database` found: `problems` is empty when the file is a sound goclaw database that
    this build can open (it may still be behind: `version < LATEST_VERSION` is migrated at start)."""

    path: Path
    integrity: list[str] = field(default_factory=list)
    version: int = 0
    checksum: str = ""
    tasks: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    @property
    def behind(self) -> bool:
        """Sound, but at an older schema version than this build's (migrated at the next start)."""
        return self.ok and self.version < LATEST_VERSION


def open_existing(path: Path, query_only: bool = True, timeout: float = 5.0) -> sqlite3.Connection:
    """A connection to an existing database file (never creates one), with `query_only` unless told otherwise.

    It is opened read-write where the file allows it: SQLite then removes the -wal/-shm files it made
    when the last connection closes, where a read-only connection would leave them behind.
    """
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, timeout=timeout, isolation_level=None)
    if query_only:
        conn.execute("PRAGMA query_only = 1")
    return conn


def inspect_database(path: Path) -> DatabaseReport:
    """Run `PRAGMA integrity_check` and read the migration ledger of `path`, changing nothing."""
    report = DatabaseReport(path)
    if not path.is_file():
        report.problems.append(f"{path} does not exist")
        return report
    try:
        conn = open_existing(path)
    except sqlite3.Error as exc:
        report.problems.append(f"cannot open {path}: {exc}")
        return report
    try:
        report.integrity = [row[0] for row in conn.execute(f"PRAGMA integrity_check({INTEGRITY_LINES})")]
        if report.integrity != ["ok"]:
            report.problems.append("integrity check failed: " + "; ".join(report.integrity))
            return report
        _check_ledger(conn, report)
    except sqlite3.Error as exc:
        report.problems.append(f"cannot read {path}: {exc}")
    finally:
        conn.close()
    return report


def _check_ledger(conn: sqlite3.Connection, report: DatabaseReport) -> None:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_migrations" not in tables or "tasks" not in tables:
        report.problems.append("not a goclaw database (no schema_migrations or tasks table)")
        return
    recorded = applied_versions(conn)
    report.version = max(recorded, default=0)
    report.checksum = recorded.get(report.version, "")
    report.tasks = conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
    report.problems.extend(ledger_problems(recorded))
