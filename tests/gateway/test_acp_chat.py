"""ACP chat methods against a running daemon: agent.chat, agent.chat.stream, agent.abort, subtasks, sessions."""

import sqlite3
import uuid

import pytest

from goclaw_actors.http.chat_tasks import wait_terminal
from goclaw_actors.processor import FALLBACK_REPLY, FALLBACK_STREAM_CHUNK
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import running_daemon
from tests.helpers import wait_until

CHAT_ERROR = (1000, "session_id must be uuid and content must be non-empty")


def test_chat_enqueues_and_the_task_completes(client, api):
    session = str(uuid.uuid4())
    task_id = client.call("agent.chat", {"session_id": session, "text": "hello", "priority": 3})["task_id"]
    task = wait_terminal(api.context(), task_id, timeout=10)
    assert (task.status, task.priority, task.session_id, task.agent_id) == ("SUCCEEDED", 3, session, "default")
    assert task.payload["content"] == "hello"
    items = client.call("session.history", {"session_id": session})["items"]
    assert [(item["role"], item["content"], item["text"]) for item in items] == [
        ("user", "hello", "hello"), ("assistant", FALLBACK_REPLY, FALLBACK_REPLY)]
    assert all(item["session_id"] == session and item["created_at"].endswith("Z") for item in items)


@pytest.mark.parametrize("params", [
    {"content": "x"}, {"session_id": "not-a-uuid", "content": "x"}, {"session_id": str(uuid.uuid4())},
    {"session_id": str(uuid.uuid4()), "content": "   "},
])
def test_chat_invalid_params(client, params):
    assert client.error("agent.chat", params) == CHAT_ERROR
    assert client.error("agent.chat.stream", params) == CHAT_ERROR


def test_chat_to_unknown_agent_is_4000(client):
    assert client.error("agent.chat", {"session_id": str(uuid.uuid4()), "content": "x", "agent_id": "nope"}) == (
        4000, 'agent "nope" not found')


def test_stream_sends_chunks_then_the_response(client, api):
    session = str(uuid.uuid4())
    response = client.request("agent.chat.stream", {"session_id": session, "content": "stream please"})
    assert client.notifications_of("agent.chat.stream") == [{"content": FALLBACK_STREAM_CHUNK}]
    task = api.context().read(lambda conn: conn.execute(
        "SELECT status, payload FROM tasks WHERE id = ?", (response["result"]["task_id"],)).fetchone())
    assert task[0] == "SUCCEEDED" and '"stream":true' in task[1]


def test_abort_and_subtasks_and_purge(client, api):
    session = str(uuid.uuid4())
    parent = client.call("agent.chat", {"session_id": session, "content": "parent"})["task_id"]
    child = client.call("subtask.create", {"parent_task_id": parent, "session_id": session,
                                           "payload": {"content": "child work"}, "priority": 2})["task_id"]
    listed = client.call("subtask.list", {"parent_task_id": parent})["subtasks"]
    assert [(task["id"], task["type"], task["agent_id"]) for task in listed] == [(child, "subtask", "default")]
    assert client.error("subtask.create", {"parent_task_id": "nope", "session_id": session, "payload": "x"}) == (
        -32603, "task not found: nope")
    assert client.error("subtask.create", {"parent_task_id": parent})[0] == 1000
    assert client.error("subtask.list") == (1000, "parent_task_id is required")
    wait_terminal(api.context(), child, timeout=10)
    assert client.call("agent.abort", {"task_id": child}) == {"aborted": False}
    assert client.error("agent.abort", {"task_id": "nope"}) == (-32603, "task not found: nope")
    assert client.error("agent.abort") == (1000, "task_id is required")
    purged = client.call("session.purge", {"session_id": session})
    assert purged == {"session_id": session, "messages_deleted": 4, "tasks_tombstoned": 2,
                      "events_tombstoned": purged["events_tombstoned"], "redactions_recorded": 6}
    assert purged["events_tombstoned"] >= 8
    assert client.call("session.history", {"session_id": session}) == {"items": []}
    assert client.error("session.purge", {"session_id": "x"}) == (1000, "session_id must be uuid")


def test_session_list_and_history_limits(client, api):
    sessions = [str(uuid.uuid4()) for _ in range(3)]
    for session in sessions:
        client.call("agent.chat", {"session_id": session, "content": "hi"})
    listed = client.call("session.list", {"limit": 0})["sessions"]
    assert [entry["id"] for entry in listed] == sessions[::-1]
    assert [entry["id"] for entry in client.call("session.list", {"limit": 2})["sessions"]] == sessions[:0:-1]
    assert set(listed[0]) == {"id", "created_at"}
    for index in range(4):
        client.call("agent.chat", {"session_id": sessions[0], "content": f"m{index}"})
    items = client.call("session.history", {"session_id": sessions[0], "limit": 2})["items"]
    assert len(items) == 2 and items[0]["id"] < items[1]["id"]
    assert client.error("session.history", {"session_id": "nope"}) == (1000, "session_id must be uuid")
    assert client.error("session.list", {"limit": "many"}) == (1000, "limit must be an integer")


def test_queue_saturated_is_4290(tmp_path):
    config = "agents: []\nworker_count: 1\ndelegation_max_hops: 0\nmax_queue_depth: 1\n"
    with running_daemon(tmp_path, config, {"GOCLAW_DEBUG_TASK_DELAY_MS": "3000"}) as api:
        acp = AcpClient(port_of(api)).hello()
        session = str(uuid.uuid4())
        first = acp.call("agent.chat", {"session_id": session, "content": "one"})["task_id"]
        wait_until(lambda: api.context().read(lambda conn: conn.execute(
            "SELECT status FROM tasks WHERE id = ?", (first,)).fetchone()[0]) == "RUNNING", what="first running")
        second = acp.call("agent.chat", {"session_id": session, "content": "two"})["task_id"]
        assert acp.error("agent.chat", {"session_id": session, "content": "three"}) == (
            4290, "queue saturated; retry later")
        assert acp.call("agent.abort", {"task_id": first}) == {"aborted": True}
        assert acp.call("agent.abort", {"task_id": second}) == {"aborted": True}
        with sqlite3.connect(api.daemon.boot.home / "goclaw.db") as conn:
            rows = conn.execute("SELECT status, error, last_error_code FROM tasks ORDER BY created_at").fetchall()
        assert rows == [("CANCELED", "aborted", "ABORTED")] * 2
        acp.close()
