"""kill -9 around a side-effecting tool call, then restart: the side effect happened exactly once (SPEC §3.10)."""

import json
import sqlite3
from dataclasses import replace

import pytest

from tests.brain.fake_server import FakeServer, json_reply
from tests.e2e.tool_fixtures import (all_tools_policy, audit_rows, completion, dedup_rows, tool_model, wait_task,
                                     write_tool_home)
from tests.helpers import insert_task, wait_until

TOOL_CAPABILITY = {"memory_write": "tools.memory_write", "exec": "tools.exec"}
CALLS = {
    "append": ("memory_write", {"path": "count.txt", "content": "x\n", "append": True}, "count.txt"),
    "exec": ("exec", {"command": "echo ran >> exec-count.txt"}, "exec-count.txt"),
}


def model_that_hangs_after_the_tool(seen):
    """Calls the scripted tool, then never answers the follow-up turn in time (the daemon gets killed)."""
    if seen.body["messages"][-1]["role"] == "tool":
        return replace(json_reply(completion({"content": "too late"})), delay=30)
    return tool_model(seen)


def enqueue(db_path, tool, arguments):
    with sqlite3.connect(db_path) as conn:
        return insert_task(conn, json.dumps({"tool": tool, "arguments": arguments}))


@pytest.mark.parametrize("case", sorted(CALLS))
def test_a_call_that_finished_before_the_crash_is_not_repeated(home, daemons, case):
    tool, arguments, filename = CALLS[case]
    target = home / "workspace" / filename
    with FakeServer(handler=model_that_hangs_after_the_tool) as model:
        first = daemons(home, env=write_tool_home(home, model.url, all_tools_policy())).start().wait_healthy()
        task_id = enqueue(first.db_path, tool, arguments)
        wait_until(lambda: [r["side_effect_status"] for r in dedup_rows(first.db_path, task_id)] == ["SUCCEEDED"]
                   and len(model.seen) >= 2, timeout=20, what="the tool call recorded and the model asked again")
        first.kill9()
    assert len(target.read_text().splitlines()) == 1
    with FakeServer(handler=tool_model) as model:
        second = daemons(home, env=write_tool_home(home, model.url, all_tools_policy())).start().wait_healthy()
        task = wait_task(second.db_path, task_id)
        assert task["status"] == "SUCCEEDED" and task["attempt"] == 1
        assert model.seen[0].body["messages"][-1]["role"] == "user"  # the recovered attempt called the tool again
        assert second.terminate() == 0
    assert len(target.read_text().splitlines()) == 1
    assert ("allow", TOOL_CAPABILITY[tool], "deduped") in audit_rows(home / "goclaw.db", task_id)


def test_a_command_killed_mid_run_by_the_crash_runs_once_after_restart(home, daemons):
    command = {"command": "sleep 2 && echo ran >> exec-count.txt"}
    target = home / "workspace" / "exec-count.txt"
    with FakeServer(handler=tool_model) as model:
        first = daemons(home, env=write_tool_home(home, model.url, all_tools_policy())).start().wait_healthy()
        task_id = enqueue(first.db_path, "exec", command)
        wait_until(lambda: [r["side_effect_status"] for r in dedup_rows(first.db_path, task_id)] == ["PENDING"],
                   timeout=20, what="the exec call under way")
        first.kill9()  # the command dies with the daemon: its echo never runs
    with FakeServer(handler=tool_model) as model:
        second = daemons(home, env=write_tool_home(home, model.url, all_tools_policy())).start().wait_healthy()
        task = wait_task(second.db_path, task_id, timeout=30)
        assert task["status"] == "SUCCEEDED" and task["reply"] == "tool said: exit code: 0"
        assert second.terminate() == 0
    # The restarted run finished more than 2 s after the kill, so a surviving first run would have written by now.
    assert target.read_text() == "ran\n"
    assert [r["side_effect_status"] for r in dedup_rows(home / "goclaw.db", task_id)] == ["SUCCEEDED"]
