"""Two daemons on one PostgreSQL queue (storage.backend: postgres): tasks from both gateways, kill -9 of one
daemon mid-run, the survivor's reaper requeues the dead daemon's tasks after their lease expired (attempt
counted) and runs them; every task ends exactly once, and an ACP client on the survivor sees the events of
tasks the dead daemon ran (relayed by NOTIFY) and of those it ran itself, replayed and live."""

import uuid

import psycopg

from tests.gateway.acp_client import AcpClient
from tests.helpers import wait_until

TOKEN = "pg-token"
TASKS_PER_DAEMON = 4


def start_daemon(daemons, tmp_path, name, dsn):
    home = tmp_path / name
    home.mkdir()
    (home / "config.yaml").write_text("agents: []\nworker_count: 2\nlease_seconds: 2\nengine_tick_seconds: 0.5\n",
                                      encoding="utf-8")
    return daemons(home, env={"GOCLAW_STORAGE_BACKEND": "postgres", "GOCLAW_POSTGRES_DSN": dsn,
                              "GOCLAW_AUTH_TOKEN": TOKEN, "GOCLAW_DEBUG_TASK_DELAY_MS": "1500"}).start()


def tasks(dsn):
    with psycopg.connect(dsn) as conn:
        return {row[0]: row[1:] for row in conn.execute("SELECT id, status, attempt, lease_owner FROM tasks")}


def event_types(dsn, task_id):
    with psycopg.connect(dsn) as conn:
        return [row[0] for row in conn.execute(
            "SELECT event_type FROM task_events WHERE task_id = %s ORDER BY event_id", (task_id,))]


def running_instances(dsn):
    return {owner.split(":")[0] for status, _, owner in tasks(dsn).values() if status == "RUNNING" and owner}


def test_kill9_of_one_daemon_the_other_finishes_every_task_once_and_its_client_sees_all_events(
        pg_dsn, daemons, tmp_path):
    first = start_daemon(daemons, tmp_path, "a", pg_dsn)
    second = start_daemon(daemons, tmp_path, "b", pg_dsn)
    first.wait_healthy(30)
    second.wait_healthy(30)
    sessions = {first: str(uuid.uuid4()), second: str(uuid.uuid4())}
    # On the second daemon, a client follows the session fed through the first one, from before it exists:
    # everything it sees of the first daemon's work arrives live, relayed across daemons.
    watcher = AcpClient(second.port, token=TOKEN).hello()
    subscribed = watcher.call("session.events.subscribe", {"session_id": sessions[first], "from_event_id": 0})
    assert subscribed["subscribed"] is True and subscribed["replayed"] == 0
    created: dict[str, str] = {}  # task id -> session
    for daemon, session in sessions.items():
        client = AcpClient(daemon.port, token=TOKEN).hello()
        for index in range(TASKS_PER_DAEMON):
            task_id = client.call("agent.chat", {"session_id": session, "content": f"task {index}"})["task_id"]
            created[task_id] = session
        client.close()
    # Both daemons run tasks of the shared queue; kill the first while it holds some.
    wait_until(lambda: len(running_instances(pg_dsn)) == 2, timeout=20, what="both daemons running tasks")
    held_by_first = {task_id: status for task_id, (status, _, owner) in tasks(pg_dsn).items()
                     if status in ("CLAIMED", "RUNNING") and owner.split(":")[0] == instance_of(first)}
    first.kill9()
    assert held_by_first

    wait_until(lambda: all(status == "SUCCEEDED" for status, _, _ in tasks(pg_dsn).values()), timeout=40,
               what="every task succeeded on the survivor")
    final = tasks(pg_dsn)
    assert set(final) == set(created)
    for task_id in created:
        kinds = event_types(pg_dsn, task_id)
        assert kinds.count("task.succeeded") == 1 and kinds[-1] == "task.succeeded", (task_id, kinds)
        if task_id in held_by_first:  # lost with the first daemon: requeued by the survivor's reaper
            assert "task.lease_expired_requeued" in kinds, kinds
            assert final[task_id][1] == (1 if held_by_first[task_id] == "RUNNING" else 0), kinds  # a run spent
    with psycopg.connect(pg_dsn) as conn:  # no duplicate side effect: one reply per task
        (replies,) = conn.execute("SELECT COUNT(*) FROM messages WHERE role = 'assistant'").fetchone()
    assert replies == len(created)

    first_tasks = {task_id for task_id, session in created.items() if session == sessions[first]}
    while (message := _next(watcher)) is not None:
        watcher.notifications.append(message)
    events = watcher.notifications_of("session.event")
    ids = [event["event_id"] for event in events]
    assert ids == sorted(set(ids)), "events out of order or delivered twice"
    assert {e["task_id"] for e in events if e["event_type"] == "task.enqueued"} == first_tasks
    assert {e["task_id"] for e in events if e["event_type"] == "task.succeeded"} == first_tasks
    assert {e["task_id"] for e in events if e["event_type"] == "task.lease_expired_requeued"} == set(held_by_first) & first_tasks
    watcher.close()
    assert second.terminate() == 0


def _next(client):
    try:
        return client.recv(timeout=1.0)
    except Exception:  # noqa: BLE001 - websocket timeout: nothing more arrived
        return None


def instance_of(daemon) -> str:
    """The instance id the daemon logged at start-up (the prefix of every lease it takes)."""
    return next(line["instance"] for line in daemon.json_lines() if line.get("phase") == "schema_migrated")
