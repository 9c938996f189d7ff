"""Actor-level fixtures: a real store actor, bus and lanes on a temp database, without the daemon."""

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pykka
import pytest

from actors.agent_actor import AgentActor, GetProcessor
from actors.event_bus import EventBus, Publish
from actors.lane_dispatcher import LaneDispatcher
from actors.policy_actor import PolicyActor
from actors.store_actor import StoreActor
from actors.store_client import StoreClient
from actors.task_streams import TaskStreams
from actors.worker import WorkerActor
from goclaw_actors.policy.policy_file import parse_policy
from goclaw_actors.queue.lane_settings import LaneSettings
from goclaw_actors.store.read_pool import ReadPool
from supervisors.registry import NameRegistry


class ScriptedProcessor:
    """A processor whose behaviour is chosen per task by the task's content:
    `ok` replies, `fail:<msg>` raises, `sleep:<seconds>` sleeps then replies, `bad` returns a non-object.
    """

    name = "scripted"

    def process(self, task, emit):
        import gevent
        content = task.payload["content"]
        if content.startswith("fail:"):
            raise RuntimeError(content[5:])
        if content.startswith("sleep:"):
            gevent.sleep(float(content[6:]))
        if content == "bad":
            return ["not", "an", "object"]
        if content.startswith("stream:"):  # stream:<n>:<seconds between tokens>
            count, pause = content[7:].split(":")
            for i in range(int(count)):
                emit({"type": "token", "token": f"t{i} "})
                gevent.sleep(float(pause))
            return {"reply": "".join(f"t{i} " for i in range(int(count)))}
        return {"reply": f"echo {content}"}


@dataclass
class Lanes:
    """A running store + bus + lanes for one agent."""

    db_path: Path
    store: StoreClient
    registry: NameRegistry
    reads: ReadPool
    settings: LaneSettings
    refs: list = field(default_factory=list)

    def enqueue(self, content: str, **kwargs: Any) -> str:
        return self.store.tasks.enqueue(session_id=str(uuid.uuid4()), payload={"content": content},
                                        agent_id=self.settings.agent_id, **kwargs)["task_id"]

    def status(self, task_id: str) -> str:
        from goclaw_actors.store.sqlite_reads import get_task
        return self.reads.run(get_task, task_id).status

    def task(self, task_id: str):
        from goclaw_actors.store.sqlite_reads import get_task
        return self.reads.run(get_task, task_id)


TEST_POLICY = "allow_capabilities: [acp.read]\n"
STOP_ORDER = ["dispatcher", "worker:", "agent_actor", "policy", "task_streams", "store", "event_bus"]


def start_lanes(tmp_path: Path, settings: LaneSettings, processor=None) -> Lanes:
    """Start store, bus, policy, agent actor, dispatcher and workers wired as the daemon wires them."""
    registry = NameRegistry()
    db_path = tmp_path / "goclaw.db"
    bus = registry.address("event_bus")
    registry.register("event_bus", EventBus.start())
    registry.register("store", StoreActor.start(db_path, lambda events: bus.tell(Publish(events))))
    registry.register("task_streams", TaskStreams.start())
    store = StoreClient(registry.address("store"))
    store.agents.upsert_agent(agent_id=settings.agent_id, fields={"max_queue_depth": 0})
    reads = ReadPool(db_path)
    registry.register("policy", PolicyActor.start(parse_policy(TEST_POLICY), "test", store))
    workers = [registry.address(f"worker:{i}") for i in range(settings.worker_count)]
    agent = registry.register("agent_actor", AgentActor.start(settings.agent_id, processor or ScriptedProcessor(),
                                                              lanes=workers))
    for index in range(settings.worker_count):
        registry.register(f"worker:{index}", WorkerActor.start(
            settings, index, store, registry.address("dispatcher"), lambda: agent.ask(GetProcessor()),
            registry.address("policy"), registry.address("task_streams")))
    registry.register("dispatcher", LaneDispatcher.start(settings, workers, bus, reads))
    return Lanes(db_path, store, registry, reads, settings)


def stop_lanes(lanes: Lanes) -> None:
    """Stop every actor of `lanes`, dispatcher first, and close its read connections."""
    for prefix in STOP_ORDER:
        for name in lanes.registry.names(prefix):
            ref = lanes.registry.lookup(name)
            if ref is not None:
                ref.stop(block=True, timeout=10)
    lanes.reads.close()


@pytest.fixture
def lanes_factory(tmp_path):
    """Start lanes with given settings; everything is stopped after the test."""
    started: list[Lanes] = []

    def make(worker_count: int = 2, **timings: Any) -> Lanes:
        settings = LaneSettings(agent_id="default", worker_count=worker_count, **timings)
        lanes = start_lanes(tmp_path, settings)
        started.append(lanes)
        return lanes

    yield make
    for lanes in started:
        stop_lanes(lanes)
    assert not pykka.ActorRegistry.get_all(), "actors left running"
