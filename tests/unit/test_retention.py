"""Retention (SPEC §3.11) on a real database with controlled timestamps: exactly the expired rows go."""

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import ConfigError
from goclaw_actors.store.connection_store import connection_store
from goclaw_actors.store.retention import RetentionRun, RetentionSettings, cutoffs
from goclaw_actors.timeutil import to_db
from tests.unit.store_fixtures import transaction

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


def ago(days, seconds=0.0):
    return to_db(NOW - timedelta(days=days, seconds=seconds))


def add_task(conn, status):
    task_id, session_id = str(uuid.uuid4()), str(uuid.uuid4())
    conn.execute("INSERT INTO tasks (id, session_id, status, available_at, payload, created_at, updated_at) "
                 "VALUES (?, ?, ?, ?, '{}', ?, ?)", (task_id, session_id, status, ago(200), ago(200), ago(200)))
    return task_id, session_id


def add_event(conn, task_id, session_id, created_at):
    return conn.execute("INSERT INTO task_events (task_id, session_id, event_type, payload_json, created_at) "
                        "VALUES (?, ?, 'task.enqueued', '{}', ?)", (task_id, session_id, created_at)).lastrowid


def add_audit(conn, created_at):
    audit_id = str(uuid.uuid4())
    conn.execute("INSERT INTO audit_log (audit_id, action, decision, created_at) VALUES (?, 'tools.exec', 'deny', ?)",
                 (audit_id, created_at))
    return audit_id


def add_message(conn, created_at, archived_at=None):
    return conn.execute("INSERT INTO messages (session_id, role, content, created_at, archived_at) "
                        "VALUES (?, 'user', 'hi', ?, ?)", (str(uuid.uuid4()), created_at, archived_at)).lastrowid


def run(conn, settings, batch=500):
    """A full pass with reads on `conn` and each write in its own transaction; returns (run, steps)."""
    retention = RetentionRun(settings, NOW, lambda fn, *args: fn(conn, *args),
                             connection_store(conn).maintenance.delete_expired, batch=batch)
    steps = 1
    while retention.step():
        steps += 1
    return retention, steps


def ids(conn, sql):
    return {row[0] for row in conn.execute(sql)}


def test_exactly_the_expired_rows_go_and_nothing_else(conn):
    kept_events, gone_events = set(), set()
    for status in ("SUCCEEDED", "DEAD_LETTER", "CANCELED", "RUNNING", "QUEUED", "RETRY_WAIT", "CLAIMED"):
        task_id, session_id = add_task(conn, status)
        old = add_event(conn, task_id, session_id, ago(90, 1))
        (gone_events if status in ("SUCCEEDED", "DEAD_LETTER", "CANCELED") else kept_events).add(old)
        kept_events.add(add_event(conn, task_id, session_id, ago(90)))  # exactly at the cutoff: kept
        kept_events.add(add_event(conn, task_id, session_id, ago(3)))
    orphan = add_event(conn, "no-such-task", "s", ago(400))  # not a terminal task's event
    kept_events.add(orphan)
    gone_audit = {add_audit(conn, ago(365, 1)), add_audit(conn, ago(2000))}
    kept_audit = {add_audit(conn, ago(365)), add_audit(conn, ago(1))}
    gone_messages = {add_message(conn, ago(91)), add_message(conn, ago(120), archived_at=ago(100))}
    kept_messages = {add_message(conn, ago(89)), add_message(conn, ago(30), archived_at=ago(20)),
                     add_message(conn, ago(90))}
    retention, _ = run(conn, RetentionSettings(90, 365, 90))
    assert retention.deleted == {"task_events": 3, "audit_log": 2, "messages": 2}
    assert ids(conn, "SELECT event_id FROM task_events") == kept_events
    assert ids(conn, "SELECT audit_id FROM audit_log WHERE action = 'tools.exec'") == kept_audit
    assert ids(conn, "SELECT id FROM messages") == kept_messages
    assert run(conn, RetentionSettings(90, 365, 90))[0].deleted == {"task_events": 0, "audit_log": 0, "messages": 0}


def test_zero_days_keeps_a_table_forever(conn):
    task_id, session_id = add_task(conn, "SUCCEEDED")
    add_event(conn, task_id, session_id, ago(1000))
    add_audit(conn, ago(1000))
    add_message(conn, ago(1000))
    retention, _ = run(conn, RetentionSettings(0, 0, 1))
    assert retention.deleted == {"task_events": 0, "audit_log": 0, "messages": 1}
    assert set(cutoffs(RetentionSettings(0, 0, 0), NOW)) == set()


def test_deletes_go_in_bounded_batches(conn):
    task_id, session_id = add_task(conn, "SUCCEEDED")
    events = [add_event(conn, task_id, session_id, ago(100)) for _ in range(10)]
    newer = add_event(conn, task_id, session_id, ago(1))
    seen = []

    delete_expired = connection_store(conn).maintenance.delete_expired

    def write(**kwargs):
        seen.append(len(kwargs["keys"]))
        return delete_expired(**kwargs)

    retention = RetentionRun(RetentionSettings(90, 0, 0), NOW, lambda fn, *args: fn(conn, *args), write, batch=3)
    while retention.step():
        pass
    assert seen == [3, 3, 3, 1] and retention.deleted["task_events"] == len(events)
    assert ids(conn, "SELECT event_id FROM task_events") == {newer}


def test_a_row_that_stopped_being_expired_is_not_deleted(conn):
    """The store re-checks the condition: keys found on a read snapshot never delete a row that changed."""
    task_id, session_id = add_task(conn, "RUNNING")
    event = add_event(conn, task_id, session_id, ago(100))
    with transaction(conn) as queue:
        assert queue.delete_expired("task_events", [event], ago(90)) == 0
    assert ids(conn, "SELECT event_id FROM task_events") == {event}


def test_settings_come_from_the_configuration(tmp_path):
    (tmp_path / "config.yaml").write_text("agents: []\nretention_task_events_days: 7\nretention_audit_log_days: 0\n"
                                          "retention_messages_days: 30\n")
    settings = RetentionSettings.from_config(load_config(tmp_path, {}))
    assert settings == RetentionSettings(7, 0, 30)
    (tmp_path / "config.yaml").write_text("agents: []\nretention_messages_days: -3\n")
    with pytest.raises(ConfigError, match="retention_messages_days must be at least 0"):
        load_config(tmp_path, {})
    (tmp_path / "config.yaml").write_text("agents: []\n")
    assert RetentionSettings.from_config(load_config(tmp_path, {})) == RetentionSettings(90, 365, 90)
    assert json.dumps(cutoffs(RetentionSettings(1, 0, 0), NOW)) == '{"task_events": "2026-05-31 12:00:00.000000"}'
