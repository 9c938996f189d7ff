"""Enqueue (backpressure, unknown agents, idempotency keys), cancel, agent backlog, aging and tool-call dedup."""

import hashlib
import json

import pytest

from goclaw_actors.errors import AgentNotFound, IdempotencyConflict, IllegalTransition, QueueSaturated, StoreError
from goclaw_actors.queue import states as st
from goclaw_actors.queue.idempotency import canonical_json, is_side_effecting, request_hash, tool_call_key
from goclaw_actors.timeutil import db_now
from tests.unit.backend_fixtures import conn, is_postgres  # noqa: F401 - these tests run on SQLite and PostgreSQL
from tests.unit.store_fixtures import events_of, transaction


def enqueue(conn, agent_id="default", content="hello", **kwargs):
    with transaction(conn) as q:
        return q.enqueue("s1", {"content": content}, agent_id=agent_id, **kwargs)["task_id"]


def counts(conn):
    return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                 for t in ("tasks", "messages", "sessions", "task_events"))


def row(conn, task_id, columns):
    return conn.execute(f"SELECT {columns} FROM tasks WHERE id = ?", (task_id,)).fetchone()


def run(conn, agent_id="default"):
    with transaction(conn) as q:
        task = q.claim(agent_id, 30)
        q.start(task.id, task.lease_owner, 30)
    return task.id, task.lease_owner


def test_enqueue_writes_session_message_task_and_event(conn):
    task_id = enqueue(conn, priority=4)
    assert row(conn, task_id, "status, attempt, max_attempts, priority, type, agent_id, payload") == (
        st.QUEUED, 0, 3, 4, "chat", "default", '{"content":"hello"}')
    assert conn.execute("SELECT session_id, agent_id, role, content FROM messages").fetchall() == [
        ("s1", "default", "user", "hello")]
    assert conn.execute("SELECT id FROM sessions").fetchall() == [("s1",)]
    assert events_of(conn, task_id) == [(st.EV_ENQUEUED, None, st.QUEUED)]


@pytest.mark.parametrize("payload", [{}, {"content": ""}, {"content": "   "}, {"content": 5}, "text"])
def test_enqueue_rejects_invalid_payload(conn, payload):
    before = counts(conn)
    with pytest.raises(StoreError, match="payload.content"):
        with transaction(conn) as q:
            q.enqueue("s1", payload)
    assert counts(conn) == before


def test_enqueue_rejects_unknown_task_type(conn):
    with pytest.raises(StoreError, match="unknown task type"):
        enqueue(conn, task_type="bogus")


def test_backpressure_refuses_when_queue_is_full_and_writes_nothing(conn):
    with transaction(conn) as q:
        q.upsert_agent("capped", {"max_queue_depth": 2})
    enqueue(conn, "capped")
    enqueue(conn, "capped")
    before = counts(conn)
    with pytest.raises(QueueSaturated, match=r"^queue saturated; retry later$"):
        enqueue(conn, "capped", content="third")
    assert counts(conn) == before
    run(conn, "capped")  # a claimed task no longer counts against the cap
    enqueue(conn, "capped", content="third")
    for _ in range(5):
        enqueue(conn)  # default agent has max_queue_depth 0: unlimited


def test_unknown_or_stopped_agent_is_refused(conn):
    before = counts(conn)
    with pytest.raises(AgentNotFound, match=r'^agent "nope" not found$'):
        enqueue(conn, "nope")
    with transaction(conn) as q:
        q.upsert_agent("sleepy", {}, status="stopped")
    with pytest.raises(AgentNotFound):
        enqueue(conn, "sleepy")
    assert counts(conn) == before


def test_idempotency_key_returns_the_same_task(conn):
    with transaction(conn) as q:
        first = q.enqueue("s1", {"content": "a"}, idempotency_key="k1")
        again = q.enqueue("s1", {"content": "a"}, idempotency_key="k1")
        other = q.enqueue("s1", {"content": "b"}, idempotency_key="k2")
    assert first["created"] is True
    assert again == {"task_id": first["task_id"], "created": False}
    assert other["task_id"] != first["task_id"]
    assert counts(conn)[:2] == (2, 2)


