"""The 8-state task machine: legal moves write one event atomically, illegal ones write nothing."""

import itertools

import pytest

from goclaw_actors.errors import IllegalTransition
from goclaw_actors.queue import states as st
from goclaw_actors.timeutil import db_now
from tests.unit.backend_fixtures import conn  # noqa: F401 - these tests run on SQLite and PostgreSQL
from tests.unit.store_fixtures import events_of, transaction

LEGAL = sorted((a, b) for a, tos in st.TRANSITIONS.items() if a is not None for b in tos)
ILLEGAL = sorted(
    (a, b) for a, b in itertools.product(st.STATES, st.STATES) if b not in st.TRANSITIONS[a]
)


def make_task(conn, status):
    """Enqueue a task and force it into `status` by SQL; returns its id."""
    with transaction(conn) as q:
        task_id = q.enqueue("s1", {"content": "hello"})["task_id"]
    conn.execute("UPDATE tasks SET status = ? WHERE id = ?", (status, task_id))
    return task_id


def event_count(conn, task_id):
    return conn.execute("SELECT COUNT(*) FROM task_events WHERE task_id = ?", (task_id,)).fetchone()[0]


def test_tables_cover_all_64_pairs():
    assert len(LEGAL) + len(ILLEGAL) == len(st.STATES) ** 2
    assert len(LEGAL) == 15
    assert all(not st.TRANSITIONS[t] for t in st.TERMINAL)


def test_state_machine_matches_spec_table():
    spec = {
        None: {st.QUEUED},
        st.QUEUED: {st.CLAIMED, st.CANCELED},
        st.CLAIMED: {st.RUNNING, st.CANCELED, st.QUEUED},
        st.RUNNING: {st.SUCCEEDED, st.FAILED, st.RETRY_WAIT, st.CANCELED, st.QUEUED},
        st.RETRY_WAIT: {st.QUEUED, st.FAILED, st.CANCELED},
        st.FAILED: {st.DEAD_LETTER, st.RETRY_WAIT},
    }
    for state_from, tos in spec.items():
        assert set(st.TRANSITIONS[state_from]) == tos
    assert st.TERMINAL == {st.SUCCEEDED, st.CANCELED, st.DEAD_LETTER}


def test_creation_is_the_only_move_from_nothing(conn):
    assert st.is_legal(None, st.QUEUED)
    for state in st.STATES:
        if state != st.QUEUED:
            with pytest.raises(IllegalTransition, match=r"\(new\)"):
                st.check_transition(None, state)
    with transaction(conn) as q:
        task_id = q.enqueue("s1", {"content": "hello"})["task_id"]
    assert events_of(conn, task_id) == [(st.EV_ENQUEUED, None, st.QUEUED)]
    payload = conn.execute("SELECT payload_json FROM task_events WHERE task_id = ?", (task_id,)).fetchone()[0]
    assert payload == '{"reason":"create_task"}'


@pytest.mark.parametrize(("state_from", "state_to"), LEGAL)
def test_legal_transition_writes_exactly_one_event(conn, state_from, state_to):
    task_id = make_task(conn, state_from)
    before = event_count(conn, task_id)
    with transaction(conn) as q:
        task = q.get_task(task_id)
        q.transition(task, state_to, "test.move", {"reason": "test"}, db_now())
        assert task.status == state_to
        assert len(q.committed_events) == 1
    assert conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()[0] == state_to
    assert event_count(conn, task_id) == before + 1
    assert events_of(conn, task_id)[-1] == ("test.move", state_from, state_to)


@pytest.mark.parametrize(("state_from", "state_to"), ILLEGAL)
def test_illegal_transition_raises_and_writes_nothing(conn, state_from, state_to):
    task_id = make_task(conn, state_from)
    before = event_count(conn, task_id)
    with transaction(conn) as q:
        task = q.get_task(task_id)
        with pytest.raises(IllegalTransition):
            q.transition(task, state_to, "test.move", {}, db_now(), error="x")
        assert q.committed_events == []
        assert task.status == state_from
    row = conn.execute("SELECT status, error FROM tasks WHERE id = ?", (task_id,)).fetchone()
    assert row == (state_from, None)
    assert event_count(conn, task_id) == before


def test_stale_status_guard_rejects_and_writes_nothing(conn):
    task_id = make_task(conn, st.QUEUED)
    with transaction(conn) as q:
        task = q.get_task(task_id)
        conn.execute("UPDATE tasks SET status = 'CANCELED' WHERE id = ?", (task_id,))
        with pytest.raises(IllegalTransition, match="no longer QUEUED"):
            q.transition(task, st.CLAIMED, st.EV_CLAIMED, {}, db_now())
    assert conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()[0] == "CANCELED"
    assert event_count(conn, task_id) == 1


def test_lease_guard_rejects_other_owner(conn):
    task_id = make_task(conn, st.CLAIMED)
    conn.execute("UPDATE tasks SET lease_owner = 'owner-a' WHERE id = ?", (task_id,))
    with transaction(conn) as q:
        task = q.get_task(task_id)
        with pytest.raises(IllegalTransition, match="under this lease"):
            q.transition(task, st.RUNNING, st.EV_RUNNING, {}, db_now(), guard_lease="owner-b")
        q.transition(task, st.RUNNING, st.EV_RUNNING, {}, db_now(), guard_lease="owner-a")
    assert events_of(conn, task_id)[-1] == (st.EV_RUNNING, st.CLAIMED, st.RUNNING)
    assert event_count(conn, task_id) == 2


def test_rolled_back_transaction_undoes_update_and_event(conn):
    task_id = make_task(conn, st.QUEUED)
    with pytest.raises(RuntimeError):
        with transaction(conn) as q:
            q.transition(q.get_task(task_id), st.CANCELED, st.EV_CANCELED, {}, db_now())
            raise RuntimeError("boom")
    assert conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()[0] == st.QUEUED
    assert events_of(conn, task_id) == [(st.EV_ENQUEUED, None, st.QUEUED)]


def test_event_carries_session_trace_and_run(conn):
    task_id = make_task(conn, st.CLAIMED)
    with transaction(conn) as q:
        task = q.get_task(task_id)
        task.run_id = "run-1"
        q.transition(task, st.RUNNING, st.EV_RUNNING, {"reason": "worker_start"}, db_now())
    row = conn.execute(
        "SELECT session_id, trace_id, run_id, payload_json FROM task_events WHERE task_id = ? "
        "ORDER BY event_id DESC LIMIT 1", (task_id,)).fetchone()
    assert row == ("s1", "s1", "run-1", '{"reason":"worker_start"}')
