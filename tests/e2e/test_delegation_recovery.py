"""Delegation under stress, through real daemons: a kill -9 while the child runs ends with exactly one child and
one result; every lane of two agents delegating to each other at once does not deadlock (SPEC §7.2, §2.3)."""

from dataclasses import replace

from tests.brain.fake_server import FakeServer
from tests.e2e.delegation_fixtures import enqueue, is_helper, script, tool_output, two_agent_model, \
    write_two_agent_home
from tests.e2e.tool_fixtures import query, wait_task
from tests.helpers import wait_until


def helper_hangs(seen):
    """The helper never answers in time (the daemon is killed meanwhile); the parent's model works."""
    reply = two_agent_model(seen)
    return replace(reply, delay=30) if is_helper(seen) else reply


def test_a_kill_mid_delegation_recovers_with_exactly_one_child_and_result(home, daemons):
    with FakeServer(handler=helper_hangs) as model:
        first = daemons(home, env=write_two_agent_home(home, model.url)).start().wait_healthy()
        parent_id = enqueue(first.db_path, script("delegate_task", target_agent="helper", prompt="survive this"))
        wait_until(lambda: [c["status"] for c in query(first.db_path, "SELECT status FROM tasks WHERE "
                                                       "parent_task_id = ?", parent_id)] == ["RUNNING"],
                   timeout=20, what="the child running on the helper")
        first.kill9()
    with FakeServer(handler=two_agent_model) as model:
        second = daemons(home, env=write_two_agent_home(home, model.url)).start().wait_healthy()
        parent = wait_task(second.db_path, parent_id, timeout=30)
        assert second.terminate() == 0
    [child] = query(home / "goclaw.db", "SELECT * FROM tasks WHERE parent_task_id = ?", parent_id)
    assert parent["status"] == "SUCCEEDED"
    assert tool_output(parent["reply"]) == {"task_id": child["id"], "status": "SUCCEEDED",
                                            "result": "done: survive this", "error": None}
    [row] = query(home / "goclaw.db", "SELECT * FROM delegations WHERE parent_task_id = ?", parent_id)
    assert (row["task_id"], row["status"], row["result"]) == (child["id"], "completed", "done: survive this")
    replies = query(home / "goclaw.db", "SELECT content FROM messages WHERE agent_id = 'helper' AND role = 'assistant'")
    assert [r["content"] for r in replies] == ["done: survive this"]  # the child answered once


def test_every_lane_of_two_agents_delegating_to_each_other_at_once_does_not_deadlock(home, daemons):
    with FakeServer(handler=two_agent_model) as model:
        daemon = daemons(home, env=write_two_agent_home(home, model.url, delegation_timeout_seconds=60))
        daemon.start().wait_healthy()
        parents = {}
        for index in range(3):  # more parents than the 2 lanes of each agent
            for source, target in (("default", "helper"), ("helper", "default")):
                content = script("delegate_task", target_agent=target, prompt=f"to {target} {index}")
                parents[enqueue(daemon.db_path, content, agent_id=source)] = source
        done = {task_id: wait_task(daemon.db_path, task_id, timeout=30) for task_id in parents}
        assert daemon.terminate() == 0
    for task_id, row in done.items():
        assert row["status"] == "SUCCEEDED" and tool_output(row["reply"])["status"] == "SUCCEEDED", row
    # Proof that every lane was delegating at once: some child was claimed while as many parents of its agent
    # as it has lanes (2) were running, waiting for their own children; only a lane given up by a waiting
    # parent could run it.
    events = query(home / "goclaw.db", "SELECT e.event_id, e.task_id, e.event_type, t.agent_id, t.parent_task_id "
                   "FROM task_events e JOIN tasks t ON t.id = e.task_id ORDER BY e.event_id")
    running, busiest = {"default": set(), "helper": set()}, 0
    for event in events:
        if event["task_id"] in parents and event["event_type"] == "task.running":
            running[event["agent_id"]].add(event["task_id"])
        elif event["task_id"] in parents and event["event_type"] == "task.succeeded":
            running[event["agent_id"]].discard(event["task_id"])
        elif event["parent_task_id"] in parents and event["event_type"] == "task.claimed":
            busiest = max(busiest, len(running[event["agent_id"]]))
    assert busiest >= 2
