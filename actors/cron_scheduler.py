"""CronScheduler: fires the due cron schedules at start, at every minute boundary and when woken (SPEC §10).

Each due slot is one store write (`fire_schedule`): the `schedule` task is enqueued and `next_run_at`
advanced past now in the same transaction, so a slot fires exactly once even if the daemon dies
mid-way, and slots missed while the daemon was down fire once, not once each.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Any, Callable

import gevent
import pykka

from actors.store_client import StoreClient
from goclaw_actors.cron_schedule import InvalidCronExpr, local_zone, next_fire_time
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.store.read_pool import ReadPool
from goclaw_actors.store.schedule_reads import due_schedules, enabled_schedules_summary
from goclaw_actors.store.sqlite_schedules import FIRED, SCHEDULED, SKIPPED
from goclaw_actors.timeutil import rfc3339, to_db, utc_now

log = get_logger("cron")

BOUNDARY_MARGIN_SECONDS = 0.05  # tick this long after each minute boundary, so that slot is already due


@dataclass(frozen=True)
class CronSettings:
    """How the scheduler keeps time: `clock` gives the current instant (tests move it by hand), `zone` is
    local time (None: from TZ or the system), `timer` False leaves out the minute-boundary loop (then only
    start, `wake` and `tick` fire), `hold_seconds` is passed to each `fire_schedule` (crash tests keep its
    transaction open that long)."""

    clock: Callable[[], datetime] = utc_now
    zone: tzinfo | None = None
    timer: bool = True
    hold_seconds: float = 0.0


@dataclass(frozen=True)
class _Tick:
    """Timer or wake-up: fire what is due now."""


def seconds_to_next_minute(now: float) -> float:
    """Seconds from the epoch time `now` to the next whole minute (a full minute when exactly on one)."""
    return 60.0 - now % 60.0


class CronScheduler(pykka.ThreadingActor):
    """Fires due schedules; holds no state that matters across a restart (the schedule rows are the state).

    Usage::

        scheduler = CronScheduler.start(store, reads, CronSettings()).proxy()
        scheduler.tick(now).get()   # [{schedule_id, status, ...}] for what was due at `now`
    """

    def __init__(self, store: StoreClient, reads: ReadPool, settings: CronSettings = CronSettings(),
                 is_scheduler: Callable[[], bool] = lambda: True):
        super().__init__()
        self.is_scheduler = is_scheduler  # one daemon of a shared store fires schedules
        self.store = store
        self.reads = reads
        self.settings = settings
        self.zone = settings.zone
        self.loop: gevent.Greenlet | None = None
        self.fired = 0
        self.skipped = 0

    def on_start(self) -> None:
        if self.zone is None:
            self.zone = _local_zone_or_utc()
        self.actor_ref.tell(_Tick())  # fire what came due while the daemon was down
        if self.settings.timer:
            self.loop = gevent.spawn(self._minute_loop)

    def on_stop(self) -> None:
        self._stop_loop()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        self._stop_loop()

    def on_receive(self, message: Any) -> None:
        if isinstance(message, _Tick):
            self._safe_tick()
        else:
            log.warn("cron scheduler ignored unknown message", message=repr(message))

    def wake(self) -> None:
        """Fire what is due now (a schedule was added or enabled); errors are logged."""
        self._safe_tick()

    def tick(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Fire every enabled schedule due at `now` (default the clock); returns one outcome per schedule:
        `{schedule_id, status, next_run_at, ...}` with the store's `task_id` or skip `reason`.

        Raises the read's error; a failed write is logged and retried at the next tick (the slot stays due).
        """
        if not self.is_scheduler():
            return []
        now = now or self.settings.clock()
        return [self._fire(row, now) for row in self.reads.run(due_schedules, to_db(now))]

    def status(self) -> dict[str, Any]:
        """`{zone, schedules, next_run_at, fired, skipped}`: enabled schedules, the earliest fire time, and
        the slots fired and skipped since start."""
        summary = self.reads.run(enabled_schedules_summary)
        return {"zone": str(self.zone), "schedules": summary["enabled"],
                "next_run_at": rfc3339(summary["next_run_at"]), "fired": self.fired, "skipped": self.skipped}

    def _fire(self, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        schedule_id = row["id"]
        try:
            next_run_at = to_db(next_fire_time(row["cron_expr"], now, self.zone))
        except InvalidCronExpr as exc:
            next_run_at = None
            log.error("schedule disabled: its cron_expr never fires", schedule_id=schedule_id,
                      cron_expr=row["cron_expr"], error=str(exc))
        if row["next_run_at"] is not None:
            log.info("schedule due", schedule_id=schedule_id, name=row["name"], slot=rfc3339(row["next_run_at"]))
        try:
            outcome = self.store.schedules.fire_schedule(
                schedule_id=schedule_id, due_at=row["next_run_at"], next_run_at=next_run_at, now=to_db(now),
                hold_seconds=self.settings.hold_seconds)
        except Exception as exc:  # the slot stays due: the next tick fires it
            log.error("schedule firing failed; retrying at the next tick", schedule_id=schedule_id, error=str(exc))
            return {"schedule_id": schedule_id, "status": "error", "error": str(exc)}
        self._record(schedule_id, row, outcome, next_run_at)
        return {"schedule_id": schedule_id, "next_run_at": next_run_at, **outcome}

    def _record(self, schedule_id: str, row: dict[str, Any], outcome: dict[str, Any], next_run_at: str | None) -> None:
        status = outcome["status"]
        if status == FIRED:
            self.fired += 1
            log.info("schedule fired", schedule_id=schedule_id, task_id=outcome["task_id"], agent_id=row["agent_id"],
                     next_run_at=rfc3339(next_run_at))
        elif status == SKIPPED:
            self.skipped += 1
            log.warn("schedule slot skipped", schedule_id=schedule_id, reason=outcome["reason"],
                     error=outcome["error"], agent_id=row["agent_id"], next_run_at=rfc3339(next_run_at))
        elif status == SCHEDULED:
            log.info("schedule next run set", schedule_id=schedule_id, next_run_at=rfc3339(next_run_at))

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception as exc:  # an exception here would stop the actor; the next tick tries again
            log.error("cron tick failed", error=f"{type(exc).__name__}: {exc}")

    def _minute_loop(self) -> None:
        while True:
            now = time.time()
            target = now + seconds_to_next_minute(now) + BOUNDARY_MARGIN_SECONDS
            while time.time() < target:  # a timer may wake a little early: never tick before the boundary
                gevent.sleep(target - time.time())
            try:
                self.actor_ref.tell(_Tick())
            except pykka.ActorDeadError:
                return

    def _stop_loop(self) -> None:
        if self.loop is not None:
            self.loop.kill(block=False)
            self.loop = None


def _local_zone_or_utc() -> tzinfo:
    try:
        return local_zone()
    except Exception as exc:  # an unknown TZ: cron keeps running in UTC rather than not at all
        log.warn("local time zone unknown; cron runs in UTC", error=str(exc))
        return timezone.utc