def test_cancel_queued_task(conn):
    task_id = enqueue(conn)
    with transaction(conn) as q:
        assert q.cancel(task_id) is True
    assert row(conn, task_id, "status, error, last_error_code, cancel_requested") == (
        st.CANCELED, "aborted", st.ABORTED, 1)
    assert events_of(conn, task_id)[-1] == (st.EV_CANCELED, st.QUEUED, st.CANCELED)
    with transaction(conn) as q:
        assert q.claim("default", 30) is None
        assert q.cancel(task_id) is False
    assert len(events_of(conn, task_id)) == 2


def test_cancel_running_task_revokes_its_lease(conn):
    enqueue(conn)
    task_id, owner = run(conn)
    with transaction(conn) as q:
        assert q.cancel(task_id) is True
    assert row(conn, task_id, "status, lease_owner") == (st.CANCELED, None)
    assert events_of(conn, task_id)[-1] == (st.EV_CANCELED, st.RUNNING, st.CANCELED)
    with pytest.raises(IllegalTransition):
        with transaction(conn) as q:
            q.heartbeat(task_id, owner, 30)
    with pytest.raises(IllegalTransition):
        with transaction(conn) as q:
            q.succeed(task_id, owner, {"reply": "late"})


@pytest.mark.parametrize("status", [st.SUCCEEDED, st.DEAD_LETTER, st.CANCELED])
def test_cancel_of_terminal_task_changes_nothing(conn, status):
    task_id = enqueue(conn)
    conn.execute("UPDATE tasks SET status = ? WHERE id = ?", (status, task_id))
    with transaction(conn) as q:
        assert q.cancel(task_id) is False
    assert row(conn, task_id, "status, error, cancel_requested") == (status, None, 0)
    assert len(events_of(conn, task_id)) == 1


def test_cancel_retry_wait_task_and_cascade_to_delegations(conn):
    parent = enqueue(conn)
    conn.execute("UPDATE tasks SET status = 'RETRY_WAIT' WHERE id = ?", (parent,))
    child = enqueue(conn, task_type="delegation", parent_task_id=parent)
    subtask = enqueue(conn, task_type="subtask", parent_task_id=parent)
    with transaction(conn) as q:
        assert q.cancel(parent) is True
    assert row(conn, parent, "status") == (st.CANCELED,)
    assert row(conn, child, "status") == (st.CANCELED,)
    assert row(conn, subtask, "status") == (st.QUEUED,)
    (payload,) = conn.execute("SELECT payload_json FROM task_events WHERE task_id = ? ORDER BY event_id DESC",
                              (child,)).fetchone()
    assert json.loads(payload) == {"reason": "parent_canceled"}


def test_cancel_agent_backlog_cancels_queued_and_claimed_only(conn):
    with transaction(conn) as q:
        q.upsert_agent("gone", {})
    running = enqueue(conn, "gone")
    run(conn, "gone")
    claimed = enqueue(conn, "gone")
    with transaction(conn) as q:
        q.claim("gone", 30)
    queued = enqueue(conn, "gone")
    bystander = enqueue(conn)
    with transaction(conn) as q:
        assert q.cancel_agent_backlog("gone") == 2
    assert [row(conn, t, "status")[0] for t in (running, claimed, queued, bystander)] == [
        st.RUNNING, st.CANCELED, st.CANCELED, st.QUEUED]
    (payload,) = conn.execute("SELECT payload_json FROM task_events WHERE task_id = ? ORDER BY event_id DESC",
                              (queued,)).fetchone()
    assert json.loads(payload) == {"reason": "agent_deleted"}


def test_aging_raises_priority_of_long_waiting_due_tasks(conn):
    old, fresh, future, capped, claimed = (enqueue(conn) for _ in range(5))
    conn.execute("UPDATE tasks SET updated_at = ?", (db_now(-31),))
    conn.execute("UPDATE tasks SET updated_at = ? WHERE id = ?", (db_now(-5), fresh))
    conn.execute("UPDATE tasks SET available_at = ? WHERE id = ?", (db_now(60), future))
    conn.execute("UPDATE tasks SET priority = 10 WHERE id = ?", (capped,))
    conn.execute("UPDATE tasks SET status = 'CLAIMED' WHERE id = ?", (claimed,))
    with transaction(conn) as q:
        assert q.age_queued() == 1
        assert q.age_queued() == 0  # updated_at was refreshed
    assert [row(conn, t, "priority")[0] for t in (old, fresh, future, capped, claimed)] == [1, 0, 0, 10, 0]
    for _ in range(15):
        conn.execute("UPDATE tasks SET updated_at = ? WHERE id = ?", (db_now(-31), old))
        with transaction(conn) as q:
            q.age_queued()
    assert row(conn, old, "priority") == (10,)


