"""Retry backoff with deterministic jitter, failure decisions, poison pills and the dead-letter path."""

import json

import pytest

from goclaw_actors.errors import IllegalTransition
from goclaw_actors.fnv import fnv1a64_hex
from goclaw_actors.queue import states as st
from goclaw_actors.queue.backoff import MAX_DELAY_MS, retry_delay_ms
from goclaw_actors.queue.failure import decide_failure, error_fingerprint
from goclaw_actors.timeutil import parse_db
from tests.unit.backend_fixtures import conn  # noqa: F401 - these tests run on SQLite and PostgreSQL
from tests.unit.store_fixtures import events_of, transaction


def run_task(conn, task_id=None, max_attempts=3):
    """Enqueue (if needed), make due, claim and start a task; returns (task_id, lease_owner)."""
    with transaction(conn) as q:
        if task_id is None:
            task_id = q.enqueue("s1", {"content": "hi"}, max_attempts=max_attempts)["task_id"]
        conn.execute("UPDATE tasks SET available_at = '2000-01-01 00:00:00.000000' WHERE id = ?", (task_id,))
        claimed = q.claim("default", lease_seconds=30)
        assert claimed.id == task_id
        q.start(task_id, claimed.lease_owner, 30)
    return task_id, claimed.lease_owner


def fail_once(conn, task_id, error, max_attempts=3):
    task_id, owner = run_task(conn, task_id, max_attempts)
    with transaction(conn) as q:
        return task_id, q.fail(task_id, owner, error)


def row(conn, task_id, columns):
    return conn.execute(f"SELECT {columns} FROM tasks WHERE id = ?", (task_id,)).fetchone()


@pytest.mark.parametrize("task_id", ["t1", "t2", "abc", "0f3e9a7c-1111-2222-3333-444455556666"])
def test_first_two_delays_within_spec_bounds(task_id):
    assert 1000 <= retry_delay_ms(task_id, 1) < 1500
    assert 2000 <= retry_delay_ms(task_id, 2) < 3000


@pytest.mark.parametrize("attempt", range(1, 12))
def test_delay_bounds_per_attempt(attempt):
    base = min(1000 * 2 ** (attempt - 1), MAX_DELAY_MS)
    for task_id in ("a", "b", "c", "d"):
        delay = retry_delay_ms(task_id, attempt)
        assert base <= delay <= MAX_DELAY_MS
        assert delay < base + base // 2 or delay == MAX_DELAY_MS


