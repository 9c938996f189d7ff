"""Tools listed in the policy's `require_approval` wait for an operator's decision over ACP (SPEC §5.5)."""

import json
import sqlite3

import pytest
import requests
import sseclient

from goclaw_actors.timeutil import parse_db
from tests.brain.fake_server import FakeServer
from tests.e2e.tool_fixtures import (AUTH_TOKEN, all_tools_policy, audit_rows, query, tool_model, wait_task,
                                     write_tool_home)
from tests.gateway.acp_client import AcpClient
from tests.helpers import DaemonProcess, insert_task, wait_until


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    """A daemon whose policy grants every tool but wants an approval for exec."""
    home = tmp_path_factory.mktemp("approvals") / "home"
    home.mkdir()
    with FakeServer(handler=tool_model) as model:
        env = write_tool_home(home, model.url, all_tools_policy(require_approval=["tools.exec"]),
                              {"approval_timeout_seconds": 120})
        process = DaemonProcess(home, env=env).start().wait_healthy()
        yield process
        assert process.terminate() == 0


def exec_task(daemon, command):
    with sqlite3.connect(daemon.db_path) as conn:
        return insert_task(conn, json.dumps({"tool": "exec", "arguments": {"command": command}}))


def pending_approval(acp, task_id):
    def find():
        items = acp.call("approval.list")["items"]
        return next((item for item in items if item["status"] == "PENDING" and task_id in item["details"]), None)
    return wait_until(find, timeout=15, interval=0.05, what="the tool's approval")


def test_an_approved_call_runs(daemon):
    acp = AcpClient(daemon.port, token=AUTH_TOKEN).hello()
    task_id = exec_task(daemon, "echo approved > approved.txt")
    approval = pending_approval(acp, task_id)
    assert approval["action"] == "tool.exec"
    details = json.loads(approval["details"])
    assert details["arguments"] == {"command": "echo approved > approved.txt"} and details["task_id"] == task_id
    assert not (daemon.home / "workspace" / "approved.txt").exists()  # nothing runs before the decision
    stream = requests.get(daemon.url + "/api/v1/task/stream", params={"task_id": task_id}, stream=True, timeout=20,
                          headers={"Authorization": f"Bearer {AUTH_TOKEN}"})
    first_event = next(iter(sseclient.SSEClient(stream).events()))
    assert json.loads(first_event.data) == {"type": "tool_call", "tool_name": "exec"}  # the waiting call is shown
    assert any(n["approval_id"] == approval["approval_id"] for n in acp.notifications_of("approval.required"))
    row = query(daemon.db_path, "SELECT * FROM approvals WHERE approval_id = ?", approval["approval_id"])[0]
    assert row["task_id"] == task_id
    assert 119 <= (parse_db(row["expires_at"]) - parse_db(row["created_at"])).total_seconds() <= 121
    assert acp.call("approval.respond", {"approval_id": approval["approval_id"], "decision": "approve"}) == {
        "approval_id": approval["approval_id"], "status": "APPROVED"}
    task = wait_task(daemon.db_path, task_id)
    assert task["status"] == "SUCCEEDED" and task["reply"] == "tool said: exit code: 0"
    assert (daemon.home / "workspace" / "approved.txt").read_text() == "approved\n"
    stream.close()
    assert audit_rows(daemon.db_path, task_id) == [("allow", "approval.respond", "approval_approved"),
                                                   ("allow", "tools.exec", "tool_call")]
    decided = query(daemon.db_path, "SELECT decision, reason FROM audit_log WHERE subject = ?", approval["approval_id"])
    assert decided == [{"decision": "allow", "reason": "approval_approved"}]
    acp.close()


def test_a_denied_call_does_not_run_and_the_model_is_told(daemon):
    acp = AcpClient(daemon.port, token=AUTH_TOKEN).hello()
    task_id = exec_task(daemon, "echo denied > denied.txt")
    approval = pending_approval(acp, task_id)
    assert acp.call("approval.respond", {"approval_id": approval["approval_id"], "decision": "DENY"})["status"] == \
        "DENIED"
    task = wait_task(daemon.db_path, task_id)
    assert task["status"] == "SUCCEEDED"
    assert task["reply"] == (f'tool said: error: approval denied: tool "exec" was not run '
                             f'({approval["approval_id"]})')
    assert not (daemon.home / "workspace" / "denied.txt").exists()
    assert audit_rows(daemon.db_path, task_id) == [("deny", "approval.respond", "approval_denied"),
                                                   ("deny", "tools.exec", "approval_denied")]
    acp.close()


def test_an_approval_nobody_decides_is_denied_at_its_expiry(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with FakeServer(handler=tool_model) as model:
        env = write_tool_home(home, model.url, all_tools_policy(require_approval=["exec"]),
                              {"approval_timeout_seconds": 1})
        daemon = DaemonProcess(home, env=env).start().wait_healthy()
        task_id = exec_task(daemon, "echo late > late.txt")
        task = wait_task(daemon.db_path, task_id)
        approval = query(daemon.db_path, "SELECT * FROM approvals WHERE task_id = ?", task_id)[0]
        assert approval["status"] == "DENIED"
        assert task["reply"] == (f'tool said: error: approval expired: tool "exec" was not run (denied by default, '
                                 f'{approval["approval_id"]})')
        assert not (home / "workspace" / "late.txt").exists()
        assert audit_rows(daemon.db_path, task_id) == [("deny", "approval.expire", "approval_timeout_default_deny"),
                                                       ("deny", "tools.exec", "approval_timeout_default_deny")]
        expiry = query(daemon.db_path, "SELECT action, decision, reason FROM audit_log WHERE subject = ?",
                       approval["approval_id"])
        assert expiry == [{"action": "approval.expire", "decision": "deny", "reason": "approval_timeout_default_deny"}]
        assert daemon.terminate() == 0
