"""CronScheduler on a real store and real lanes, with a clock the test moves by hand."""

import json
from datetime import datetime, timedelta, timezone

import pykka
import pytest

from actors.cron_scheduler import CronScheduler, CronSettings, seconds_to_next_minute
from goclaw_actors.cron_schedule import next_fire_time
from goclaw_actors.store.schedule_reads import get_schedule
from goclaw_actors.timeutil import parse_db, to_db
from tests.actors.lane_fixtures import lanes_factory  # noqa: F401 (fixture)
from tests.helpers import wait_until
from tests.local_time import berlin_tz  # noqa: F401 (fixture)

UTC = timezone.utc
T0 = datetime(2030, 1, 1, 10, 0, 30, tzinfo=UTC)


class Clock:
    """The scheduler's `now`, set by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Cron:
    """Lanes plus a CronScheduler (no minute timer: the test ticks) that can be restarted."""

    def __init__(self, lanes, zone=UTC):
        self.lanes = lanes
        self.clock = Clock(T0)
        self.zone = zone
        self.proxy = None

    def start(self) -> "Cron":
        ref = CronScheduler.start(self.lanes.store, self.lanes.reads,
                                  CronSettings(clock=self.clock, zone=self.zone, timer=False))
        self.proxy = ref.proxy()
        self.proxy.status().get(timeout=10)  # its start-up tick is done
        return self

    def stop(self) -> None:
        if self.proxy is not None and self.proxy.actor_ref.is_alive():
            self.proxy.actor_ref.stop(block=True, timeout=10)

    def add(self, cron_expr: str, content: str = "report", agent_id: str = "default") -> str:
        """A schedule as cron.add stores it: first fire time after the clock's now."""
        return self.lanes.store.schedules.add_schedule(
            name=cron_expr, cron_expr=cron_expr, payload=content, agent_id=agent_id,
            next_run_at=to_db(next_fire_time(cron_expr, self.clock.now, self.zone)))

    def tick(self, now: datetime) -> list[dict]:
        self.clock.now = now
        return self.proxy.tick().get(timeout=10)

    def schedule(self, schedule_id: str) -> dict:
        return self.lanes.reads.run(get_schedule, schedule_id)

    def tasks(self) -> list[tuple[str, str, str]]:
        """(id, session_id, payload) of the schedule tasks, oldest first."""
        def query(conn):
            return conn.execute("SELECT id, session_id, payload FROM tasks WHERE type = 'schedule' "
                                "ORDER BY created_at, id").fetchall()
        return self.lanes.reads.run(query)


@pytest.fixture
def cron(lanes_factory):  # noqa: F811
    made = Cron(lanes_factory(worker_count=1))
    yield made
    made.stop()


def fired(outcomes):
    return [outcome for outcome in outcomes if outcome["status"] == "fired"]


def test_a_due_slot_fires_once_and_its_task_runs(cron):
    cron.start()
    schedule_id = cron.add("*/5 * * * *")
    assert cron.schedule(schedule_id)["next_run_at"] == "2030-01-01 10:05:00.000000"
    assert cron.tick(T0.replace(minute=4, second=59)) == []
    [outcome] = cron.tick(T0.replace(minute=5, second=0, microsecond=50000))
    assert outcome["status"] == "fired" and outcome["next_run_at"] == "2030-01-01 10:10:00.000000"
    wait_until(lambda: cron.lanes.status(outcome["task_id"]) == "SUCCEEDED", what="schedule task done")
    assert json.loads(cron.lanes.task(outcome["task_id"]).result) == {"reply": "echo report"}
    row = cron.schedule(schedule_id)
    assert (row["last_run_at"], row["next_run_at"]) == ("2030-01-01 10:05:00.050000", "2030-01-01 10:10:00.000000")
    assert cron.tick(T0.replace(minute=5, second=30)) == []  # same slot, later in the minute: already fired
    assert len(fired(cron.tick(T0.replace(minute=10)))) == 1
    assert len(cron.tasks()) == 2 and len({session for _, session, _ in cron.tasks()}) == 1  # one session
    assert cron.proxy.status().get()["fired"] == 2


def test_slots_missed_while_down_fire_once_at_restart(cron):
    cron.start()
    schedule_id = cron.add("* * * * *")  # next 10:01
    cron.stop()
    cron.clock.now = T0 + timedelta(minutes=7)  # 10:07:30: seven slots passed while the scheduler was down
    cron.start()  # its start-up tick fires what is due
    assert len(cron.tasks()) == 1
    assert cron.schedule(schedule_id)["next_run_at"] == "2030-01-01 10:08:00.000000"
    cron.stop()
    cron.start()  # a restart with nothing due fires nothing more
    assert len(cron.tasks()) == 1


