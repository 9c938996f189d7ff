"""A lane's batch operations: several tasks claimed and started in one request, outcomes recorded together,
event rows written together (ids in order, nothing left of a request that failed)."""

import uuid

from goclaw_actors.ids import time_ordered_uuid
from goclaw_actors.queue import states as st
from goclaw_actors.store.api.facade import TasksStore
from goclaw_actors.store.backends import make_queue
from goclaw_actors.store.group_commit import run_batch
from goclaw_actors.timeutil import db_now
from tests.unit.backend_fixtures import conn  # noqa: F401 - these tests run on SQLite and PostgreSQL
from tests.unit.store_fixtures import events_of, transaction

RUN = ["task.enqueued", "task.claimed", "task.running"]


def enqueue(conn, n, **kwargs):
    with transaction(conn) as q:
        return [q.enqueue(str(uuid.uuid4()), {"content": f"task {i}"}, **kwargs)["task_id"] for i in range(n)]


def claim_batch(conn, limit, policy_version="pv-1"):
    with transaction(conn) as q:
        return q.claim_batch("default", 30, policy_version, limit=limit)


def test_claim_batch_claims_and_starts_in_claim_order_with_one_event_per_transition(conn):
    ids = enqueue(conn, 5)
    conn.execute("UPDATE tasks SET priority = 3 WHERE id = ?", (ids[3],))
    tasks = claim_batch(conn, limit=3)
    assert [task.id for task in tasks] == [ids[3], ids[0], ids[1]]  # priority DESC, created_at, id
    assert len({task.run_id for task in tasks}) == 3 and len({task.lease_owner for task in tasks}) == 1
    for task in tasks:
        assert [kind for kind, _, _ in events_of(conn, task.id)] == RUN
        assert conn.execute("SELECT status, policy_version, run_id, lease_owner FROM tasks WHERE id = ?",
                            (task.id,)).fetchone() == (st.RUNNING, "pv-1", task.run_id, task.lease_owner)
    assert [task.id for task in claim_batch(conn, limit=8)] == [ids[2], ids[4]]
    assert claim_batch(conn, limit=8) == []


def test_claim_batch_takes_only_due_tasks_of_its_agent(conn):
    due, later = enqueue(conn, 2)
    conn.execute("UPDATE tasks SET available_at = ? WHERE id = ?", (db_now(60), later))
    assert [task.id for task in claim_batch(conn, limit=8)] == [due]


def test_record_outcomes_records_each_and_reports_the_ones_it_could_not(conn):
    enqueue(conn, 3)
    ok, failing, lost = claim_batch(conn, limit=3)
    with transaction(conn) as q:
        problems = q.record_outcomes([
            {"task_id": ok.id, "lease_owner": ok.lease_owner, "result": {"reply": "done"},
             "metrics": {"queue_wait_ms": 1, "run_ms": 2}},
            {"task_id": failing.id, "lease_owner": failing.lease_owner, "error": "boom"},
            {"task_id": lost.id, "lease_owner": "someone-else", "result": {"reply": "late"}},
        ])
    assert problems[:2] == [None, None] and "no longer RUNNING under this lease" in problems[2]
    status = dict(conn.execute("SELECT id, status FROM tasks"))
    assert (status[ok.id], status[failing.id], status[lost.id]) == (st.SUCCEEDED, st.QUEUED, st.RUNNING)
    assert [kind for kind, _, _ in events_of(conn, ok.id)] == RUN + ["task.succeeded"]
    assert [kind for kind, _, _ in events_of(conn, failing.id)] == RUN + ["task.retry_wait", "task.requeued"]
    assert [kind for kind, _, _ in events_of(conn, lost.id)] == RUN
    assert conn.execute("SELECT COUNT(*) FROM task_metrics WHERE task_id = ?", (ok.id,)).fetchone() == (1,)


def test_a_batch_writes_its_events_in_order_and_publishes_their_ids(conn):
    requests = [TasksStore.enqueue.request(session_id=str(uuid.uuid4()), payload={"content": f"m{i}"})
                for i in range(3)]
    requests.insert(1, TasksStore.enqueue.request(session_id="s", payload={"content": ""}))  # refused
    results = run_batch(conn, requests, make_queue)
    assert results[1].error is not None and results[1].events == []
    published = [event for result in results for event in result.events]
    stored = conn.execute("SELECT event_id, task_id, event_type FROM task_events ORDER BY event_id").fetchall()
    assert [(e["event_id"], e["task_id"], e["event_type"]) for e in published] == stored
    assert [row[0] for row in stored] == list(range(stored[0][0], stored[0][0] + 3))


def test_event_ids_never_reuse_those_of_deleted_events(conn):
    enqueue(conn, 2)
    (top,) = conn.execute("SELECT MAX(event_id) FROM task_events").fetchone()
    conn.execute("DELETE FROM task_events")  # as retention does
    (task_id,) = enqueue(conn, 1)
    assert conn.execute("SELECT event_id FROM task_events WHERE task_id = ?", (task_id,)).fetchone()[0] == top + 1


def test_task_ids_are_time_ordered_uuids():
    ids = [time_ordered_uuid() for _ in range(100)]
    assert all(uuid.UUID(task_id).version == 7 and str(uuid.UUID(task_id)) == task_id for task_id in ids)
    assert len(set(ids)) == 100 and ids[0][:8] <= ids[-1][:8]
