"""Store operations of delegation and inter-agent messages (SPEC §7.2, §7.3): child task and row in one
transaction, the row completed with the child, async results taken once per task, messages once per call."""

import json

import pytest

from goclaw_actors.errors import AgentNotFound, QueueSaturated
from goclaw_actors.store.delegation_reads import get_delegation, has_delegation_results
from goclaw_actors.store.sqlite_agent_messages import MAX_MESSAGE_DEPTH, message_session_id
from goclaw_actors.store.sqlite_reads import get_task
from tests.unit.store_fixtures import conn, transaction  # noqa: F401  (fixture)

SESSION = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def two_agents(conn):  # noqa: F811
    with transaction(conn) as q:
        q.upsert_agent("helper", {"max_queue_depth": 0, "worker_count": 2})
    return conn


def start(conn, mode="async", key="delegate:k1", parent="parent-task"):
    with transaction(conn) as q:
        return q.start_delegation(parent_task_id=parent, parent_agent="default", child_agent="helper",
                                  session_id=SESSION, prompt="summarise", hop=1, mode=mode, idempotency_key=key)


def run_child(conn, reply=None, error=None):
    with transaction(conn) as q:
        task = q.claim_and_start("helper", 30)
        if error is None:
            q.succeed(task.id, task.lease_owner, {"reply": reply})
        else:
            q.fail(task.id, task.lease_owner, error, failure={"kind": "x", "retriable": False})
    return task.id


def test_a_delegation_enqueues_its_child_once_per_idempotency_key(two_agents):
    conn = two_agents
    started = start(conn)
    assert started["created"] is True
    again = start(conn)
    assert again == {**started, "created": False}
    child = get_task(conn, started["task_id"])
    assert (child.type, child.agent_id, child.session_id, child.parent_task_id) == (
        "delegation", "helper", SESSION, "parent-task")
    assert child.payload["delegation_hop"] == 1 and child.payload["content"] == "summarise"
    row = get_delegation(conn, started["delegation_id"])
    assert (row["status"], row["mode"], row["parent_agent"], row["child_agent"], row["injected"]) == (
        "queued", "async", "default", "helper", 0)
    assert conn.execute("SELECT delegations, messages FROM agent_collaboration_metrics WHERE from_agent = 'default' "
                        "AND to_agent = 'helper'").fetchone() == (1, 0)
    assert conn.execute("SELECT COUNT(*) FROM tasks WHERE type = 'delegation'").fetchone() == (1,)


def test_a_refused_child_leaves_nothing_behind(two_agents):
    conn = two_agents
    with transaction(conn) as q:
        q.upsert_agent("helper", {"max_queue_depth": 1})
    start(conn, key="delegate:a")
    with pytest.raises(QueueSaturated):
        start(conn, key="delegate:b")
    with pytest.raises(AgentNotFound):
        with transaction(conn) as q:
            q.start_delegation("p", "default", "nobody", SESSION, "x", 1, "sync", "delegate:c")
    assert conn.execute("SELECT COUNT(*) FROM delegations").fetchone() == (1,)


def test_the_row_takes_the_outcome_of_its_child_in_the_same_transaction(two_agents):
    conn = two_agents
    ok = start(conn, key="delegate:ok")
    run_child(conn, reply="the summary")
    row = get_delegation(conn, ok["delegation_id"])
    assert (row["status"], row["result"], row["error_msg"]) == ("completed", "the summary", None)
    assert row["completed_at"] is not None
    failed = start(conn, key="delegate:bad")
    run_child(conn, error="boom")
    row = get_delegation(conn, failed["delegation_id"])
    assert (row["status"], row["result"], row["error_msg"]) == ("failed", None, "boom")


def test_aborting_keeps_the_reason_and_cancels_the_child(two_agents):
    conn = two_agents
    started = start(conn, mode="sync")
    with transaction(conn) as q:
        assert q.abort_delegation(started["delegation_id"], "delegation timed out after 5s") is True
        assert q.abort_delegation(started["delegation_id"], "again") is False
    assert get_task(conn, started["task_id"]).status == "CANCELED"
    row = get_delegation(conn, started["delegation_id"])
    assert (row["status"], row["error_msg"]) == ("canceled", "delegation timed out after 5s")


