"""The event bus: subscriptions filed by task, session or agent each get exactly their events, in commit order."""

import gevent.queue
import pykka
import pytest

from actors.event_bus import BusEvents, EventBus, Publish, Subscribe
from goclaw_actors.broadcasts import broadcast_event


def event(event_id, task_id="t1", session_id="s1", agent_id="a1", event_type="task.enqueued"):
    return {"event_id": event_id, "task_id": task_id, "session_id": session_id, "agent_id": agent_id,
            "event_type": event_type}


class Collector(pykka.ThreadingActor):
    def __init__(self):
        super().__init__()
        self.batches = []

    def on_receive(self, message):
        if isinstance(message, BusEvents):
            self.batches.append([e["event_id"] for e in message.events])
        return self.batches


@pytest.fixture
def bus():
    ref = EventBus.start()
    yield ref
    pykka.ActorRegistry.stop_all()


def drained(queue):
    """The event ids delivered to `queue` so far ("broadcast" for a broadcast)."""
    items = []
    while not queue.empty():
        items.append(queue.get_nowait().get("event_id", "broadcast"))
    return items


def test_each_subscription_gets_exactly_its_events_in_commit_order(bus):
    proxy = bus.proxy()
    queues = {name: gevent.queue.Queue() for name in ("task", "session", "agent", "typed", "all", "both")}
    proxy.subscribe("task", queues["task"], task_id="t2").get()
    proxy.subscribe("session", queues["session"], session_id="s1").get()
    proxy.subscribe("agent", queues["agent"], agent_id="a2").get()
    proxy.subscribe("typed", queues["typed"], event_types=frozenset({"task.succeeded"})).get()
    proxy.subscribe("all", queues["all"]).get()
    proxy.subscribe("both", queues["both"], agent_id="a1", event_types=frozenset({"task.succeeded"})).get()
    collector = Collector.start()
    bus.tell(Subscribe("actor", collector, {"agent_id": "a1"}))
    events = [event(1), event(2, task_id="t2", session_id="s2", agent_id="a2"),
              event(3, event_type="task.succeeded"), event(4, task_id="t2", session_id="s1", agent_id="a2")]
    bus.ask(Publish(events))
    bus.ask(Publish([broadcast_event("tools.updated", {})]))
    assert drained(queues["task"]) == [2, 4]
    assert drained(queues["session"]) == [1, 3, 4]
    assert drained(queues["agent"]) == [2, 4]
    assert drained(queues["typed"]) == [3]
    assert drained(queues["all"]) == [1, 2, 3, 4, "broadcast"]
    assert drained(queues["both"]) == [3]
    assert collector.ask("batches") == [[1, 3]]  # one message per commit


def test_replacing_and_removing_subscriptions_refiles_them(bus):
    proxy = bus.proxy()
    queue = gevent.queue.Queue()
    proxy.subscribe("w", queue, task_id="t1").get()
    proxy.subscribe("w", queue, task_id="t2").get()  # replaced: only t2 now
    bus.ask(Publish([event(1), event(2, task_id="t2")]))
    assert drained(queue) == [2]
    assert proxy.unsubscribe("w").get() is True and proxy.unsubscribe("w").get() is False
    bus.ask(Publish([event(3, task_id="t2")]))
    assert drained(queue) == [] and proxy.stats().get()["subscribers"] == 0
