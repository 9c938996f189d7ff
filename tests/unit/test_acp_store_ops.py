"""Store operations behind ACP: session purge, approvals, schedules, and the replay window read."""

import pytest

from goclaw_actors.store.approval_reads import list_approvals
from goclaw_actors.store.event_reads import replay_window
from goclaw_actors.store.schedule_reads import get_schedule, list_schedules
from goclaw_actors.store.sqlite_approvals import ApprovalNotFound, ApprovalResolved
from goclaw_actors.store.sqlite_schedules import ScheduleNotFound
from goclaw_actors.timeutil import db_now
from tests.unit.store_fixtures import transaction

SESSION = "11111111-1111-4111-8111-111111111111"
OTHER = "22222222-2222-4222-8222-222222222222"


def enqueue(conn, session_id=SESSION, content="my secret"):
    with transaction(conn) as q:
        return q.enqueue(session_id, {"content": content})["task_id"]


def test_purge_deletes_messages_and_tombstones_tasks_and_events(conn):
    first, second = enqueue(conn), enqueue(conn)
    kept = enqueue(conn, OTHER, "keep me")
    with transaction(conn) as q:
        result = q.purge_session(SESSION, policy_version="policy-x", redacted_by="acp")
    assert result == {"session_id": SESSION, "messages_deleted": 2, "tasks_tombstoned": 2, "events_tombstoned": 2,
                      "redactions_recorded": 4}
    assert conn.execute("SELECT COUNT(*) FROM messages WHERE session_id = ?", (SESSION,)).fetchone() == (0,)
    assert conn.execute("SELECT DISTINCT payload, result FROM tasks WHERE session_id = ?",
                        (SESSION,)).fetchall() == [("[REDACTED]", "[REDACTED]")]
    assert conn.execute("SELECT DISTINCT payload_json FROM task_events WHERE session_id = ?",
                        (SESSION,)).fetchall() == [("[REDACTED]",)]
    rows = conn.execute("SELECT entity_type, entity_id, field_name, redaction_reason, policy_version, redacted_by "
                        "FROM data_redactions ORDER BY id").fetchall()
    assert [row[0] for row in rows] == ["message", "message", "task", "task"]
    assert {row[1] for row in rows[2:]} == {first, second}
    assert {row[2:] for row in rows} == {("content", "pii_purge", "policy-x", "acp"),
                                         ("payload", "pii_purge", "policy-x", "acp")}
    assert conn.execute("SELECT payload FROM tasks WHERE id = ?", (kept,)).fetchone() == ('{"content":"keep me"}',)


def test_purge_of_an_unknown_session_changes_nothing(conn):
    with transaction(conn) as q:
        assert q.purge_session(OTHER)["redactions_recorded"] == 0


def test_approval_is_decided_once(conn):
    with transaction(conn) as q:
        approval = q.create_approval("deploy", '{"env":"prod"}', 60)
    assert approval["status"] == "PENDING" and approval["expires_at"] > db_now(59)
    with transaction(conn) as q:
        decided = q.resolve_approval(approval["approval_id"], "APPROVED")
    assert decided["status"] == "APPROVED" and decided["resolved_at"]
    with pytest.raises(ApprovalResolved, match="approval already resolved"):
        with transaction(conn) as q:
            q.resolve_approval(approval["approval_id"], "DENIED")
    with pytest.raises(ApprovalNotFound, match="approval request not found"):
        with transaction(conn) as q:
            q.resolve_approval("nope", "DENIED")
    assert [(a["action"], a["status"]) for a in list_approvals(conn)] == [("deploy", "APPROVED")]


def test_schedules_add_enable_disable_remove(conn):
    with transaction(conn) as q:
        schedule_id = q.add_schedule("nightly", "0 3 * * *", "run it", "2030-01-01 03:00:00.000000", SESSION)
    assert get_schedule(conn, schedule_id)["enabled"] == 1
    with transaction(conn) as q:
        q.set_schedule_enabled(schedule_id, False)
    assert get_schedule(conn, schedule_id)["enabled"] == 0
    with transaction(conn) as q:
        q.set_schedule_enabled(schedule_id, True, "2031-01-01 03:00:00.000000")
    assert get_schedule(conn, schedule_id)["next_run_at"] == "2031-01-01 03:00:00.000000"
    with transaction(conn) as q:
        q.remove_schedule(schedule_id)
    assert list_schedules(conn) == []
    for call in (lambda q: q.remove_schedule(schedule_id), lambda q: q.set_schedule_enabled(schedule_id, False)):
        with pytest.raises(ScheduleNotFound, match=f"schedule not found: {schedule_id}"):
            with transaction(conn) as q:
                call(q)


def test_replay_window_counts_and_reads_in_order(conn):
    for _ in range(3):
        enqueue(conn)
    enqueue(conn, OTHER)
    ids = [row[0] for row in conn.execute("SELECT event_id FROM task_events WHERE session_id = ? ORDER BY event_id",
                                          (SESSION,))]
    window = replay_window(conn, SESSION, 0, 10)
    assert (window.min_event_id, window.max_event_id, window.count) == (ids[0], ids[-1], 3)
    assert [event["event_id"] for event in window.events] == ids
    assert replay_window(conn, SESSION, ids[0], 10).count == 2
    too_many = replay_window(conn, SESSION, 0, 2)
    assert too_many.count == 3 and too_many.events == []
    assert replay_window(conn, "unknown", 5, 10) == replay_window(conn, "unknown", 0, 10).__class__(0, 0, 0)