def test_disabled_schedules_do_not_fire_and_enabling_starts_from_now(cron):
    cron.start()
    schedule_id = cron.add("*/5 * * * *")
    cron.lanes.store.schedules.set_schedule_enabled(schedule_id=schedule_id, enabled=False)
    assert cron.tick(T0 + timedelta(minutes=20)) == []
    cron.lanes.store.schedules.set_schedule_enabled(
        schedule_id=schedule_id, enabled=True, next_run_at=to_db(next_fire_time("*/5 * * * *", cron.clock.now, UTC)))
    assert cron.tick(cron.clock.now) == []  # the slots passed while disabled are not made up
    assert cron.schedule(schedule_id)["next_run_at"] == "2030-01-01 10:25:00.000000"
    assert len(fired(cron.tick(T0.replace(minute=25)))) == 1


def test_wake_fires_a_slot_due_now(cron):
    cron.start()
    schedule_id = cron.add("* * * * *")
    cron.clock.now = T0 + timedelta(minutes=1)
    cron.proxy.wake().get(timeout=10)
    assert len(cron.tasks()) == 1 and cron.schedule(schedule_id)["last_run_at"] == to_db(cron.clock.now)


def test_a_slot_whose_agent_is_gone_is_skipped_and_the_scheduler_goes_on(cron):
    cron.start()
    gone = cron.add("* * * * *", agent_id="ghost")
    fine = cron.add("* * * * *")
    outcomes = {outcome["schedule_id"]: outcome for outcome in cron.tick(T0 + timedelta(minutes=1))}
    assert outcomes[gone]["status"] == "skipped" and outcomes[gone]["reason"] == "agent_not_found"
    assert outcomes[fine]["status"] == "fired" and len(cron.tasks()) == 1
    assert cron.schedule(gone)["next_run_at"] == "2030-01-01 10:02:00.000000"  # the slot is gone, not retried
    assert cron.proxy.status().get()["skipped"] == 1


def run_night(cron, start: datetime, hours: int) -> dict[str, list[str]]:
    """Tick at every minute boundary for `hours`; returns the fire times (UTC `HH:MM`) per schedule name."""
    out: dict[str, list[str]] = {}
    for minute in range(1, hours * 60 + 1):
        now = start + timedelta(minutes=minute, seconds=0.05)
        for outcome in fired(cron.tick(now)):
            out.setdefault(outcome["schedule_id"], []).append(now.strftime("%H:%M"))
    return out


@pytest.mark.usefixtures("berlin_tz")
def test_local_time_across_daylight_saving_changes(lanes_factory):  # noqa: F811
    cron = Cron(lanes_factory(worker_count=1), zone=None)  # the scheduler's zone: local time, from TZ
    try:
        cron.clock.now = datetime(2030, 10, 26, 22, 0, tzinfo=UTC)
        cron.start()
        assert cron.proxy.status().get()["zone"] == "Europe/Berlin"
        daily, hourly = cron.add("30 2 * * *"), cron.add("0 * * * *")
        night = run_night(cron, cron.clock.now, 5)  # clocks go back at 01:00Z: 03:00 CEST -> 02:00 CET
        assert night[daily] == ["00:30"]  # 02:30 CEST, not again at 02:30 CET
        assert night[hourly] == ["23:00", "00:00", "01:00", "02:00", "03:00"]  # 02:00 CEST and 02:00 CET both
        cron.stop()
        cron.clock.now = datetime(2030, 3, 30, 22, 0, tzinfo=UTC)
        cron.lanes.store.schedules.remove_schedule(schedule_id=hourly)
        cron.lanes.store.schedules.set_schedule_enabled(
            schedule_id=daily, enabled=True, next_run_at=to_db(next_fire_time("30 2 * * *", cron.clock.now, cron.zone)))
        cron.start()
        night = run_night(cron, cron.clock.now, 5)  # clocks go forward at 01:00Z: 02:00 CET -> 03:00 CEST
        assert night[daily] == ["01:00"]  # 02:30 never happens that night: fired when the clocks jumped
        assert parse_db(cron.schedule(daily)["next_run_at"]) == datetime(2030, 4, 1, 0, 30, tzinfo=UTC)
    finally:
        cron.stop()


def test_minute_boundaries():
    assert seconds_to_next_minute(120.0) == 60.0
    assert seconds_to_next_minute(179.25) == pytest.approx(0.75)


def test_the_minute_timer_ticks_on_the_boundary(lanes_factory):  # noqa: F811
    """With the real clock: a schedule due in the past fires at start, the timer runs between boundaries."""
    lanes = lanes_factory(worker_count=1)
    lanes.store.schedules.add_schedule(name="late", cron_expr="* * * * *", payload="catch up",
                                       next_run_at="2020-01-01 00:00:00.000000")
    ref = CronScheduler.start(lanes.store, lanes.reads)
    try:
        wait_until(lambda: ref.proxy().status().get()["fired"] == 1, what="start-up firing")
        assert ref.proxy().loop.get() is not None
    finally:
        ref.stop(block=True, timeout=10)
    assert not pykka.ActorRegistry.get_by_class(CronScheduler)
