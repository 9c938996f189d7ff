"""Retention inside the running daemon: QueueMaintenance deletes expired rows through the store in batches,
on its timer, counts them in /metrics and /metrics/prometheus, and logs each pass."""

import json
import sqlite3
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from actors.queue_maintenance import QueueMaintenance
from goclaw_actors.store.retention import RetentionSettings
from goclaw_actors.timeutil import db_now
from tests.actors.daemon_fixture import daemon  # noqa: F401  (fixture)
from tests.helpers import wait_until

DAYS = 24 * 3600


@pytest.fixture
def daemon_config():
    return "retention_task_events_days: 10\nretention_audit_log_days: 20\nretention_messages_days: 0\n"


def seed(db_path):
    """Old and recent rows of each table; returns the ids that must survive."""
    with sqlite3.connect(db_path, timeout=10) as conn:
        task_id, session_id = str(uuid.uuid4()), str(uuid.uuid4())
        conn.execute("INSERT INTO tasks (id, session_id, status, available_at, payload, created_at, updated_at) "
                     "VALUES (?, ?, 'SUCCEEDED', ?, '{}', ?, ?)", (task_id, session_id, db_now(), db_now(), db_now()))
        for age in (11, 12, 30, 1):
            conn.execute("INSERT INTO task_events (task_id, session_id, event_type, payload_json, created_at) "
                         "VALUES (?, ?, 'task.succeeded', '{}', ?)", (task_id, session_id, db_now(-age * DAYS)))
        for age in (21, 40, 5):
            conn.execute("INSERT INTO audit_log (audit_id, action, decision, created_at) VALUES (?, 'x', 'deny', ?)",
                         (str(uuid.uuid4()), db_now(-age * DAYS)))
        conn.execute("INSERT INTO messages (session_id, role, content, created_at) VALUES (?, 'user', 'old', ?)",
                     (session_id, db_now(-999 * DAYS)))
    return task_id


def counts(db_path, task_id):
    with sqlite3.connect(db_path, timeout=10) as conn:
        return (conn.execute("SELECT COUNT(*) FROM task_events WHERE task_id = ?", (task_id,)).fetchone()[0],
                conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'x'").fetchone()[0],
                conn.execute("SELECT COUNT(*) FROM messages WHERE content = 'old'").fetchone()[0])


def test_a_retention_pass_deletes_what_the_settings_say_and_is_reported(daemon):
    task_id = seed(daemon.boot.db_path)
    maintenance = daemon.runtime.registry.proxy("queue_maintenance")
    assert maintenance.start_retention().get(timeout=5) is True
    wait_until(lambda: maintenance.stats().get(timeout=5)["retention_runs"] == 1, timeout=10, what="a retention pass")
    assert counts(daemon.boot.db_path, task_id) == (1, 1, 1)
    stats = maintenance.stats().get(timeout=5)
    assert stats["retention_deleted_rows"] == {"task_events": 3, "audit_log": 2, "messages": 0}
    base = f"http://127.0.0.1:{daemon.boot.listener.getsockname()[1]}"
    auth = {"Authorization": "Bearer test-token"}
    metrics = requests.get(base + "/metrics", headers=auth, timeout=10).json()
    assert metrics["retention_deleted_rows"] == {"audit_log": 2, "messages": 0, "task_events": 3}
    text = requests.get(base + "/metrics/prometheus", headers=auth, timeout=10).text
    [family] = [f for f in text_string_to_metric_families(text) if f.name == "goclaw_retention_deleted_rows"]
    assert family.type == "counter"
    assert {s.labels["table"]: s.value for s in family.samples if s.name.endswith("_total")} == {
        "audit_log": 2.0, "messages": 0.0, "task_events": 3.0}
    log = [json.loads(line) for line in (daemon.boot.home / "logs" / "system.jsonl").read_text().splitlines()]
    [line] = [entry for entry in log if entry["msg"] == "retention run"]
    assert line["deleted"] == {"task_events": 3, "audit_log": 2, "messages": 0}


def test_retention_runs_on_its_timer_between_lease_reaps(daemon):
    task_id = seed(daemon.boot.db_path)
    rt = daemon.runtime
    job = QueueMaintenance.start(rt.store, interval=0.05, reads=rt.reads,
                                 retention_settings=lambda: RetentionSettings(10, 20, 0),
                                 retention_interval=0.2, retention_first_delay=0.05)
    try:
        proxy = job.proxy()
        wait_until(lambda: proxy.stats().get(timeout=5)["retention_runs"] >= 2, timeout=10, what="two timed passes")
        stats = proxy.stats().get(timeout=5)
        assert stats["retention_deleted_rows"] == {"task_events": 3, "audit_log": 2, "messages": 0}
        assert counts(rt.db_path, task_id) == (1, 1, 1)
    finally:
        job.stop()


def test_no_settings_means_no_retention(daemon):
    job = QueueMaintenance.start(daemon.runtime.store, reads=daemon.runtime.reads, retention_settings=lambda: None)
    try:
        assert job.proxy().start_retention().get(timeout=5) is False
    finally:
        job.stop()
