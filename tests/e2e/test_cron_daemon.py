"""Cron through the real daemon: kill -9 while a slot fires, missed slots after downtime, restart, local time
from TZ, and (slow) a real every-minute schedule firing on the wall clock."""

import json
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from goclaw_actors.cron_schedule import next_fire_time
from goclaw_actors.timeutil import parse_db, to_db
from tests.gateway.acp_client import AcpClient
from tests.helpers import wait_until

TOKEN = "test-token"
BERLIN = {"GOCLAW_AUTH_TOKEN": TOKEN, "TZ": "Europe/Berlin"}
HOLD = {**BERLIN, "GOCLAW_DEBUG_CRON_COMMIT_DELAY_MS": "30000"}  # each firing keeps its transaction open 30 s


def schedule_row(db_path, schedule_id):
    with sqlite3.connect(db_path, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT * FROM schedules WHERE id = ?", (schedule_id,)).fetchone())


def schedule_tasks(db_path):
    with sqlite3.connect(db_path, timeout=5) as conn:
        return conn.execute("SELECT id, status, payload FROM tasks WHERE type = 'schedule'").fetchall()


def write_locked(db_path) -> bool:
    """True while another connection holds the database's write lock (an open write transaction)."""
    conn = sqlite3.connect(db_path, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc) or "busy" in str(exc), exc
        return True
    finally:
        conn.close()


def phase(daemon, name):
    """The start-up phase line `name` (logged after /healthz answers for the last phases)."""
    lines = wait_until(lambda: [line for line in daemon.json_lines() if line.get("phase") == name], timeout=10,
                       what=f"phase {name}")
    assert len(lines) == 1, lines
    return lines[0]


def test_kill9_while_a_slot_fires_then_restarts_fire_it_exactly_once(home, daemons):
    first = daemons(home, env=BERLIN).start().wait_healthy()
    assert phase(first, "scheduler_started")["zone"] == "Europe/Berlin"
    acp = AcpClient(first.port, token=TOKEN).hello()
    added_at = datetime.now(timezone.utc)
    schedule_id = acp.call("cron.add", {"name": "daily", "cron_expr": "0 3 * * *",
                                        "payload": {"content": "morning report"}})["schedule_id"]
    acp.close()
    # 03:00 is Berlin local time (TZ), stored in UTC
    assert parse_db(schedule_row(first.db_path, schedule_id)["next_run_at"]) == next_fire_time(
        "0 3 * * *", added_at, ZoneInfo("Europe/Berlin"))
    assert first.terminate() == 0

    # The daemon stays down across three daily slots.
    missed = to_db(next_fire_time("0 3 * * *", datetime.now(timezone.utc) - timedelta(days=3),
                                  ZoneInfo("Europe/Berlin")))
    with sqlite3.connect(first.db_path) as conn:
        conn.execute("UPDATE schedules SET next_run_at = ? WHERE id = ?", (missed, schedule_id))

    # It comes back and dies while the start-up tick fires the slot: the task is inserted, not committed.
    second = daemons(home, env=HOLD).start()
    wait_until(lambda: any(line.get("msg") == "schedule due" for line in second.json_lines()), timeout=20,
               what="the scheduler firing the missed slot")
    wait_until(lambda: write_locked(second.db_path), timeout=5, what="the firing transaction open")
    held_until = time.monotonic() + 0.3
    while time.monotonic() < held_until:  # it stays open: the 30 s firing transaction, not a passing write
        assert write_locked(second.db_path)
    second.kill9()
    assert schedule_tasks(second.db_path) == []
    row = schedule_row(second.db_path, schedule_id)
    assert (row["next_run_at"], row["last_run_at"]) == (missed, None)

    # Next start fires the missed slots once; its task runs.
    third = daemons(home, env=BERLIN).start().wait_healthy()
    assert phase(third, "scheduler_started")["fired"] == 1
    wait_until(lambda: [status for _, status, _ in schedule_tasks(third.db_path)] == ["SUCCEEDED"], timeout=20,
               what="one schedule task done")
    [(_, _, payload)] = schedule_tasks(third.db_path)
    assert json.loads(payload)["content"] == "morning report"
    row = schedule_row(third.db_path, schedule_id)
    assert row["last_run_at"] is not None and parse_db(row["next_run_at"]) > datetime.now(timezone.utc)
    next_run_at = row["next_run_at"]
    assert third.terminate() == 0

    # A clean restart fires nothing more.
    fourth = daemons(home, env=BERLIN).start().wait_healthy()
    assert phase(fourth, "scheduler_started")["fired"] == 0
    assert len(schedule_tasks(fourth.db_path)) == 1
    assert schedule_row(fourth.db_path, schedule_id)["next_run_at"] == next_run_at
    assert fourth.terminate() == 0


@pytest.mark.slow
def test_an_every_minute_schedule_fires_on_the_wall_clock(home, daemons):
    """Black box: the only test that waits for real time (up to one minute)."""
    daemon = daemons(home, env={"GOCLAW_AUTH_TOKEN": TOKEN}).start().wait_healthy()
    acp = AcpClient(daemon.port, token=TOKEN).hello()
    schedule_id = acp.call("cron.add", {"name": "ping", "cron_expr": "* * * * *", "payload": "ping"})["schedule_id"]
    added = time.monotonic()
    wait_until(lambda: "SUCCEEDED" in [status for _, status, _ in schedule_tasks(daemon.db_path)], timeout=65,
               interval=0.2, what="the every-minute schedule fired and its task done")
    assert time.monotonic() - added <= 65
    (entry,) = acp.call("cron.list")["schedules"]
    assert entry["id"] == schedule_id and "last_run_at" in entry and entry["next_run_at"] > entry["last_run_at"]
    acp.close()
    assert daemon.terminate() == 0
