"""Cron through the gateway: ACP cron.* with fire times, the running scheduler, and GET /api/schedules."""

import sqlite3
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from goclaw_actors.cron_schedule import next_fire_time
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import AUTH, SCOPED_KEY, SCOPED_KEY_CONFIG, running_daemon
from tests.helpers import wait_until

CONFIG = "delegation_max_hops: 0\nagents:\n  - agent_id: coder\n    worker_count: 1\n" + SCOPED_KEY_CONFIG


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path, CONFIG) as api:
        yield api


def db(api) -> sqlite3.Connection:
    return sqlite3.connect(api.daemon.boot.home / "goclaw.db", timeout=5)


def rfc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def test_cron_add_sets_the_first_fire_time_and_enable_recomputes_it(client):
    before = datetime.now(timezone.utc)
    schedule_id = client.call("cron.add", {"name": "nightly", "cron_expr": "0 3 * * *",
                                           "payload": {"content": "report"}})["schedule_id"]
    (entry,) = client.call("cron.list")["schedules"]
    assert entry["id"] == schedule_id and "last_run_at" not in entry
    assert rfc(entry["next_run_at"]) == next_fire_time("0 3 * * *", before)
    assert client.call("cron.disable", {"schedule_id": schedule_id}) == {"disabled": True}
    assert client.call("cron.enable", {"schedule_id": schedule_id}) == {"enabled": True}
    (entry,) = client.call("cron.list")["schedules"]
    assert entry["enabled"] is True and timedelta(0) < rfc(entry["next_run_at"]) - before <= timedelta(days=1)
    assert client.error("cron.add", {"name": "never", "cron_expr": "0 0 30 2 *"}) == (
        1000, "invalid cron_expr: no date matches it")


def test_a_due_schedule_fires_through_the_running_scheduler_and_shows_its_last_run(client, api):
    schedule_id = client.call("cron.add", {"name": "missed", "cron_expr": "*/5 * * * *",
                                           "payload": "summarise the day"})["schedule_id"]
    with db(api) as conn:  # as if the daemon had been down across its slot
        conn.execute("UPDATE schedules SET next_run_at = '2020-01-01 00:00:00.000000' WHERE id = ?", (schedule_id,))
    client.call("cron.add", {"name": "other", "cron_expr": "0 0 1 1 *", "payload": "x"})  # wakes the scheduler

    def fired():
        return next((s for s in client.call("cron.list")["schedules"] if s["id"] == schedule_id and
                     "last_run_at" in s), None)
    entry = wait_until(fired, timeout=10, what="the missed slot fired")
    assert rfc(entry["next_run_at"]) > rfc(entry["last_run_at"])
    with db(api) as conn:
        [(agent_id, session_id, status)] = conn.execute(
            "SELECT agent_id, session_id, status FROM tasks WHERE type = 'schedule'").fetchall()
    assert agent_id == "default" and session_id == str(uuid.uuid5(uuid.NAMESPACE_URL, f"goclaw:schedule:{schedule_id}"))


def test_rest_schedules_view_is_read_only_and_scoped(api):
    client = AcpClient(port_of(api)).hello()
    mine = client.call("cron.add", {"name": "mine", "cron_expr": "0 9 * * 1", "payload": "week plan"})["schedule_id"]
    coders = client.call("cron.add", {"name": "theirs", "cron_expr": "0 9 * * *", "payload": "lint",
                                      "agent_id": "coder"})["schedule_id"]
    listed = client.call("cron.list")["schedules"]
    client.close()
    full = api.get("/api/schedules")
    assert full.status_code == 200
    schedules = full.json()["schedules"]
    assert [(s["id"], s["agent_id"]) for s in schedules] == [(mine, "default"), (coders, "coder")]
    assert [{k: v for k, v in s.items() if k != "agent_id"} for s in schedules] == listed
    scoped = requests.get(api.base + "/api/schedules", headers={"X-API-Key": SCOPED_KEY}, timeout=10)
    assert [s["id"] for s in scoped.json()["schedules"]] == [mine]  # a key scoped to default sees only its own
    assert requests.get(api.base + "/api/schedules", timeout=10).json() == {"error": "missing API key"}
    assert requests.post(api.base + "/api/schedules", headers=AUTH, json={}, timeout=10).status_code == 405