def test_tool_call_key_and_side_effect_classification():
    args = {"path": "a.txt", "content": "x"}
    key, digest = tool_call_key("t1", "write_file", args)
    assert digest == hashlib.sha256(canonical_json(args).encode()).hexdigest() == request_hash(args)
    assert key == f"t1:write_file:{digest[:16]}"
    assert tool_call_key("t1", "write_file", {"content": "x", "path": "a.txt"}) == (key, digest)
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'
    assert is_side_effecting("exec") and is_side_effecting("mcp_github_create") and not is_side_effecting("read_file")


def test_dedup_succeeded_call_returns_stored_result(conn):
    with transaction(conn) as q:
        first = q.dedup_begin("t1", "exec", {"cmd": "ls"})
        assert first.cached is False
        assert conn.execute("SELECT side_effect_status FROM tool_call_dedup").fetchone() == ("PENDING",)
        q.dedup_finish(first.key, True, {"out": "files"})
        again = q.dedup_begin("t1", "exec", {"cmd": "ls"})
    assert (again.cached, again.result, again.key) == (True, {"out": "files"}, first.key)
    status, result_json, result_hash = conn.execute(
        "SELECT side_effect_status, result_json, result_hash FROM tool_call_dedup").fetchone()
    assert status == "SUCCEEDED" and result_hash == hashlib.sha256(result_json.encode()).hexdigest()


def test_dedup_failed_call_runs_again(conn):
    with transaction(conn) as q:
        first = q.dedup_begin("t1", "exec", {"cmd": "ls"})
        q.dedup_finish(first.key, False, {"error": "nope"})
        again = q.dedup_begin("t1", "exec", {"cmd": "ls"})
    assert again.cached is False
    assert conn.execute("SELECT COUNT(*), MAX(side_effect_status) FROM tool_call_dedup").fetchone() == (1, "PENDING")


def test_dedup_same_key_different_request_is_a_conflict(conn):
    with transaction(conn) as q:
        decision = q.dedup_begin("t1", "exec", {"cmd": "ls"})
        conn.execute("UPDATE tool_call_dedup SET request_hash = 'other' WHERE idempotency_key = ?", (decision.key,))
        with pytest.raises(IdempotencyConflict, match="idempotency conflict"):
            q.dedup_begin("t1", "exec", {"cmd": "ls"})


def test_aging_works_in_batches_through_its_index_longest_unchanged_first(conn):
    """A deep backlog is aged AGING_BATCH tasks per call (no single transaction rewrites every queued row),
    through the partial index idx_tasks_aging, the longest unchanged tasks first."""
    from goclaw_actors.store.sqlite_maintenance import AGING_BATCH

    ids = [enqueue(conn, content=f"t{i}") for i in range(AGING_BATCH + 5)]
    conn.executemany("UPDATE tasks SET updated_at = ? WHERE id = ?",
                     [(db_now(-60 - index), task_id) for index, task_id in enumerate(ids)])
    if not is_postgres(conn):  # SQLite is told the index; PostgreSQL's planner picks by its statistics
        plan = conn.execute("EXPLAIN QUERY PLAN SELECT id FROM tasks INDEXED BY idx_tasks_aging WHERE status = "
                            "'QUEUED' AND priority < 10 AND updated_at <= ? ORDER BY updated_at LIMIT 1",
                            (db_now(),)).fetchall()
        assert "idx_tasks_aging" in str(plan)
    with transaction(conn) as q:
        assert q.age_queued() == AGING_BATCH
    aged = {task_id for (task_id,) in conn.execute("SELECT id FROM tasks WHERE priority = 1")}
    assert set(ids[-5:]) <= aged and ids[0] not in aged  # the longest unchanged first
    with transaction(conn) as q:
        assert q.age_queued() == 5
        assert q.age_queued() == 0
