"""Worker lanes against a real store actor: run, retry, timeout, cancel, heartbeat, lease loss."""

import gevent
import pytest

from actors.worker import CancelTask, Drain, LaneStatus
from goclaw_actors.policy.policy_file import parse_policy
from goclaw_actors.store.sqlite_reads import task_events
from goclaw_actors.store.sqlite_tasks import TIMEOUT_ERROR
from tests.actors.lane_fixtures import TEST_POLICY, lanes_factory  # noqa: F401  (fixture)
from tests.helpers import wait_until


def terminal(lanes, task_id):
    return lanes.status(task_id) in ("SUCCEEDED", "DEAD_LETTER", "CANCELED")


def test_tasks_run_to_success_with_reply_message(lanes_factory):
    lanes = lanes_factory(worker_count=3)
    ids = [lanes.enqueue(f"hello {i}") for i in range(20)]
    wait_until(lambda: all(lanes.status(t) == "SUCCEEDED" for t in ids), 10, what="all succeeded")
    task = lanes.task(ids[0])
    assert task.result == {"reply": "echo hello 0"} or task.result == '{"reply":"echo hello 0"}'
    kinds = [e["event_type"] for e in lanes.reads.run(task_events, ids[0])]
    assert kinds == ["task.enqueued", "task.claimed", "task.running", "task.succeeded"]


def test_processor_error_retries_then_dead_letters(lanes_factory):
    lanes = lanes_factory(worker_count=1)
    task_id = lanes.enqueue("fail:boom", max_attempts=2)
    wait_until(lambda: lanes.status(task_id) == "DEAD_LETTER", 10, what="dead letter")
    task = lanes.task(task_id)
    assert task.attempt == 2 and task.error == "boom" and task.last_error_code == "DEAD_LETTER_MAX_ATTEMPTS"


def test_invalid_processor_result_fails_the_attempt(lanes_factory):
    lanes = lanes_factory(worker_count=1)
    task_id = lanes.enqueue("bad", max_attempts=1)
    wait_until(lambda: lanes.status(task_id) == "DEAD_LETTER", 10)
    assert "invalid result" in lanes.task(task_id).error


def test_timeout_fails_with_deadline_error(lanes_factory):
    lanes = lanes_factory(worker_count=1, task_timeout_seconds=0.2)
    task_id = lanes.enqueue("sleep:5", max_attempts=1)
    wait_until(lambda: lanes.status(task_id) == "DEAD_LETTER", 10)
    assert lanes.task(task_id).error == TIMEOUT_ERROR


def test_cancel_interrupts_running_attempt_and_frees_the_lane(lanes_factory):
    lanes = lanes_factory(worker_count=1)
    slow = lanes.enqueue("sleep:30")
    wait_until(lambda: lanes.status(slow) == "RUNNING", 10)
    assert lanes.store.tasks.cancel(task_id=slow) is True
    lanes.registry.lookup("worker:0").tell(CancelTask(slow))
    wait_until(lambda: not lanes.registry.lookup("worker:0").ask(LaneStatus())["busy"], 5, what="lane free")
    follow = lanes.enqueue("after cancel")
    wait_until(lambda: lanes.status(follow) == "SUCCEEDED", 5)
    task = lanes.task(slow)
    assert task.status == "CANCELED" and task.error == "aborted" and task.last_error_code == "ABORTED"


def test_heartbeat_sees_cancel_requested(lanes_factory):
    lanes = lanes_factory(worker_count=1, tick_seconds=0.05)
    slow = lanes.enqueue("sleep:30")
    wait_until(lambda: lanes.status(slow) == "RUNNING", 10)
    lanes.store.tasks.cancel(task_id=slow)  # no CancelTask message: the heartbeat must notice
    wait_until(lambda: not lanes.registry.lookup("worker:0").ask(LaneStatus())["busy"], 5, what="lane free")


def test_heartbeat_renews_the_lease(lanes_factory):
    lanes = lanes_factory(worker_count=1, tick_seconds=0.05, lease_seconds=0.5)
    slow = lanes.enqueue("sleep:1.5")
    wait_until(lambda: lanes.status(slow) == "SUCCEEDED", 10)
    kinds = [e["event_type"] for e in lanes.reads.run(task_events, slow)]
    assert "task.lease_expired_requeued" not in kinds


def test_group_commit_batches_concurrent_writes(lanes_factory):
    lanes = lanes_factory(worker_count=1)
    jobs = [gevent.spawn(lanes.enqueue, f"m{i}") for i in range(200)]
    gevent.joinall(jobs, timeout=20, raise_error=True)
    stats = lanes.registry.lookup("store").proxy().stats().get(timeout=5)
    assert stats["requests"] >= 200
    assert stats["batches"] < stats["requests"] / 2, stats


def test_store_errors_reach_only_their_caller(lanes_factory):
    lanes = lanes_factory(worker_count=1)
    bad = gevent.spawn(lanes.store.tasks.enqueue, session_id="s", payload={"content": ""})
    good = gevent.spawn(lanes.enqueue, "fine")
    gevent.joinall([bad, good], timeout=10)
    assert "non-empty" in str(bad.exception)
    assert good.successful()
    with pytest.raises(Exception, match="unknown store operation"):
        lanes.store.call("drop_everything")


