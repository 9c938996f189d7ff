"""Claiming (order, due time, exclusivity across connections), leases, reaper, recovery and shutdown release."""

import json
import threading

import pytest

from goclaw_actors.errors import IllegalTransition
from goclaw_actors.queue import states as st
from goclaw_actors.timeutil import db_now, parse_db
from tests.unit.backend_fixtures import conn  # noqa: F401 - these tests run on SQLite and PostgreSQL
from tests.unit.backend_fixtures import is_postgres, other_connection
from tests.unit.store_fixtures import events_of, transaction

PAST = "2000-01-01 00:00:00.000000"


def enqueue(conn, n=1, agent_id="default", **kwargs):
    with transaction(conn) as q:
        return [q.enqueue(f"s{i}", {"content": f"task {i}"}, agent_id=agent_id, **kwargs)["task_id"]
                for i in range(n)]


def claim(conn, agent_id="default", lease_seconds=30):
    with transaction(conn) as q:
        return q.claim(agent_id, lease_seconds)


def claim_and_start(conn, lease_seconds=30, policy_version=""):
    task = claim(conn, lease_seconds=lease_seconds)
    with transaction(conn) as q:
        q.start(task.id, task.lease_owner, lease_seconds, policy_version)
    return task.id, task.lease_owner


def expire(conn, task_id):
    conn.execute("UPDATE tasks SET lease_expires_at = ? WHERE id = ?", (db_now(-1), task_id))


def row(conn, task_id, columns):
    return conn.execute(f"SELECT {columns} FROM tasks WHERE id = ?", (task_id,)).fetchone()


def last_payload(conn, task_id):
    (text,) = conn.execute("SELECT payload_json FROM task_events WHERE task_id = ? ORDER BY event_id DESC LIMIT 1",
                           (task_id,)).fetchone()
    return json.loads(text)


def test_claim_orders_by_priority_then_age(conn):
    low_old, high_new, high_old, low_new = enqueue(conn, 4)
    for task_id, priority, created in ((low_old, 0, "2020-01-01 00:00:01.000000"),
                                       (high_new, 5, "2020-01-01 00:00:04.000000"),
                                       (high_old, 5, "2020-01-01 00:00:02.000000"),
                                       (low_new, 0, "2020-01-01 00:00:03.000000")):
        conn.execute("UPDATE tasks SET priority = ?, created_at = ? WHERE id = ?", (priority, created, task_id))
    order = [claim(conn).id for _ in range(4)]
    assert order == [high_old, high_new, low_old, low_new]
    assert claim(conn) is None


def test_claim_sets_fresh_lease_and_event(conn):
    (task_id,) = enqueue(conn)
    before = db_now()
    task = claim(conn, lease_seconds=30)
    assert task.id == task_id and task.status == st.CLAIMED and task.lease_owner
    assert 29 <= (parse_db(task.lease_expires_at) - parse_db(before)).total_seconds() <= 31
    assert events_of(conn, task_id)[-1] == (st.EV_CLAIMED, st.QUEUED, st.CLAIMED)
    assert last_payload(conn, task_id) == {"reason": "claim_next_pending"}
    enqueue(conn)
    assert claim(conn).lease_owner != task.lease_owner


def test_only_due_tasks_of_the_agent_are_claimed(conn):
    with transaction(conn) as q:
        q.upsert_agent("other", {})
    (later,) = enqueue(conn)
    (foreign,) = enqueue(conn, agent_id="other")
    conn.execute("UPDATE tasks SET available_at = ? WHERE id = ?", (db_now(60), later))
    assert claim(conn) is None
    conn.execute("UPDATE tasks SET available_at = ? WHERE id = ?", (db_now(-1), later))
    assert claim(conn).id == later
    assert claim(conn, "other").id == foreign


def test_concurrent_claimers_on_two_connections_never_share_a_task(conn, tmp_path):
    ids = set(enqueue(conn, 60))
    claimed = {0: [], 1: []}
    errors = []
    barrier = threading.Barrier(2)

    def worker(index):
        try:
            with other_connection(conn, tmp_path) as own:
                barrier.wait()
                while (task := claim(own)) is not None:
                    claimed[index].append(task.id)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    all_claimed = claimed[0] + claimed[1]
    assert sorted(all_claimed) == sorted(ids)
    (events,) = conn.execute("SELECT COUNT(*) FROM task_events WHERE event_type = 'task.claimed'").fetchone()
    assert events == 60


def test_two_connections_alternating_claim_distinct_tasks(conn, tmp_path):
    enqueue(conn, 4)
    with other_connection(conn, tmp_path) as other:
        got = [claim(conn).id, claim(other).id, claim(conn).id, claim(other).id]
        assert len(set(got)) == 4
        assert claim(conn) is None and claim(other) is None


def test_start_renews_lease_and_pins_policy(conn):
    enqueue(conn)
    task_id, owner = claim_and_start(conn, lease_seconds=120, policy_version="pv-1")
    status, policy, run_id, lease = row(conn, task_id, "status, policy_version, run_id, lease_expires_at")
    assert (status, policy) == (st.RUNNING, "pv-1") and run_id
    assert (parse_db(lease) - parse_db(db_now())).total_seconds() > 100
    with pytest.raises(IllegalTransition):
        with transaction(conn) as q:
            q.start(task_id, owner, 30)


