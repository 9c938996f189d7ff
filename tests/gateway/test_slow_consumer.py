"""A WebSocket client that stops reading while its session produces events: the daemon holds a bounded amount
for it (the subscriber queue, then drops, SPEC §1.6), keeps serving every other client, and when the slow client
reads again it finds the events in order, then `system.backpressure` and a 1008 close to resubscribe."""

import os
import uuid

import psutil

from actors.event_bus import Publish
from tests.gateway.acp_client import AcpClient, port_of
from tests.helpers import wait_until

FLOOD_EVENTS = 20_000
BATCH = 500
MIB = 1024 * 1024


def event(session: str, event_id: int) -> dict:
    return {"event_id": event_id, "task_id": "t-slow", "session_id": session, "agent_id": "default",
            "event_type": "task.enqueued", "state_from": None, "state_to": "QUEUED", "run_id": "",
            "trace_id": session, "payload_json": '{"reason":"create_task","pad":"' + "x" * 300 + '"}',
            "created_at": "2026-01-01 00:00:00"}


def test_a_client_that_stops_reading_costs_bounded_memory_and_blocks_nobody(api):
    port, session = port_of(api), str(uuid.uuid4())
    slow = AcpClient(port, receive_buffer=4096).hello()
    slow.call("session.events.subscribe", {"session_id": session, "from_event_id": 0})
    fast = AcpClient(port).hello()
    bus = api.daemon.runtime.registry.lookup("event_bus")
    process = psutil.Process(os.getpid())
    before = process.memory_info().rss
    for start in range(1, FLOOD_EVENTS + 1, BATCH):  # ~7 MB of events for a socket nobody reads
        bus.ask(Publish([event(session, n) for n in range(start, start + BATCH)]), timeout=10)
        assert fast.call("system.status")["healthy"]  # everyone else is served meanwhile
    grown = process.memory_info().rss - before
    assert grown < 32 * MIB, f"resident memory grew by {grown / MIB:.1f} MiB"
    assert api.context().ask("event_bus", "dropped") > 0  # the slow subscriber's queue overflowed

    assert slow.close_frame() == (1008, "backpressure")
    ids = [params["event_id"] for params in slow.notifications_of("session.event")]
    assert ids == list(range(1, len(ids) + 1)) and len(ids) < FLOOD_EVENTS
    assert slow.notifications_of("system.backpressure")[0]["reason"] == "subscriber_overflow"
    assert fast.call("system.status")["healthy"]
    wait_until(lambda: fast.call("session.list", {})["sessions"] is not None, timeout=5, what="still serving")
