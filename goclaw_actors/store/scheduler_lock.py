"""Exactly one scheduler across the daemons sharing a PostgreSQL store: the daemon holding a session-level
advisory lock runs cron, retention and aging. The lock lives with its connection, so when the holder dies
(even kill -9) the server drops it and another daemon takes it at its next check (every maintenance tick).
On SQLite there is one daemon per file: it is always the scheduler."""

import logging
import threading
from typing import Any

from goclaw_actors.store.store_target import is_postgres

SCHEDULER_LOCK = 0x60C1A1  # advisory lock key; MIGRATION_LOCK is 0x60C1A0

log = logging.getLogger("goclaw.scheduler")


class SchedulerLock:
    """`held()`: whether this daemon is the scheduler now (taking the lock when it is free)."""

    def __init__(self, target: Any):
        self._target = target if is_postgres(target) else None
        self._conn: Any = None  # a PgConnection once connected
        self._held = False
        self._guard = threading.Lock()  # a gevent lock once patched: one check at a time on the connection

    def held(self) -> bool:
        """True when this daemon holds the scheduler lock (always on SQLite); never raises."""
        if self._target is None:
            return True
        with self._guard:
            try:
                if self._conn is None:
                    from goclaw_actors.store.pg_connection import PgConnection

                    self._conn = PgConnection(self._target.dsn, f"goclaw-scheduler:{self._target.instance_id}",
                                              self._target.connect_timeout)
                if self._held:
                    self._conn.execute("SELECT 1")  # still connected, so still ours
                    return True
                (self._held,) = self._conn.execute("SELECT pg_try_advisory_lock(?)", (SCHEDULER_LOCK,)).fetchone()
                if self._held:
                    log.info("this daemon is now the scheduler", extra={"instance": self._target.instance_id})
                return self._held
            except Exception as exc:  # noqa: BLE001 - a lost connection lost the lock with it
                log.warning("scheduler lock connection lost", extra={"error": str(exc).split("\n")[0]})
                self._drop()
                return False

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
            self._conn = None

    def release(self) -> None:
        """Give the lock up (daemon stop): another daemon takes it at its next check."""
        if self._target is not None:
            with self._guard:
                self._drop()