def test_canceling_the_parent_cancels_its_delegation_children(two_agents):
    conn = two_agents
    with transaction(conn) as q:
        parent = q.enqueue(SESSION, {"content": "parent"})["task_id"]
    started = start(conn, parent=parent)
    with transaction(conn) as q:
        assert q.cancel(parent) is True
    assert get_task(conn, started["task_id"]).status == "CANCELED"
    assert get_delegation(conn, started["delegation_id"])["status"] == "canceled"


def test_async_results_are_taken_by_one_task_and_again_by_its_retries_only(two_agents):
    conn = two_agents
    sync = start(conn, mode="sync", key="delegate:s")
    run_child(conn, reply="sync reply")
    started = start(conn, key="delegate:a")
    assert not has_delegation_results(conn, "turn-1", SESSION, "default")  # not ended yet
    run_child(conn, reply="async reply")
    assert has_delegation_results(conn, "turn-1", SESSION, "default")
    with transaction(conn) as q:
        taken = q.take_delegation_results("turn-1", SESSION, "default")
    assert [row["id"] for row in taken] == [started["delegation_id"]]  # never a sync one
    assert sync["delegation_id"] not in [row["id"] for row in taken]
    with transaction(conn) as q:
        assert [row["id"] for row in q.take_delegation_results("turn-1", SESSION, "default")] == [
            started["delegation_id"]]  # the same task, retried
        assert q.take_delegation_results("turn-2", SESSION, "default") == []  # the next turn: already given
        assert q.take_delegation_results("turn-3", "33333333-3333-4333-8333-333333333333", "default") == []
    row = get_delegation(conn, started["delegation_id"])
    assert row["injected"] == 1


def test_a_message_is_stored_and_delivered_once_per_call(two_agents):
    conn = two_agents
    with transaction(conn) as q:
        sent = q.send_agent_message("default", "helper", "hello", 1, "send_message:k")
        assert q.send_agent_message("default", "helper", "hello", 1, "send_message:k") == sent
    task = get_task(conn, sent["task_id"])
    assert (task.type, task.agent_id, task.session_id) == ("agent_message", "helper",
                                                           message_session_id("helper", "default"))
    assert task.payload["content"] == "[Message from @default]: hello" and task.payload["message_depth"] == 1
    assert message_session_id("a", "b") == message_session_id("b", "a")
    assert conn.execute("SELECT messages FROM agent_collaboration_metrics WHERE from_agent = 'default'").fetchone() \
        == (1,)


def test_a_message_at_the_depth_limit_is_stored_but_not_enqueued(two_agents):
    conn = two_agents
    with transaction(conn) as q:
        deep = q.send_agent_message("default", "helper", "deep", MAX_MESSAGE_DEPTH)
        with pytest.raises(AgentNotFound):
            q.send_agent_message("default", "nobody", "x", 1)
    assert deep["task_id"] is None and deep["message_depth"] == MAX_MESSAGE_DEPTH
    assert conn.execute("SELECT COUNT(*) FROM tasks WHERE type = 'agent_message'").fetchone() == (0,)


def test_messages_are_read_oldest_first_once_except_by_the_same_task(two_agents):
    conn = two_agents
    with transaction(conn) as q:
        for text in ("one", "two", "three"):
            q.send_agent_message("default", "helper", text, 5)
        first = q.read_agent_messages("helper", 2, "reader-1")
        assert [m["content"] for m in first] == ["one", "two"]
        assert [m["content"] for m in q.read_agent_messages("helper", 10, "reader-1")] == ["one", "two", "three"]
        assert q.read_agent_messages("helper", 10, "reader-2") == []
        assert q.read_agent_messages("default", 10, "reader-2") == []


def test_a_team_row_is_replaced(conn):  # noqa: F811
    from goclaw_actors.store.sqlite_teams import get_team, list_teams
    with transaction(conn) as q:
        q.set_team("default", [{"role": "critic", "agent_id": "critic"}])
        q.set_team("default", [{"role": "writer", "agent_id": "writer"}])
    assert get_team(conn, "default") == [{"role": "writer", "agent_id": "writer"}]
    assert get_team(conn, "other") is None
    assert [team["lead_agent"] for team in list_teams(conn)] == ["default"]
    assert json.loads(conn.execute("SELECT members FROM agent_teams").fetchone()[0])[0]["role"] == "writer"