def test_store_waits_out_another_writer_without_blocking_the_hub(lanes_factory):
    import subprocess
    import sys
    import time

    lanes = lanes_factory(worker_count=1)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(0.6); c.execute('COMMIT')",
         str(lanes.db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        gaps, last = [], [time.monotonic()]

        def tick():
            while True:
                gevent.sleep(0.005)
                now = time.monotonic()
                gaps.append(now - last[0])
                last[0] = now

        ticker = gevent.spawn(tick)
        started = time.monotonic()
        task_id = lanes.enqueue("after the lock")
        waited = time.monotonic() - started
        ticker.kill()
    finally:
        holder.wait(timeout=10)
    assert lanes.status(task_id) in ("QUEUED", "CLAIMED", "RUNNING", "SUCCEEDED")
    assert waited >= 0.3  # it really waited for the other writer
    assert max(gaps) < 0.1, f"hub blocked for {max(gaps):.3f}s"


def test_stream_chunks_replay_then_live_then_run_end(lanes_factory):
    from gevent.queue import Queue

    lanes = lanes_factory(worker_count=1)
    task_id = lanes.enqueue("stream:6:0.05")
    streams = lanes.registry.lookup("task_streams").proxy()
    wait_until(lambda: len(streams.subscribe(task_id, "probe", Queue()).get()) >= 2, timeout=5)
    queue = Queue()
    replayed = streams.subscribe(task_id, "sub", queue).get()
    received = list(replayed)
    while True:
        chunk = queue.get(timeout=5)
        if chunk["type"] == "run_end":
            break
        received.append(chunk)
    assert [chunk["token"] for chunk in received] == [f"t{i} " for i in range(6)]
    wait_until(lambda: lanes.status(task_id) == "SUCCEEDED", timeout=5)
    assert streams.running().get() == 0


def test_a_fast_lane_takes_several_tasks_and_each_keeps_its_own_events(lanes_factory):
    lanes = lanes_factory(worker_count=1)
    lanes.enqueue("warm up")  # the lane prefetches only once its attempts proved fast
    wait_until(lambda: lanes.registry.lookup("worker:0").ask(LaneStatus())["completed"] == 1, 5)
    ids = [lanes.enqueue(f"fast {i}") for i in range(30)]
    wait_until(lambda: all(lanes.status(t) == "SUCCEEDED" for t in ids), 10, what="all succeeded")
    for task_id in ids:
        kinds = [e["event_type"] for e in lanes.reads.run(task_events, task_id)]
        assert kinds == ["task.enqueued", "task.claimed", "task.running", "task.succeeded"]
    claims = lanes.reads.run(lambda conn: conn.execute(  # the tasks of one claim statement share its time
        "SELECT COUNT(DISTINCT created_at) FROM task_events WHERE event_type = 'task.claimed'").fetchone()[0])
    assert claims < 31  # some claims took several tasks at once


def test_drain_gives_started_tasks_not_yet_run_back_to_the_queue(lanes_factory):
    lanes = lanes_factory(worker_count=1)
    lanes.enqueue("warm up")
    wait_until(lambda: lanes.registry.lookup("worker:0").ask(LaneStatus())["completed"] == 1, 5)
    first = lanes.enqueue("sleep:0.5")
    rest = [lanes.enqueue(f"after {i}") for i in range(3)]
    wait_until(lambda: lanes.status(first) == "RUNNING", 5)
    worker = lanes.registry.lookup("worker:0")
    worker.tell(Drain())
    wait_until(lambda: not worker.ask(LaneStatus())["busy"], 5, what="drained")
    assert lanes.status(first) == "SUCCEEDED"
    for task_id in rest:  # held by the lane when it drained, or never claimed: queued either way
        assert lanes.status(task_id) == "QUEUED"
        assert lanes.task(task_id).attempt == 0


def test_lanes_learn_a_new_processor_and_policy_version_without_asking(lanes_factory):
    lanes = lanes_factory(worker_count=1)
    before = lanes.enqueue("one")
    wait_until(lambda: lanes.status(before) == "SUCCEEDED", 5)
    new_policy = parse_policy("allow_capabilities: [acp.read, tools.exec]\n")
    lanes.registry.lookup("policy").proxy().replace(new_policy).get(timeout=5)
    lanes.registry.lookup("agent_actor").proxy().set_processor(Replying("second")).get(timeout=5)
    after = lanes.enqueue("two")
    wait_until(lambda: lanes.status(after) == "SUCCEEDED", 5)
    assert lanes.task(before).policy_version == parse_policy(TEST_POLICY).version
    assert lanes.task(after).policy_version == new_policy.version
    assert lanes.task(after).result == '{"reply":"second"}'


class Replying:
    """A processor that always answers `reply`."""

    name = "replying"

    def __init__(self, reply: str):
        self.reply = reply

    def process(self, task, emit):
        return {"reply": self.reply}
