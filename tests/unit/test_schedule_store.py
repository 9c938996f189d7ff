"""Firing a cron slot in the store: the task and the advance of `next_run_at` are one transaction."""

import json

import pytest

from goclaw_actors.schedule_firing import schedule_session_id
from goclaw_actors.store.api.facade import SchedulesStore
from goclaw_actors.store.group_commit import run_batch
from goclaw_actors.store.schedule_reads import due_schedules, get_schedule
from goclaw_actors.store.sqlite_queue import SqliteQueue
from tests.unit.store_fixtures import transaction

SLOT = "2030-01-01 03:00:00.000000"
NEXT = "2030-01-02 03:00:00.000000"
NOW = "2030-01-01 03:00:00.050000"


def add(conn, payload='{"content":"nightly report"}', agent_id="default", next_run_at=SLOT) -> str:
    with transaction(conn) as q:
        return q.add_schedule("nightly", "0 3 * * *", payload, next_run_at, agent_id=agent_id)


def fire(conn, schedule_id, due_at=SLOT, next_run_at=NEXT):
    with transaction(conn) as q:
        return q.fire_schedule(schedule_id, due_at, next_run_at, NOW)


def schedule_tasks(conn):
    return conn.execute("SELECT id, agent_id, session_id, type, status, payload FROM tasks WHERE type = 'schedule'"
                        ).fetchall()


def test_firing_enqueues_the_slot_task_and_advances_together(conn):
    schedule_id = add(conn)
    assert [row["id"] for row in due_schedules(conn, NOW)] == [schedule_id]
    outcome = fire(conn, schedule_id)
    assert outcome["status"] == "fired"
    [(task_id, agent_id, session_id, task_type, status, payload)] = schedule_tasks(conn)
    assert task_id == outcome["task_id"] and (agent_id, task_type, status) == ("default", "schedule", "QUEUED")
    assert session_id == schedule_session_id(schedule_id, None)
    assert json.loads(payload)["content"] == "nightly report"
    assert conn.execute("SELECT role, content FROM messages WHERE session_id = ?", (session_id,)).fetchall() == [
        ("user", "nightly report")]
    row = get_schedule(conn, schedule_id)
    assert (row["last_run_at"], row["next_run_at"]) == (NOW, NEXT)
    assert due_schedules(conn, NOW) == []


def test_a_slot_fires_once_even_if_asked_twice(conn):
    schedule_id = add(conn)
    assert fire(conn, schedule_id)["status"] == "fired"
    assert fire(conn, schedule_id) == {"status": "stale"}  # next_run_at moved on: nothing to do
    with transaction(conn) as q:  # the slot's task exists: even a forced refire of that slot enqueues nothing
        conn.execute("UPDATE schedules SET next_run_at = ?", (SLOT,))
        assert q.fire_schedule(schedule_id, SLOT, NEXT, NOW)["status"] == "fired"
    assert len(schedule_tasks(conn)) == 1


def test_fire_and_advance_commit_or_roll_back_as_one(conn):
    """A failure after the task insert (here: recording the advance) leaves neither the task nor the advance."""
    schedule_id = add(conn)
    conn.execute("CREATE TRIGGER refuse_advance BEFORE UPDATE OF next_run_at ON schedules "
                 "BEGIN SELECT RAISE(ABORT, 'disk gone'); END")
    [result] = run_batch(conn, [SchedulesStore.fire_schedule.request(schedule_id=schedule_id, due_at=SLOT,
                                                                     next_run_at=NEXT, now=NOW)], SqliteQueue)
    assert "disk gone" in str(result.error) and result.events == []
    assert schedule_tasks(conn) == [] and get_schedule(conn, schedule_id)["next_run_at"] == SLOT
    conn.execute("DROP TRIGGER refuse_advance")
    [result] = run_batch(conn, [SchedulesStore.fire_schedule.request(schedule_id=schedule_id, due_at=SLOT,
                                                                     next_run_at=NEXT, now=NOW)], SqliteQueue)
    assert result.value["status"] == "fired" and [e["event_type"] for e in result.events] == ["task.enqueued"]
    assert len(schedule_tasks(conn)) == 1 and get_schedule(conn, schedule_id)["next_run_at"] == NEXT


@pytest.mark.parametrize("case, reason", [("agent", "agent_not_found"), ("stopped", "agent_not_found"),
                                          ("saturated", "queue_saturated"), ("empty", "empty_content")])
def test_an_unfireable_slot_is_skipped_and_the_schedule_moves_on(conn, case, reason):
    schedule_id = add(conn, agent_id="ghost" if case == "agent" else "default",
                      payload='{"note":"no content"}' if case == "empty" else "run")
    with transaction(conn) as q:
        if case == "stopped":
            q.set_agent_status("default", "stopped")
        if case == "saturated":
            q.upsert_agent("default", {"max_queue_depth": 1})
            q.enqueue("00000000-0000-0000-0000-00000000000a", {"content": "backlog"})
    outcome = fire(conn, schedule_id)
    assert outcome["status"] == "skipped" and outcome["reason"] == reason and outcome["error"]
    assert schedule_tasks(conn) == []
    row = get_schedule(conn, schedule_id)
    assert (row["next_run_at"], row["last_run_at"], row["enabled"]) == (NEXT, None, 1)


def test_rows_without_a_fire_time_get_one_and_never_firing_rows_are_disabled(conn):
    schedule_id = add(conn, next_run_at=None)
    assert [row["id"] for row in due_schedules(conn, NOW)] == [schedule_id]
    assert fire(conn, schedule_id, due_at=None) == {"status": "scheduled"}
    assert get_schedule(conn, schedule_id)["next_run_at"] == NEXT and schedule_tasks(conn) == []
    assert fire(conn, schedule_id, due_at=NEXT, next_run_at=None)["status"] == "fired"
    row = get_schedule(conn, schedule_id)
    assert (row["enabled"], row["next_run_at"]) == (0, None)


def test_disabled_or_removed_schedules_are_not_fired(conn):
    schedule_id = add(conn)
    with transaction(conn) as q:
        q.set_schedule_enabled(schedule_id, False)
    assert due_schedules(conn, NOW) == [] and fire(conn, schedule_id) == {"status": "stale"}
    with transaction(conn) as q:
        q.remove_schedule(schedule_id)
    assert fire(conn, schedule_id) == {"status": "stale"} and schedule_tasks(conn) == []