def test_heartbeat_renews_lease_and_reports_cancel(conn):
    enqueue(conn)
    task_id, owner = claim_and_start(conn)
    conn.execute("UPDATE tasks SET lease_expires_at = ? WHERE id = ?", (db_now(1), task_id))
    with transaction(conn) as q:
        assert q.heartbeat(task_id, owner, 30) is False
    (lease,) = row(conn, task_id, "lease_expires_at")
    assert (parse_db(lease) - parse_db(db_now())).total_seconds() > 25
    conn.execute("UPDATE tasks SET cancel_requested = 1 WHERE id = ?", (task_id,))
    with transaction(conn) as q:
        assert q.heartbeat(task_id, owner, 30) is True
        with pytest.raises(IllegalTransition, match="lease lost"):
            q.heartbeat(task_id, "someone-else", 30)


def test_expired_running_lease_requeues_and_spends_an_attempt(conn):
    enqueue(conn)
    task_id, owner = claim_and_start(conn)
    with transaction(conn) as q:
        assert q.requeue_expired_leases() == 0
    expire(conn, task_id)
    with transaction(conn) as q:
        assert q.requeue_expired_leases() == 1
    assert row(conn, task_id, "status, attempt, lease_owner") == (st.QUEUED, 1, None)
    assert events_of(conn, task_id)[-1] == (st.EV_LEASE_EXPIRED, st.RUNNING, st.QUEUED)
    assert last_payload(conn, task_id) == {"reason": "lease_expired", "attempt": 1}
    with pytest.raises(IllegalTransition):
        with transaction(conn) as q:
            q.heartbeat(task_id, owner, 30)


def test_expired_claimed_lease_does_not_spend_an_attempt(conn):
    (task_id,) = enqueue(conn)
    claim(conn)
    expire(conn, task_id)
    with transaction(conn) as q:
        assert q.requeue_expired_leases() == 1
    assert row(conn, task_id, "status, attempt") == (st.QUEUED, 0)


def test_crash_loop_ends_in_dead_letter(conn):
    (task_id,) = enqueue(conn)
    for _ in range(3):
        claim_and_start(conn)
        expire(conn, task_id)
        with transaction(conn) as q:
            q.requeue_expired_leases()
    assert row(conn, task_id, "status, attempt, last_error_code") == (
        st.DEAD_LETTER, 3, st.DEAD_LETTER_MAX_ATTEMPTS)
    assert events_of(conn, task_id)[-2:] == [
        (st.EV_FAILED, st.RUNNING, st.FAILED), (st.EV_DEAD_LETTER, st.FAILED, st.DEAD_LETTER)]
    (failed,) = conn.execute("SELECT payload_json FROM task_events WHERE task_id = ? AND event_type = ?",
                             (task_id, st.EV_FAILED)).fetchone()
    assert json.loads(failed)["reason"] == "lease_expired"


def test_recover_interrupted_requeues_active_tasks_and_drops_partial_replies(conn):
    queued, claimed_id, running_id = enqueue(conn, 3)
    conn.execute("UPDATE tasks SET created_at = ? WHERE id = ?", ("2000-01-01 00:00:00.000000", claimed_id))
    conn.execute("UPDATE tasks SET created_at = ? WHERE id = ?", ("2000-01-01 00:00:01.000000", running_id))
    claim(conn)
    claim_and_start(conn)
    conn.execute("INSERT INTO messages (session_id, agent_id, role, content, created_at) VALUES "
                 "('s2', 'default', 'assistant', 'old reply', ?), ('s2', 'default', 'assistant', 'partial', ?)",
                 (PAST, db_now(5)))
    if is_postgres(conn):  # other daemons share the queue: only leases that expired are recovered
        with transaction(conn) as q:
            assert q.recover_interrupted() == 0
        expire(conn, claimed_id)
        expire(conn, running_id)
    with transaction(conn) as q:
        assert q.recover_interrupted() == 2
    assert row(conn, claimed_id, "status, attempt, lease_owner") == (st.QUEUED, 0, None)
    assert row(conn, running_id, "status, attempt") == (st.QUEUED, 1)
    assert row(conn, queued, "status") == (st.QUEUED,)
    assert events_of(conn, running_id)[-1] == (st.EV_RECOVERED, st.RUNNING, st.QUEUED)
    assert last_payload(conn, running_id) == {"reason": "startup_recovery", "attempt": 1}
    assert events_of(conn, claimed_id)[-1] == (st.EV_RECOVERED, st.CLAIMED, st.QUEUED)
    replies = conn.execute("SELECT content FROM messages WHERE session_id = 's2' AND role = 'assistant'").fetchall()
    assert replies == [("old reply",)]
    with transaction(conn) as q:
        assert q.recover_interrupted() == 0


def test_release_for_shutdown_requeues_without_spending_an_attempt(conn):
    enqueue(conn)
    task_id, owner = claim_and_start(conn)
    with transaction(conn) as q:
        assert q.release_for_shutdown(task_id, "not-owner") is False
        assert q.release_for_shutdown(task_id, owner) is True
        assert q.release_for_shutdown(task_id, owner) is False
    assert row(conn, task_id, "status, attempt, lease_owner") == (st.QUEUED, 0, None)
    assert events_of(conn, task_id)[-1] == (st.EV_REQUEUED, st.RUNNING, st.QUEUED)
    assert last_payload(conn, task_id) == {"reason": "shutdown_drain"}
    assert claim(conn).id == task_id