def test_jitter_is_deterministic_and_follows_formula():
    for attempt in (1, 2, 3, 4):
        base = 1000 * 2 ** (attempt - 1)
        jitter = int(fnv1a64_hex(f"task-x:{attempt}")[:8], 16) % (base // 2)
        assert retry_delay_ms("task-x", attempt) == base + jitter == retry_delay_ms("task-x", attempt)
    assert len({retry_delay_ms(f"task-{i}", 1) for i in range(50)}) > 10


def test_large_attempts_are_capped_and_zero_is_clamped():
    assert retry_delay_ms("t", 6) == MAX_DELAY_MS
    assert retry_delay_ms("t", 1000) == MAX_DELAY_MS
    assert retry_delay_ms("t", 0) == retry_delay_ms("t", 1)


def test_error_fingerprint_normalises_case_whitespace_and_length():
    assert error_fingerprint("  Boom Error \n") == error_fingerprint("boom error") == fnv1a64_hex("boom error")
    long_a, long_b = "x" * 512 + "tail-a", "x" * 512 + "tail-b"
    assert error_fingerprint(long_a) == error_fingerprint(long_b)
    assert error_fingerprint("x" * 511 + "a") != error_fingerprint("x" * 511 + "b")


def test_decide_failure_retry_poison_and_max_attempts():
    fp = error_fingerprint("same")
    retry = decide_failure("t", 0, 3, None, 0, "same")
    assert (retry.attempt, retry.poison_count, retry.dead_letter) == (1, 1, False)
    assert retry.reason_code == st.RETRY_PROCESSOR_ERROR and retry.delay_ms == retry_delay_ms("t", 1)
    again = decide_failure("t", 1, 5, fp, 1, "SAME ")
    assert (again.poison_count, again.dead_letter) == (2, False)
    poison = decide_failure("t", 2, 5, fp, 2, "same")
    assert (poison.poison_count, poison.reason_code, poison.dead_letter) == (3, st.DEAD_LETTER_POISON_PILL, True)
    reset = decide_failure("t", 2, 5, fp, 2, "different")
    assert (reset.poison_count, reset.dead_letter) == (1, False)
    both = decide_failure("t", 2, 3, fp, 2, "same")
    assert both.reason_code == st.DEAD_LETTER_MAX_ATTEMPTS and both.dead_letter and both.delay_ms == 0


def test_failed_attempt_is_retried_with_backoff(conn):
    task_id, outcome = fail_once(conn, task_id=None, error="brain respond: boom")
    delay = retry_delay_ms(task_id, 1)
    assert outcome == {"status": st.QUEUED, "reason_code": st.RETRY_PROCESSOR_ERROR, "attempt": 1, "delay_ms": delay}
    status, attempt, error, code, fp, poison, owner, available, updated = row(
        conn, task_id, "status, attempt, error, last_error_code, last_error_fingerprint, poison_count, "
        "lease_owner, available_at, updated_at")
    assert (status, attempt, error, code, poison, owner) == (
        st.QUEUED, 1, "brain respond: boom", st.RETRY_PROCESSOR_ERROR, 1, None)
    assert fp == error_fingerprint("brain respond: boom")
    waited_ms = (parse_db(available) - parse_db(updated)).total_seconds() * 1000
    assert delay <= waited_ms < delay + 1000
    assert events_of(conn, task_id)[-2:] == [
        (st.EV_RETRY_WAIT, st.RUNNING, st.RETRY_WAIT), (st.EV_REQUEUED, st.RETRY_WAIT, st.QUEUED)]
    payloads = [json.loads(p) for (p,) in conn.execute(
        "SELECT payload_json FROM task_events WHERE task_id = ? ORDER BY event_id DESC LIMIT 2", (task_id,))]
    assert payloads[1] == {"reason": "retry_scheduled", "reason_code": st.RETRY_PROCESSOR_ERROR,
                           "attempt": 1, "max_attempts": 3, "delay_ms": delay}
    assert payloads[0] == {"reason": "ready_for_retry", "reason_code": st.RETRY_PROCESSOR_ERROR}


def test_retried_task_is_not_claimable_before_its_delay(conn):
    task_id, _ = fail_once(conn, None, "boom")
    with transaction(conn) as q:
        assert q.claim("default", 30) is None


def test_max_attempts_ends_in_dead_letter(conn):
    task_id, first = fail_once(conn, None, "error one")
    _, second = fail_once(conn, task_id, "error two")
    _, third = fail_once(conn, task_id, "error three")
    assert [first["status"], second["status"]] == [st.QUEUED, st.QUEUED]
    assert third == {"status": st.DEAD_LETTER, "reason_code": st.DEAD_LETTER_MAX_ATTEMPTS, "attempt": 3,
                     "delay_ms": 0}
    assert row(conn, task_id, "status, attempt, error, last_error_code") == (
        st.DEAD_LETTER, 3, "error three", st.DEAD_LETTER_MAX_ATTEMPTS)
    assert events_of(conn, task_id)[-2:] == [
        (st.EV_FAILED, st.RUNNING, st.FAILED), (st.EV_DEAD_LETTER, st.FAILED, st.DEAD_LETTER)]
    (payload,) = conn.execute("SELECT payload_json FROM task_events WHERE task_id = ? AND event_type = ?",
                              (task_id, st.EV_DEAD_LETTER)).fetchone()
    assert json.loads(payload) == {"reason": "terminal_failure", "reason_code": st.DEAD_LETTER_MAX_ATTEMPTS}
    with transaction(conn) as q:
        assert q.claim("default", 30) is None


def test_repeated_error_is_a_poison_pill(conn):
    task_id, _ = fail_once(conn, None, "Same failure", max_attempts=10)
    _, second = fail_once(conn, task_id, "same failure  ")
    _, third = fail_once(conn, task_id, "SAME FAILURE")
    assert second["status"] == st.QUEUED
    assert third == {"status": st.DEAD_LETTER, "reason_code": st.DEAD_LETTER_POISON_PILL, "attempt": 3,
                     "delay_ms": 0}
    assert row(conn, task_id, "status, poison_count, last_error_code") == (
        st.DEAD_LETTER, 3, st.DEAD_LETTER_POISON_PILL)
    (payload,) = conn.execute("SELECT payload_json FROM task_events WHERE task_id = ? AND event_type = ?",
                              (task_id, st.EV_FAILED)).fetchone()
    assert json.loads(payload) == {"reason": "processor_error", "reason_code": st.DEAD_LETTER_POISON_PILL,
                                   "attempt": 3, "max_attempts": 10}


def test_a_non_retriable_failure_is_dead_lettered_at_once_with_its_kind(conn):
    task_id, owner = run_task(conn)
    failure = {"kind": "context_length_exceeded", "retriable": False, "retry_after": None}
    with transaction(conn) as q:
        outcome = q.fail(task_id, owner, "brain respond: context too long", failure=failure)
    assert outcome == {"status": st.DEAD_LETTER, "reason_code": st.DEAD_LETTER_NON_RETRIABLE, "attempt": 1,
                       "delay_ms": 0}
    assert row(conn, task_id, "status, attempt, error") == (st.DEAD_LETTER, 1, "brain respond: context too long")
    (payload,) = conn.execute("SELECT payload_json FROM task_events WHERE task_id = ? AND event_type = ?",
                              (task_id, st.EV_FAILED)).fetchone()
    assert json.loads(payload) == {"reason": "processor_error", "reason_code": st.DEAD_LETTER_NON_RETRIABLE,
                                   "attempt": 1, "max_attempts": 3, "failure": failure}
    from goclaw_actors.store.sqlite_reads import last_failure
    assert last_failure(conn, task_id) == failure


def test_a_retriable_failure_keeps_its_kind_and_is_retried(conn):
    task_id, owner = run_task(conn)
    failure = {"kind": "upstream_rate_limited", "retriable": True, "retry_after": 60}
    with transaction(conn) as q:
        assert q.fail(task_id, owner, "rate limited", failure=failure)["status"] == st.QUEUED
    (payload,) = conn.execute("SELECT payload_json FROM task_events WHERE task_id = ? AND event_type = ?",
                              (task_id, st.EV_RETRY_WAIT)).fetchone()
    assert json.loads(payload)["failure"] == failure


def test_alternating_errors_reset_poison_count(conn):
    task_id = None
    for error in ("a", "a", "b", "a"):
        task_id, outcome = fail_once(conn, task_id, error, max_attempts=10)
        assert outcome["status"] == st.QUEUED
    assert row(conn, task_id, "poison_count, attempt") == (1, 4)


def test_fail_under_a_foreign_lease_writes_nothing(conn):
    task_id, _ = run_task(conn)
    before = events_of(conn, task_id)
    with pytest.raises(IllegalTransition):
        with transaction(conn) as q:
            q.fail(task_id, "not-the-owner", "boom")
    assert row(conn, task_id, "status, attempt, error") == (st.RUNNING, 0, None)
    assert events_of(conn, task_id) == before


def test_success_stores_result_usage_reply_and_metrics(conn):
    task_id, owner = run_task(conn)
    with transaction(conn) as q:
        q.succeed(task_id, owner, {"reply": "done"}, usage={"prompt_tokens": 5, "completion_tokens": 7})
    assert row(conn, task_id, "status, result, total_tokens, lease_owner") == (
        st.SUCCEEDED, '{"reply":"done"}', 12, None)
    assert conn.execute("SELECT content FROM messages WHERE role = 'assistant'").fetchall() == [("done",)]
    assert conn.execute("SELECT COUNT(*) FROM task_metrics WHERE task_id = ?", (task_id,)).fetchone() == (1,)
