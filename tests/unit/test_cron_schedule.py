"""Cron fire times (local time, across daylight-saving changes) and what a firing enqueues."""

import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from goclaw_actors.cron_schedule import InvalidCronExpr, is_fixed_time, local_zone, next_fire_time
from goclaw_actors.schedule_firing import schedule_content, schedule_session_id, scheduled_task
from tests.local_time import berlin_tz  # noqa: F401 (fixture)

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")  # 2030: clocks forward 31 Mar 01:00Z (02:00 → 03:00), back 27 Oct 01:00Z


def fires(expr: str, start: datetime, until: datetime, zone=BERLIN) -> list[str]:
    """Every fire time in (start, until], as `DD HH:MM` UTC."""
    out, moment = [], start
    while True:
        moment = next_fire_time(expr, moment, zone)
        if moment > until:
            return out
        out.append(moment.strftime("%d %H:%M"))


def test_next_fire_time_is_strictly_after_and_in_the_zone():
    start = datetime(2030, 1, 1, 10, 7, 30, tzinfo=UTC)
    assert next_fire_time("* * * * *", start, UTC) == datetime(2030, 1, 1, 10, 8, tzinfo=UTC)
    assert next_fire_time("*/15 * * * *", datetime(2030, 1, 1, 10, 15, tzinfo=UTC), UTC) == datetime(
        2030, 1, 1, 10, 30, tzinfo=UTC)
    fire = next_fire_time("0 9 * * 1", start, BERLIN)  # Mondays 09:00 Berlin (CET, +01:00)
    assert fire == datetime(2030, 1, 7, 8, 0, tzinfo=UTC) and fire.tzinfo is UTC
    assert next_fire_time("0 9 * * *", datetime(2030, 1, 1, 10, 7), UTC).day == 2  # naive means UTC


def test_local_time_follows_tz(berlin_tz):
    assert str(local_zone()) == "Europe/Berlin"
    summer = next_fire_time("0 3 * * *", datetime(2030, 7, 1, 12, tzinfo=UTC))
    winter = next_fire_time("0 3 * * *", datetime(2030, 12, 1, 12, tzinfo=UTC))
    assert (summer.hour, winter.hour) == (1, 2)


def test_skipped_fixed_time_fires_once_when_the_clocks_jump():
    night = datetime(2030, 3, 30, 12, tzinfo=UTC), datetime(2030, 4, 1, 12, tzinfo=UTC)
    assert fires("30 2 * * *", *night) == ["31 01:00", "01 00:30"]  # 03:00 CEST on the day, then 02:30 CEST
    assert fires("0,30 2 * * *", *night) == ["31 01:00", "01 00:00", "01 00:30"]  # both skipped slots: once
    assert fires("30 2 * * *", *night, zone=UTC) == ["31 02:30", "01 02:30"]


def test_repeated_fixed_time_fires_at_its_first_occurrence_only():
    night = datetime(2030, 10, 26, 12, tzinfo=UTC), datetime(2030, 10, 28, 12, tzinfo=UTC)
    assert fires("30 2 * * *", *night) == ["27 00:30", "28 01:30"]  # 02:30 CEST, not again at 02:30 CET


def test_wildcard_expressions_follow_the_real_clock_across_both_changes():
    spring = datetime(2030, 3, 30, 23, 50, tzinfo=UTC), datetime(2030, 3, 31, 1, 30, tzinfo=UTC)
    assert fires("*/30 * * * *", *spring) == ["31 00:00", "31 00:30", "31 01:00", "31 01:30"]  # 02:xx never was
    autumn = datetime(2030, 10, 26, 23, 50, tzinfo=UTC), datetime(2030, 10, 27, 2, 0, tzinfo=UTC)
    assert fires("*/30 * * * *", *autumn) == ["27 00:00", "27 00:30", "27 01:00", "27 01:30", "27 02:00"]
    assert fires("0 * * * *", *autumn) == ["27 00:00", "27 01:00", "27 02:00"]  # 02:00 CEST and 02:00 CET
    # asked in the middle of the first pass, the next slot is the repeat of 02:00, not 03:00
    assert next_fire_time("*/30 * * * *", datetime(2030, 10, 27, 0, 45, tzinfo=UTC), BERLIN) == datetime(
        2030, 10, 27, 1, 0, tzinfo=UTC)
    every_minute = fires("* * * * *", *autumn)
    assert len(every_minute) == len(set(every_minute)) == 130  # every real minute of the night, once


def test_fixed_or_wildcard_decides_the_dst_rule():
    assert is_fixed_time("30 2 * * *") and is_fixed_time("0,30 1-3 * * 1-5")
    assert not is_fixed_time("*/5 2 * * *") and not is_fixed_time("0 * * * *")


def test_expressions_that_never_fire_are_invalid():
    for expr in ("0 0 30 2 *", "0 0 31 4 *"):
        with pytest.raises(InvalidCronExpr, match="no date matches it"):
            next_fire_time(expr, datetime(2030, 1, 1, tzinfo=UTC), UTC)
    with pytest.raises(InvalidCronExpr, match="expected 5 fields"):
        next_fire_time("@hourly")


def test_content_from_a_json_object_payload_else_the_text():
    assert schedule_content('{"content":"daily report","extra":1}') == "daily report"
    assert schedule_content("check the build") == "check the build"
    assert schedule_content('["a", "b"]') == '["a", "b"]'
    assert schedule_content('"quoted"') == '"quoted"'
    for empty in ("", "   ", None, '{"prompt":"x"}', '{"content":""}', '{"content":3}'):
        assert schedule_content(empty) is None


def test_a_schedule_without_session_has_its_own_stable_one():
    schedule_id = str(uuid.uuid4())
    own = str(uuid.uuid5(uuid.NAMESPACE_URL, f"goclaw:schedule:{schedule_id}"))
    assert schedule_session_id(schedule_id, None) == own
    assert schedule_session_id(schedule_id, "11111111-1111-1111-1111-111111111111") == (
        "11111111-1111-1111-1111-111111111111")
    row = {"id": schedule_id, "name": "nightly", "payload": '{"content":"go"}', "session_id": None, "agent_id": None}
    task = scheduled_task(row, "2030-01-01 03:00:00.000000")
    assert task.agent_id == "default" and task.session_id == own
    assert task.payload == {"content": "go", "source": "schedule",
                            "schedule": {"id": schedule_id, "name": "nightly", "slot": "2030-01-01T03:00:00.000000Z"}}
    assert task.idempotency_key == f"schedule:{schedule_id}:2030-01-01 03:00:00.000000"
    assert scheduled_task({**row, "payload": ""}, "2030-01-01 03:00:00.000000") is None
