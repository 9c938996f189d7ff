"""Delegation, messages and teams between two fake-provider agents of a real daemon (SPEC §7.2, §7.3, §12)."""

import json
import uuid

import pytest
import requests

from goclaw_actors.store.sqlite_agent_messages import message_session_id
from tests.brain.fake_server import FakeServer
from tests.e2e.delegation_fixtures import SLOW, enqueue, is_helper, script, tool_output, two_agent_model, \
    write_two_agent_home
from tests.e2e.tool_fixtures import AUTH_TOKEN, query, wait_task
from tests.gateway.acp_client import AcpClient
from tests.helpers import DaemonProcess, wait_until


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    home = tmp_path_factory.mktemp("delegation") / "home"
    home.mkdir()
    with FakeServer(handler=two_agent_model) as model:
        process = DaemonProcess(home, env=write_two_agent_home(home, model.url)).start().wait_healthy()
        process.model = model
        yield process
        assert process.terminate() == 0


def run(daemon, content, agent_id="default", session_id=None, timeout=20):
    return wait_task(daemon.db_path, enqueue(daemon.db_path, content, agent_id, session_id), timeout)


def children(daemon, parent_id):
    return query(daemon.db_path, "SELECT * FROM tasks WHERE parent_task_id = ? ORDER BY created_at", parent_id)


def delegation_of(daemon, child_id):
    return query(daemon.db_path, "SELECT * FROM delegations WHERE task_id = ?", child_id)[0]


@pytest.mark.parametrize("how", [{"target_agent": "helper"}, {"capability": "summaries"}])
def test_a_sync_delegation_returns_the_childs_result_to_the_parent(daemon, how):
    parent = run(daemon, script("delegate_task", prompt="summarise the notes", **how))
    assert parent["status"] == "SUCCEEDED"
    [child] = children(daemon, parent["id"])
    assert tool_output(parent["reply"]) == {"task_id": child["id"], "status": "SUCCEEDED",
                                            "result": "done: summarise the notes", "error": None}
    assert (child["type"], child["agent_id"], child["session_id"], child["status"]) == (
        "delegation", "helper", parent["session_id"], "SUCCEEDED")
    assert json.loads(child["payload"])["delegation_hop"] == 1
    row = delegation_of(daemon, child["id"])
    assert (row["status"], row["mode"], row["result"], row["parent_agent"], row["parent_task_id"]) == (
        "completed", "sync", "done: summarise the notes", "default", parent["id"])


def test_self_delegation_and_a_hop_past_the_limit_are_refused(daemon):
    parent = run(daemon, script("delegate_task", target_agent="default", prompt="me again"))
    assert parent["reply"] == "tool said: error: cannot delegate to self" and children(daemon, parent["id"]) == []
    back = script("delegate_task", target_agent="default", prompt="and back")  # the helper's hop would be 2
    parent = run(daemon, script("delegate_task", target_agent="helper", prompt=back))
    [child] = children(daemon, parent["id"])
    assert tool_output(parent["reply"])["result"] == "tool said: error: delegation hop limit exceeded (max 1)"
    assert children(daemon, child["id"]) == []


def test_a_sync_delegation_past_its_timeout_aborts_the_child(daemon):
    parent = run(daemon, script("delegate_task", target_agent="helper", prompt=f"{SLOW} work", timeout_sec=1))
    assert parent["reply"] == "tool said: error: delegation timed out after 1s"
    [child] = children(daemon, parent["id"])
    assert (child["status"], child["error"]) == ("CANCELED", "aborted")
    row = delegation_of(daemon, child["id"])
    assert (row["status"], row["error_msg"]) == ("canceled", "delegation timed out after 1s")


def test_an_async_result_is_injected_once_into_the_parents_next_turn(daemon):
    session = str(uuid.uuid4())
    parent = run(daemon, script("delegate_task_async", target_agent="helper", prompt="draft it"), session_id=session)
    answer = tool_output(parent["reply"])
    assert answer["status"] == "queued"
    wait_until(lambda: query(daemon.db_path, "SELECT status FROM delegations WHERE id = ?",
                             answer["delegation_id"])[0]["status"] == "completed", 10, what="the child done")
    before = len(daemon.model.seen)
    run(daemon, "what came back?", session_id=session)
    injected = '[Delegation Complete] Agent "helper" completed the task:\ndone: draft it'
    requests_of_turn = [seen for seen in daemon.model.seen[before:] if not is_helper(seen)]
    assert [m["content"] for m in requests_of_turn[0].body["messages"] if m["role"] == "user"][0] == injected
    row = query(daemon.db_path, "SELECT * FROM delegations WHERE id = ?", answer["delegation_id"])[0]
    assert row["injected"] == 1 and row["mode"] == "async"
    before = len(daemon.model.seen)
    run(daemon, "anything else?", session_id=session)
    assert all(injected not in json.dumps(seen.body) for seen in daemon.model.seen[before:])


def test_messages_between_agents(daemon):
    sender = run(daemon, script("send_message", to_agent="helper", content="hello there"))
    sent = tool_output(sender["reply"])
    assert sent["delivered"] is True and sent["depth"] == 1
    delivered = wait_task(daemon.db_path, sent["task_id"])
    assert (delivered["type"], delivered["agent_id"], delivered["session_id"]) == (
        "agent_message", "helper", message_session_id("default", "helper"))
    assert delivered["reply"] == "done: [Message from @default]: hello there"
    inbox = tool_output(run(daemon, script("read_messages"), agent_id="helper")["reply"])
    assert [(m["from_agent"], m["content"]) for m in inbox["messages"]] == [("default", "hello there")]
    assert tool_output(run(daemon, script("read_messages"), agent_id="helper")["reply"]) == {"messages": []}
    assert tool_output(run(daemon, script("send_message", to_agent="default", content="x"))["reply"]) == \
        "error: cannot send a message to self"
    metrics = requests.get(daemon.url + "/metrics", headers={"Authorization": f"Bearer {AUTH_TOKEN}"}, timeout=5).json()
    assert metrics["agent_messages_total"] >= 1 and metrics["delegations_total"] >= 1


def test_a_team_lead_fans_out_to_its_role_agents_and_gathers_their_results(daemon):
    client = AcpClient(daemon.port, token=AUTH_TOKEN).hello()
    try:
        created = client.call("agent.team.create", {"roles": "critic writer"})
        assert created == {"lead_agent": "default", "members": [
            {"role": "critic", "agent_id": "critic", "created": True},
            {"role": "writer", "agent_id": "writer", "created": True}]}
        assert client.error("agent.team.create", {"roles": ["juggler"]})[0] == 1000
        started = client.call("agent.team.run", {"prompt": "plan the launch"})
        assert client.call("agent.team.list")["teams"][0]["lead_agent"] == "default"
    finally:
        client.close()
    lead = wait_task(daemon.db_path, started["task_id"])
    assert lead["status"] == "SUCCEEDED"
    for role in ("critic", "writer"):
        assert f"--- @{role} ({role}) ---\ndone: [Team task from @default; your role: {role}]\nplan the launch" \
            in lead["reply"]
    rows = query(daemon.db_path, "SELECT child_agent, mode, status FROM delegations WHERE parent_task_id = ? "
                 "ORDER BY child_agent", started["task_id"])
    assert rows == [{"child_agent": "critic", "mode": "team", "status": "completed"},
                    {"child_agent": "writer", "mode": "team", "status": "completed"}]
