"""QueueMaintenance: the lease reaper and approval expiry (every second, and once at start), priority aging,
and hourly retention."""

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import gevent
import pykka

from actors.store_client import StoreClient
from goclaw_actors.approval_flow import ApprovalPorts, expire_due_approvals
from goclaw_actors.store.read_pool import ReadPool
from goclaw_actors.store.sqlite_maintenance import AGING_BATCH
from goclaw_actors.store.retention import TABLES, RetentionRun, RetentionSettings
from goclaw_actors.timeutil import utc_now

log = logging.getLogger("goclaw.maintenance")

REAP_INTERVAL_SECONDS = 1.0  # lease reaper and approval expiry period (SPEC §3.8, §5.5: each second)
AGING_EVERY_TICKS = 5  # run aging every this many reaper ticks
RETENTION_INTERVAL_SECONDS = 3600.0  # retention runs hourly (SPEC §3.11)
RETENTION_FIRST_DELAY_SECONDS = 60.0  # the first pass, a minute after start (daemons restarted often still purge)


@dataclass(frozen=True)
class _Tick:
    """Timer: run the periodic maintenance."""


@dataclass(frozen=True)
class _RetentionStart:
    """Timer: begin a retention pass."""


@dataclass(frozen=True)
class _RetentionStep:
    """Delete the next batch of the retention pass in progress (one message per batch, so lease
    reaping and everything else queued meanwhile runs between batches)."""


class QueueMaintenance(pykka.ThreadingActor):
    """Requeues tasks whose lease expired, denies approvals past their expiry (audited and announced), ages
    waiting tasks and deletes rows past their retention; counts lease expiries, expired approvals and deleted
    rows for metrics.

    On start it denies the approvals that expired while the daemon was stopped, before the agents and
    the gateway start behind it. Retention runs only when given `reads` and `retention_settings` (a callable
    returning the settings in force, or None to skip).
    """

    def __init__(self, store: StoreClient, approvals: ApprovalPorts | None = None,
                 interval: float = REAP_INTERVAL_SECONDS, reads: ReadPool | None = None,
                 retention_settings: Callable[[], RetentionSettings | None] | None = None,
                 retention_interval: float = RETENTION_INTERVAL_SECONDS,
                 retention_first_delay: float = RETENTION_FIRST_DELAY_SECONDS,
                 is_scheduler: Callable[[], bool] = lambda: True):
        super().__init__()
        self.is_scheduler = is_scheduler  # aging and retention run on one daemon of a shared store
        self.store = store
        self.approvals = approvals
        self.interval = interval
        self.reads = reads
        self.retention_settings = retention_settings
        self.retention_interval = retention_interval
        self.retention_first_delay = retention_first_delay
        self.ticks = 0
        self.lease_expiries = 0
        self.aged = 0
        self.aging_behind = False  # the last aging call aged a full batch
        self.approvals_expired = 0
        self.retention: RetentionRun | None = None
        self.retention_started = 0.0
        self.retention_runs = 0
        self.retention_deleted = dict.fromkeys(TABLES, 0)
        self.timers: list[gevent.Greenlet] = []

    def on_start(self) -> None:
        try:
            expired = self.expire_approvals()
        except Exception as exc:  # the first tick tries again
            log.error("approval expiry at start failed", extra={"error": str(exc)})
        else:
            if expired:
                log.info("approvals that expired while stopped denied", extra={"count": expired})
        self.timers.append(gevent.spawn(self._every, self.interval, self.interval, _Tick()))
        if self.reads is not None and self.retention_settings is not None:
            self.timers.append(gevent.spawn(self._every, self.retention_first_delay, self.retention_interval,
                                            _RetentionStart()))

    def on_stop(self) -> None:
        for timer in self.timers:
            timer.kill(block=False)

    def on_receive(self, message: Any) -> None:
        try:
            if isinstance(message, _Tick):
                self.run_once()
            elif isinstance(message, _RetentionStart):
                self.start_retention()
            elif isinstance(message, _RetentionStep):
                self._retention_step()
        except Exception as exc:  # the next tick tries again
            log.error("queue maintenance failed", extra={"error": str(exc)})

    def run_once(self) -> dict[str, int]:
        """Reap expired leases and expire approvals now (and age when due); returns what was done."""
        self.ticks += 1
        reaped = self.store.maintenance.requeue_expired_leases()
        self.lease_expiries += reaped
        if reaped:
            log.info("lease expired; tasks requeued", extra={"count": reaped})
        expired = self.expire_approvals()
        aged = 0
        scheduler = self.is_scheduler()  # every tick: a dead holder's lock is taken over within a second
        if (self.ticks % AGING_EVERY_TICKS == 0 or self.aging_behind) and scheduler:
            aged = self.store.maintenance.age_queued()
            self.aged += aged
            self.aging_behind = aged >= AGING_BATCH  # a full batch: more are due, age again next tick
        return {"reaped": reaped, "approvals_expired": expired, "aged": aged}

    def expire_approvals(self) -> int:
        """Deny the pending approvals past their expiry (audited, announced); returns how many."""
        if self.approvals is None:
            return 0
        expired = len(expire_due_approvals(self.approvals))
        self.approvals_expired += expired
        return expired

    def start_retention(self, now: datetime | None = None) -> bool:
        """Begin a retention pass judged at `now` (default: now); False when one is running or it is off."""
        if self.retention is not None or self.reads is None or self.retention_settings is None:
            return False
        if not self.is_scheduler():
            return False
        settings = self.retention_settings()
        if settings is None:
            return False
        self.retention = RetentionRun(settings, now or utc_now(), self.reads.run,
                                      self.store.maintenance.delete_expired)
        self.retention_started = time.monotonic()
        self.actor_ref.tell(_RetentionStep())
        return True

    def _retention_step(self) -> None:
        run = self.retention
        if run is None:
            return
        try:
            more = run.step()
        except Exception as exc:  # the next hourly pass tries again
            log.error("retention failed", extra={"error": str(exc), "deleted": dict(run.deleted)})
            more = False
        if more:
            self.actor_ref.tell(_RetentionStep())
            return
        self.retention = None
        self.retention_runs += 1
        for table, count in run.deleted.items():
            self.retention_deleted[table] += count
        log.info("retention run", extra={"deleted": dict(run.deleted),
                                         "seconds": round(time.monotonic() - self.retention_started, 3)})

    def stats(self) -> dict[str, Any]:
        """Counters since start: lease_expiries, aged, approvals_expired, retention_runs, retention_deleted_rows
        by table."""
        running = self.retention.deleted if self.retention is not None else {}
        return {"lease_expiries": self.lease_expiries, "aged": self.aged, "approvals_expired": self.approvals_expired,
                "retention_runs": self.retention_runs,
                "retention_deleted_rows": {table: count + running.get(table, 0)
                                           for table, count in self.retention_deleted.items()}}

    def _every(self, first: float, period: float, message: Any) -> None:
        gevent.sleep(first)
        while True:
            try:
                self.actor_ref.tell(message)
            except pykka.ActorDeadError:
                return
            gevent.sleep(period)
