"""kill -9 while tasks run: after a restart every task is terminal exactly as SPEC §3.8 says."""

import json
import sqlite3

from goclaw_actors.processor import FALLBACK_REPLY
from tests.helpers import insert_task, wait_until

TERMINAL = {"SUCCEEDED", "CANCELED", "DEAD_LETTER"}
SLOW = {"GOCLAW_DEBUG_TASK_DELAY_MS": "4000"}


def rows(db_path):
    with sqlite3.connect(db_path, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return {row["id"]: dict(row) for row in conn.execute("SELECT * FROM tasks")}


def events(db_path, task_id):
    with sqlite3.connect(db_path, timeout=5) as conn:
        return [(kind, json.loads(payload)) for kind, payload in conn.execute(
            "SELECT event_type, payload_json FROM task_events WHERE task_id = ? ORDER BY event_id", (task_id,))]


def enqueue(db_path, count, max_attempts):
    with sqlite3.connect(db_path, timeout=5) as conn:
        ids = [insert_task(conn, f"task {i}", max_attempts=max_attempts) for i in range(count)]
        conn.commit()
    return ids


def running(db_path):
    return [tid for tid, row in rows(db_path).items() if row["status"] == "RUNNING"]


def test_kill9_mid_task_then_restart_finishes_every_task_by_the_rules(home, daemons):
    first = daemons(home, env=SLOW).start().wait_healthy()
    once = enqueue(first.db_path, 2, max_attempts=1)
    thrice = enqueue(first.db_path, 6, max_attempts=3)
    wait_until(lambda: len(running(first.db_path)) == 4, timeout=10, what="four running tasks")
    was_running = set(running(first.db_path))
    first.kill9()

    before = rows(first.db_path)
    assert {row["status"] for row in before.values()} <= {"QUEUED", "CLAIMED", "RUNNING"}

    second = daemons(home).start().wait_healthy()
    wait_until(lambda: all(row["status"] in TERMINAL for row in rows(second.db_path).values()),
               timeout=30, what="every task terminal")
    after = rows(second.db_path)
    assert len(after) == 8
    for task_id in once + thrice:
        row, kinds = after[task_id], [kind for kind, _ in events(second.db_path, task_id)]
        if task_id in was_running and task_id in once:
            # the lost run spent the only attempt: FAILED then DEAD_LETTER, never run again
            assert row["status"] == "DEAD_LETTER" and row["last_error_code"] == "DEAD_LETTER_MAX_ATTEMPTS"
            assert kinds[-2:] == ["task.failed", "task.dead_letter"]
            assert dict(events(second.db_path, task_id))["task.failed"]["reason"] == "startup_recovery"
        else:
            assert row["status"] == "SUCCEEDED"
            assert json.loads(row["result"])["reply"] == FALLBACK_REPLY
        if task_id in was_running and task_id in thrice:
            assert "task.recovered" in kinds and row["attempt"] == 1
            recovered = dict(events(second.db_path, task_id))["task.recovered"]
            assert recovered["reason"] == "startup_recovery"
        if task_id not in was_running and before[task_id]["status"] == "QUEUED":
            assert "task.recovered" not in kinds and row["attempt"] == 0
    assert second.terminate() == 0


def test_a_task_that_keeps_crashing_the_daemon_ends_in_the_dead_letter_queue(home, daemons):
    task_id = None
    for round_no in range(2):
        daemon = daemons(home, env=SLOW).start().wait_healthy()
        if task_id is None:
            task_id = enqueue(daemon.db_path, 1, max_attempts=2)[0]
        wait_until(lambda: running(daemon.db_path) == [task_id], timeout=10, what=f"run {round_no + 1}")
        daemon.kill9()
    last = daemons(home, env=SLOW).start().wait_healthy()
    row = rows(last.db_path)[task_id]
    assert row["status"] == "DEAD_LETTER" and row["attempt"] == 2
    assert row["last_error_code"] == "DEAD_LETTER_MAX_ATTEMPTS"
    assert last.terminate() == 0
