"""kill -9 while the writer thread is in the middle of a batch: every acknowledged write is there after the
restart, and no transaction is half there."""

import sqlite3
import uuid

import gevent

from tests.gateway.acp_client import TOKEN, AcpClient
from tests.helpers import wait_until

CLIENTS = 6
HOLD_MS = "120"  # every batch keeps its transaction open this long before COMMIT: a kill lands inside one
TERMINAL = {"SUCCEEDED", "CANCELED", "DEAD_LETTER"}
# What each state needs on disk (events in order); a task that has fewer was half written.
EVENTS_BY_STATUS = {
    "QUEUED": ["task.enqueued"],
    "RUNNING": ["task.enqueued", "task.claimed", "task.running"],
    "SUCCEEDED": ["task.enqueued", "task.claimed", "task.running", "task.succeeded"],
}


def snapshot(db_path):
    with sqlite3.connect(db_path, timeout=10) as conn:
        tasks = dict(conn.execute("SELECT id, status FROM tasks"))
        events = {}
        for task_id, kind in conn.execute("SELECT task_id, event_type FROM task_events ORDER BY event_id"):
            events.setdefault(task_id, []).append(kind)
        messages = {}
        for session_id, role in conn.execute("SELECT session_id, role FROM messages ORDER BY id"):
            messages.setdefault(session_id, []).append(role)
        sessions = dict(conn.execute("SELECT id, session_id FROM tasks"))
        metrics = {row[0] for row in conn.execute("SELECT task_id FROM task_metrics")}
    return tasks, events, messages, sessions, metrics


def test_kill9_during_a_batch_commit_keeps_every_acknowledged_write(home, daemons):
    env = {"GOCLAW_AUTH_TOKEN": TOKEN, "GOCLAW_DEBUG_COMMIT_DELAY_MS": HOLD_MS}
    daemon = daemons(home, env=env).start().wait_healthy()
    acknowledged: list[str] = []
    in_flight: set[str] = set()

    def client():
        acp = AcpClient(daemon.port).hello()
        while True:
            session = str(uuid.uuid4())
            in_flight.add(session)
            try:
                reply = acp.call("agent.chat", {"session_id": session, "content": "hello"})
            except Exception:  # noqa: BLE001 - the daemon was killed under this request
                return
            in_flight.discard(session)
            acknowledged.append(reply["task_id"])

    clients = [gevent.spawn(client) for _ in range(CLIENTS)]
    wait_until(lambda: len(acknowledged) >= 3 * CLIENTS, timeout=20, what="acknowledged chats")
    gevent.sleep(int(HOLD_MS) / 2000)  # half way into the transaction of the next batch
    unacknowledged = set(in_flight)
    daemon.kill9()
    gevent.joinall(clients, timeout=10)
    assert unacknowledged, "no request was waiting for its commit when the daemon was killed"

    tasks, events, messages, sessions, metrics = snapshot(daemon.db_path)
    assert set(acknowledged) <= set(tasks), "an acknowledged task is missing"
    for task_id, status in tasks.items():  # every transaction is all there or not at all
        assert events[task_id] == EVENTS_BY_STATUS[status], (status, events[task_id])
        session_messages = messages[sessions[task_id]]
        assert session_messages == (["user", "assistant"] if status == "SUCCEEDED" else ["user"])
        assert (task_id in metrics) == (status == "SUCCEEDED")
    assert set(events) <= set(tasks) and set(messages) == set(sessions.values())
    for session in unacknowledged:  # in the batch that died, or never sent: all of it or nothing
        assert session not in messages or session in sessions.values()

    restarted = daemons(home, env={"GOCLAW_AUTH_TOKEN": TOKEN}).start().wait_healthy()
    wait_until(lambda: set(snapshot(restarted.db_path)[0].values()) <= TERMINAL, timeout=20, what="every task ran")
    assert set(acknowledged) <= set(snapshot(restarted.db_path)[0])
