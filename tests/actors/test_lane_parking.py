"""An attempt waiting on other work steps out of its lane (emit.waiting): the lane serves other tasks
meanwhile, the attempt takes a lane slot back before anything new is claimed, keeps its lease, and can be
canceled while it waits."""

from collections import defaultdict

import gevent
import gevent.event
import pytest

from actors.worker import CancelTask, LaneStatus
from goclaw_actors.processor import lane_waiting
from goclaw_actors.queue.lane_settings import LaneSettings
from goclaw_actors.store.sqlite_reads import get_task, task_events
from goclaw_actors.timeutil import db_now
from tests.actors.lane_fixtures import start_lanes, stop_lanes
from tests.helpers import wait_until


class WaitingProcessor:
    """`wait:<name>` waits outside its lane until the test sets that event; `sleep:<s>` holds the lane."""

    name = "waiting"

    def __init__(self):
        self.events = defaultdict(gevent.event.Event)

    def process(self, task, emit):
        content = task.payload["content"]
        if content.startswith("wait:"):
            with lane_waiting(emit)():
                self.events[content[5:]].wait(20)
            return {"reply": f"waited {content[5:]}"}
        if content.startswith("sleep:"):
            gevent.sleep(float(content[6:]))
        return {"reply": f"echo {content}"}


@pytest.fixture
def one_lane(tmp_path):
    processor = WaitingProcessor()
    lanes = start_lanes(tmp_path, LaneSettings(agent_id="default", worker_count=1, lease_seconds=0.6,
                                               tick_seconds=0.1), processor)
    lanes.processor = processor
    yield lanes
    stop_lanes(lanes)


def lane(lanes):
    return lanes.registry.lookup("worker:0").ask(LaneStatus())


def succeeded_at(lanes, task_id):
    return next(e["event_id"] for e in lanes.reads.run(task_events, task_id) if e["event_type"] == "task.succeeded")


def test_a_waiting_attempt_lets_its_only_lane_run_other_tasks(one_lane):
    lanes = one_lane
    waiting = lanes.enqueue("wait:a")
    wait_until(lambda: lane(lanes)["parked"] == 1, 10, what="the attempt parked")
    others = [lanes.enqueue(f"other {i}") for i in range(3)]
    wait_until(lambda: all(lanes.status(t) == "SUCCEEDED" for t in others), 10, what="the others ran meanwhile")
    assert lanes.status(waiting) == "RUNNING"
    gevent.sleep(0.8)  # longer than the lease: the parked attempt's lease is renewed too
    assert lanes.task(waiting).lease_expires_at > db_now()
    lanes.processor.events["a"].set()
    wait_until(lambda: lanes.status(waiting) == "SUCCEEDED", 10, what="the waiting task done")
    assert lane(lanes)["parked"] == 0 and not lane(lanes)["busy"]


def test_a_resumed_attempt_waits_for_the_lane_and_goes_before_new_claims(one_lane):
    lanes = one_lane
    waiting = lanes.enqueue("wait:b")
    wait_until(lambda: lane(lanes)["parked"] == 1, 10)
    busy = lanes.enqueue("sleep:0.4")
    wait_until(lambda: lanes.status(busy) == "RUNNING", 10)
    lanes.processor.events["b"].set()  # the wait ends while the lane runs another task
    queued = lanes.enqueue("after")
    wait_until(lambda: lanes.status(queued) == "SUCCEEDED", 10)
    assert succeeded_at(lanes, busy) < succeeded_at(lanes, waiting) < succeeded_at(lanes, queued)


def test_a_parked_attempt_can_be_canceled(one_lane):
    lanes = one_lane
    waiting = lanes.enqueue("wait:never")
    wait_until(lambda: lane(lanes)["parked"] == 1, 10)
    assert lanes.store.tasks.cancel(task_id=waiting) is True
    lanes.registry.lookup("worker:0").tell(CancelTask(waiting))
    wait_until(lambda: lane(lanes)["parked"] == 0, 10, what="the parked attempt gone")
    follow = lanes.enqueue("next")
    wait_until(lambda: lanes.status(follow) == "SUCCEEDED", 10)
    assert lanes.reads.run(get_task, waiting).status == "CANCELED"
