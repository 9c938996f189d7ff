"""GET /api/events, /api/queue and /api/usage: the daemon's activity for live views, scoped by agent."""

import sqlite3

import requests

from tests.gateway.rest_fixtures import SCOPED_KEY, SCOPED_KEY_CONFIG, running_daemon
from tests.helpers import insert_task


def _seed(db_path):
    with sqlite3.connect(db_path) as conn:
        mine = insert_task(conn, "one")
        other = insert_task(conn, "two", agent_id="coder")
        conn.execute("UPDATE tasks SET prompt_tokens = 10, completion_tokens = 5, total_tokens = 15, "
                     "estimated_cost_usd = 0.25, status = 'DEAD_LETTER' WHERE id = ?", (mine,))
        conn.execute("UPDATE tasks SET prompt_tokens = 1, completion_tokens = 2, total_tokens = 3, "
                     "estimated_cost_usd = 0.5, attempt = 1, available_at = '2999-01-01 00:00:00' WHERE id = ?",
                     (other,))
    return mine, other


def test_events_queue_and_usage(tmp_path):
    config = "delegation_max_hops: 0\nagents:\n  - agent_id: coder\n    worker_count: 1\n"
    with running_daemon(tmp_path, config, {"GOCLAW_DEBUG_TASK_DELAY_MS": "60000"}) as api:
        mine, other = _seed(api.daemon.boot.db_path)
        events = api.get("/api/events").json()["events"]
        assert [(e["task_id"], e["event_type"], e["agent_id"]) for e in events][:2] == [
            (mine, "task.enqueued", "default"), (other, "task.enqueued", "coder")]
        first = events[0]["event_id"]
        assert [e["task_id"] for e in api.get(f"/api/events?after_id={first}&limit=1").json()["events"]] == [other]
        assert [e["event_id"] for e in api.get("/api/events?limit=1").json()["events"]] == [events[-1]["event_id"]]
        queue = api.get("/api/queue").json()
        assert queue["counts"]["DEAD_LETTER"] == 1 and queue["counts"]["QUEUED"] == 1
        assert set(queue["counts"]) == {"QUEUED", "CLAIMED", "RUNNING", "SUCCEEDED", "FAILED", "RETRY_WAIT",
                                        "CANCELED", "DEAD_LETTER"}
        assert queue["retry_waiting"] == 1
        usage = api.get("/api/usage").json()
        assert (usage["total_tokens"], usage["prompt_tokens"], usage["estimated_cost_usd"]) == (18, 11, 0.75)
        assert [a["agent_id"] for a in usage["agents"]] == ["coder", "default"]
        assert requests.get(api.base + "/api/usage", timeout=5).status_code == 401


def test_a_scoped_key_sees_only_its_agents(tmp_path):
    config = "delegation_max_hops: 0\nagents:\n  - agent_id: coder\n    worker_count: 1\n" + SCOPED_KEY_CONFIG
    with running_daemon(tmp_path, config, {"GOCLAW_DEBUG_TASK_DELAY_MS": "60000"}) as api:
        mine, _ = _seed(api.daemon.boot.db_path)
        headers = {"Authorization": f"Bearer {SCOPED_KEY}"}
        events = requests.get(api.base + "/api/events", headers=headers, timeout=5).json()["events"]
        assert {e["task_id"] for e in events} == {mine}
        usage = requests.get(api.base + "/api/usage", headers=headers, timeout=5).json()
        assert usage["total_tokens"] == 15 and [a["agent_id"] for a in usage["agents"]] == ["default"]
        queue = requests.get(api.base + "/api/queue", headers=headers, timeout=5).json()
        assert queue["counts"]["QUEUED"] == 0 and queue["retry_waiting"] == 0
