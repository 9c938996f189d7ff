"""session.events.subscribe: replay windows (0, partial, gap, exactly the limit, one over), then live
events without gap or duplicate."""

import sqlite3
import uuid


from goclaw_actors.http.chat_tasks import wait_terminal
from tests.gateway.acp_client import AcpClient, insert_events, port_of
from tests.helpers import wait_until

TERMINAL_EVENTS = 4  # task.enqueued, task.claimed, task.running, task.succeeded


def db(api):
    return api.daemon.boot.home / "goclaw.db"


def events(client):
    return client.notifications_of("session.event")


def test_empty_session(client):
    session = str(uuid.uuid4())
    assert client.call("session.events.subscribe", {"session_id": session, "from_event_id": 0}) == {
        "subscribed": True, "replayed": 0, "latest_event_id": 0}
    assert events(client) == []
    assert client.error("session.events.subscribe", {"session_id": "x"}) == (1000, "session_id must be uuid")


def test_partial_replay_in_order_with_the_event_shape(client, api):
    session = str(uuid.uuid4())
    ids = insert_events(db(api), session, 10)
    result = client.call("session.events.subscribe", {"session_id": session, "from_event_id": ids[3]})
    assert result == {"subscribed": True, "replayed": 6, "latest_event_id": ids[-1]}
    replayed = events(client)
    assert [event["event_id"] for event in replayed] == ids[4:]
    assert replayed[0] == {"event_id": ids[4], "task_id": "t-replay", "session_id": session,
                           "event_type": "task.enqueued", "state_from": "", "state_to": "QUEUED", "run_id": "",
                           "trace_id": session, "payload": '{"n": 4}', "created_at": "2026-01-01T00:00:00.000000Z"}


def test_replay_gap(client, api):
    session = str(uuid.uuid4())
    ids = insert_events(db(api), session, 5)
    with sqlite3.connect(db(api)) as conn:  # retention removed the oldest events
        conn.execute("DELETE FROM task_events WHERE event_id <= ?", (ids[2],))
    assert client.error("session.events.subscribe", {"session_id": session, "from_event_id": ids[0]}) == (
        1000, "replay_gap")
    # from_event_id = min - 1 is not a gap, nor is 0
    assert client.call("session.events.subscribe", {"session_id": session, "from_event_id": ids[2]})["replayed"] == 2
    assert client.call("session.events.subscribe", {"session_id": session, "from_event_id": 0})["replayed"] == 2


def test_exactly_the_window_is_replayed(client, api):
    session = str(uuid.uuid4())
    ids = insert_events(db(api), session, 1000)
    result = client.call("session.events.subscribe", {"session_id": session, "from_event_id": 0})
    assert result == {"subscribed": True, "replayed": 1000, "latest_event_id": ids[-1]}
    assert [event["event_id"] for event in events(client)] == ids


def test_one_over_the_window_gets_backpressure_and_1008(client, api):
    session = str(uuid.uuid4())
    insert_events(db(api), session, 1001)
    client.send({"jsonrpc": "2.0", "id": 1, "method": "session.events.subscribe",
                 "params": {"session_id": session, "from_event_id": 0}})
    assert client.close_frame() == (1008, "backpressure")
    assert client.notifications == [{"jsonrpc": "2.0", "method": "system.backpressure", "params": {
        "session_id": session, "reason": "replay_window_too_large", "max_events": 1000, "replayed": 1001}}]


def test_live_events_follow_the_replay_without_gap_or_duplicate(client, api):
    session = str(uuid.uuid4())
    first = client.call("agent.chat", {"session_id": session, "content": "before"})["task_id"]
    wait_terminal(api.context(), first, timeout=10)
    watcher = AcpClient(port_of(api))
    watcher.call("session.events.subscribe", {"session_id": session, "from_event_id": 0})
    tasks = [client.call("agent.chat", {"session_id": session, "content": f"live {n}"})["task_id"]
             for n in range(5)]
    for task_id in tasks:
        wait_terminal(api.context(), task_id, timeout=10)
    expected = api.context().read(lambda conn: [row[0] for row in conn.execute(
        "SELECT event_id FROM task_events WHERE session_id = ? ORDER BY event_id", (session,))])
    assert len(expected) == TERMINAL_EVENTS * 6
    while len(events(watcher)) < len(expected):
        watcher.notifications.append(watcher.recv())
    assert [event["event_id"] for event in events(watcher)] == expected
    watcher.close()


def test_events_committed_during_the_replay_are_neither_lost_nor_repeated(client, api):
    session = str(uuid.uuid4())
    insert_events(db(api), session, 900)
    writer = AcpClient(port_of(api)).hello()
    for n in range(10):  # enqueued while the subscriber replays
        writer.send({"jsonrpc": "2.0", "id": n, "method": "agent.chat",
                     "params": {"session_id": session, "content": f"during {n}"}})
    client.call("session.events.subscribe", {"session_id": session, "from_event_id": 0})
    task_ids = [writer.response(n)["result"]["task_id"] for n in range(10)]
    for task_id in task_ids:
        wait_terminal(api.context(), task_id, timeout=10)

    def all_sent():
        expected = api.context().read(lambda conn: [row[0] for row in conn.execute(
            "SELECT event_id FROM task_events WHERE session_id = ? ORDER BY event_id", (session,))])
        while len(events(client)) < len(expected):
            client.notifications.append(client.recv())
        return [event["event_id"] for event in events(client)] == expected

    wait_until(all_sent, what="every event exactly once, in order")
    writer.close()


def test_replay_of_1000_events_is_fast(client, api):
    import time
    session = str(uuid.uuid4())
    insert_events(db(api), session, 1000)
    started = time.monotonic()
    client.call("session.events.subscribe", {"session_id": session, "from_event_id": 0})
    assert time.monotonic() - started < 2.0


def test_live_subscriber_overflow_gets_backpressure_and_1008(client, api):
    from actors.event_bus import Publish
    session = str(uuid.uuid4())
    client.call("session.events.subscribe", {"session_id": session, "from_event_id": 0})
    flood = [{"event_id": 10 ** 9 + n, "task_id": "t-flood", "session_id": session, "agent_id": "default",
              "event_type": "task.enqueued", "state_from": None, "state_to": "QUEUED", "run_id": "",
              "trace_id": session, "payload_json": "{}", "created_at": "2026-01-01 00:00:00"} for n in range(6000)]
    api.daemon.runtime.registry.lookup("event_bus").ask(Publish(flood), timeout=10)  # more than the queue holds
    assert client.close_frame() == (1008, "backpressure")
    assert client.notifications_of("system.backpressure") == [
        {"session_id": session, "reason": "subscriber_overflow", "max_events": 1000, "replayed": 0}]
    assert api.context().ask("event_bus", "dropped") > 0
