"""MCP tools in a running daemon (SPEC §8.4, §5.1, §3.10): a fake model calls `mcp_<server>_<tool>` of the real
server-everything (global, stdio) and of the SDK's Python server (the agent's own, SSE); policy denials by
capability and by MCP rule, `require_approval`, audit and dedup rows, a killed server restarted while the agent
keeps answering, a server that cannot start, tools/list_changed, `tools.updated` to ACP clients, and servers
added and removed by a config.yaml edit."""

import json
import sqlite3

import psutil
import pytest
import yaml

from tests.brain.fake_server import FakeServer
from tests.e2e.tool_fixtures import (AUTH_TOKEN, all_tools_policy, audit_rows, dedup_rows, run_tool_task,
                                     tool_model, wait_task, write_tool_home)
from tests.gateway.acp_client import AcpClient
from tests.helpers import DaemonProcess, insert_task, wait_until
from tests.mcp.servers import everything_http, everything_stdio, python_server

RULES = {"default": "deny", "rules": [
    {"agent": "*", "server": "everything", "tools": ["echo", "get-sum"]},
    {"agent": "default", "server": "py", "tools": ["*"]},
    {"agent": "*", "server": "web", "tools": ["*"]},
]}


def mcp_policy(**extra):
    policy = all_tools_policy(mcp=RULES, **extra)
    policy["allow_capabilities"] = policy["allow_capabilities"] + ["tools.mcp"]
    return policy


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    """A daemon with server-everything as a global stdio server and the Python server (SSE) as the default
    agent's own, its model a fake that calls the tools a task names."""
    home = tmp_path_factory.mktemp("mcp") / "home"
    home.mkdir()
    with FakeServer(handler=tool_model) as model, python_server("sse") as py:
        config = {"mcp": {"servers": [everything_stdio(), {"name": "broken", "command": "/nonexistent/mcp-server"}]},
                  "agents": [{"agent_id": "default", "mcp_servers": [
                      {"name": "py", "url": py.url, "transport": "sse", "timeout": 5}]}]}
        env = write_tool_home(home, model.url, mcp_policy(), config)
        process = DaemonProcess(home, env=env).start().wait_healthy()
        process.model, process.py, process.config = model, py, config
        wait_until(lambda: offered(process) >= {"mcp_everything_echo", "mcp_py_add"}, timeout=30,
                   what="both servers' tools")
        yield process
        assert process.terminate() == 0


def offered(daemon) -> set[str]:
    """The tool names the model was offered for a fresh task."""
    run_tool_task(daemon.db_path, "none", {})
    return {tool["function"]["name"] for tool in daemon.model.seen[-1].body.get("tools", [])}


def offered_tool(daemon, name: str) -> dict:
    return next(tool["function"] for tool in daemon.model.seen[-1].body["tools"] if tool["function"]["name"] == name)


def test_mcp_tools_are_offered_with_their_schemas_and_rules(daemon):
    names = offered(daemon)
    assert {"mcp_everything_echo", "mcp_everything_get-sum", "mcp_py_add", "mcp_py_fail", "mcp_py_slow"} <= names
    assert "mcp_everything_get-env" not in names  # no rule lets any agent call it
    echo = offered_tool(daemon, "mcp_everything_echo")
    assert echo["description"].startswith("[MCP everything] ")
    assert echo["parameters"]["properties"]["message"]["type"] == "string"
    assert offered_tool(daemon, "mcp_py_add")["parameters"]["required"] == ["a", "b"]


def test_system_status_reports_each_server_and_a_broken_one_leaves_the_agent_running(daemon):
    client = AcpClient(daemon.port, token=AUTH_TOKEN)
    try:
        servers = {(s["scope"], s["name"]): s for s in client.call("system.status")["mcp_servers"]}
    finally:
        client.close()
    everything, py, broken = servers["global", "everything"], servers["default", "py"], servers["global", "broken"]
    assert (everything["state"], everything["transport"], everything["server"]) == ("up", "stdio",
                                                                                  "mcp-servers/everything")
    assert everything["protocol_version"] in ("2025-06-18", "2025-11-25") and everything["tools"] >= 10
    assert (py["state"], py["transport"], py["protocol_version"]) == ("up", "sse", "2026-07-28")
    assert broken["state"] in ("connecting", "retrying", "down") and broken["tools"] == 0
    assert run_tool_task(daemon.db_path, "mcp_py_add", {"a": 1, "b": 1})["reply"] == "tool said: 2"


def test_a_call_goes_to_the_server_and_is_audited_and_recorded_once(daemon):
    row = run_tool_task(daemon.db_path, "mcp_everything_echo", {"message": "hello"})
    assert (row["status"], row["reply"]) == ("SUCCEEDED", "tool said: Echo: hello")
    assert audit_rows(daemon.db_path, row["id"]) == [("allow", "tools.mcp", "tool_call")]
    dedup = dedup_rows(daemon.db_path, row["id"])
    assert [(d["tool_name"], d["side_effect_status"]) for d in dedup] == [("mcp_everything_echo", "SUCCEEDED")]
    row = run_tool_task(daemon.db_path, "mcp_py_add", {"a": 2, "b": 40})
    assert row["reply"] == "tool said: 42"


def test_tool_errors_and_bad_arguments_go_back_to_the_model(daemon):
    row = run_tool_task(daemon.db_path, "mcp_py_fail", {})
    assert row["status"] == "SUCCEEDED"
    assert row["reply"] == "tool said: error: Error executing tool fail: this tool always fails"
    row = run_tool_task(daemon.db_path, "mcp_py_add", {"a": "two"})
    assert row["reply"].startswith("tool said: error: invalid arguments for mcp_py_add: ")


def test_an_mcp_rule_refuses_a_tool(daemon):
    row = run_tool_task(daemon.db_path, "mcp_everything_get-env", {})
    assert row["status"] == "SUCCEEDED"
    assert row["reply"] == ('tool said: error: policy denied MCP tool "get-env" of server "everything" '
                            'for agent "default"')
    assert audit_rows(daemon.db_path, row["id"]) == [("deny", "tools.mcp", "rule_denied")]
    assert dedup_rows(daemon.db_path, row["id"]) == []


def test_list_changed_refreshes_the_tools_and_tells_acp_clients(daemon):
    client = AcpClient(daemon.port, token=AUTH_TOKEN)
    try:
        client.call("system.hello")
        row = run_tool_task(daemon.db_path, "mcp_py_grow", {"name": "extra"})
        assert row["reply"] == "tool said: added extra"
        assert client.next_notification("tools.updated", timeout=10) == {"name": "py"}
    finally:
        client.close()
    assert "mcp_py_extra" in offered(daemon)
    assert run_tool_task(daemon.db_path, "mcp_py_extra", {})["reply"] == "tool said: grown extra"


def test_a_killed_server_is_restarted_while_the_agent_keeps_answering(daemon):
    servers = [child for child in psutil.Process(daemon.proc.pid).children(recursive=True)
               if "stdio" in child.cmdline() and any("server-everything" in part for part in child.cmdline())]
    assert len(servers) == 1
    servers[0].kill()
    row = run_tool_task(daemon.db_path, "mcp_py_add", {"a": 1, "b": 2})  # the agent answers meanwhile
    assert row["reply"] == "tool said: 3"

    def echo_again():
        reply = run_tool_task(daemon.db_path, "mcp_everything_echo", {"message": "back"})["reply"]
        return reply == "tool said: Echo: back"

    wait_until(echo_again, timeout=20, interval=0.2, what="the restarted server to answer")
    lines = daemon.json_lines()
    assert any(line.get("msg") == "MCP server unavailable; retrying" and line.get("server") == "everything"
               for line in lines)
    connected = [line for line in lines
                 if line.get("msg") == "MCP server connected" and line.get("server") == "everything"]
    assert len(connected) >= 2 and connected[-1]["protocol_version"].startswith("20")


def test_without_tools_mcp_every_mcp_call_is_denied(daemon):
    policy_path = daemon.home / "policy.yaml"
    original = policy_path.read_text()
    policy_path.write_text(yaml.safe_dump(all_tools_policy(mcp=RULES)))
    try:
        def denied():
            return run_tool_task(daemon.db_path, "mcp_everything_echo", {"message": "x"})

        row = wait_until(lambda: (r := denied())["reply"].endswith('capability "tools.mcp"') and r, timeout=10,
                         interval=0.2, what="the new policy")
        assert row["reply"] == 'tool said: error: policy denied capability "tools.mcp"'
        assert audit_rows(daemon.db_path, row["id"]) == [("deny", "tools.mcp", "missing_capability")]
        assert not {name for name in offered(daemon) if name.startswith("mcp_")}
    finally:
        policy_path.write_text(original)
    wait_until(lambda: "mcp_everything_echo" in offered(daemon), timeout=10, interval=0.2, what="policy back")


def test_a_config_edit_starts_and_stops_servers(daemon):
    with everything_http() as web:
        config = json.loads(json.dumps(daemon.config))
        config["mcp"]["servers"].append({"name": "web", "url": web.url})
        path = daemon.home / "config.yaml"
        settings = yaml.safe_load(path.read_text())
        path.write_text(yaml.safe_dump({**settings, "mcp": config["mcp"]}))
        wait_until(lambda: "mcp_web_echo" in offered(daemon), timeout=20, interval=0.2, what="the added server")
        row = run_tool_task(daemon.db_path, "mcp_web_echo", {"message": "streamable"})
        assert row["reply"] == "tool said: Echo: streamable"
        path.write_text(yaml.safe_dump(settings))
        wait_until(lambda: "mcp_web_echo" not in offered(daemon), timeout=20, interval=0.2,
                   what="the removed server's tools to go")
    assert "mcp_everything_echo" in offered(daemon)  # the others were not touched


def reloads(daemon) -> int:
    return sum(1 for line in daemon.json_lines() if line.get("msg") == "policy reloaded")


def test_require_approval_holds_an_mcp_tool_until_approved(daemon):
    policy_path = daemon.home / "policy.yaml"
    original, before = policy_path.read_text(), reloads(daemon)
    # another domain too, so that the policy version changes and its reload is logged
    policy_path.write_text(yaml.safe_dump(mcp_policy(require_approval=["mcp_py_add"],
                                                     allow_domains=["localhost", "approval.test"])))
    acp = AcpClient(daemon.port, token=AUTH_TOKEN).hello()
    try:
        wait_until(lambda: reloads(daemon) > before, timeout=10, interval=0.05, what="the policy reload")
        with sqlite3.connect(daemon.db_path) as conn:
            task_id = insert_task(conn, json.dumps({"tool": "mcp_py_add", "arguments": {"a": 20, "b": 3}}))
        approval = wait_until(lambda: next((item for item in acp.call("approval.list")["items"]
                                            if task_id in item["details"]), None), timeout=15, interval=0.05,
                              what="the approval")
        assert approval["action"] == "tool.mcp_py_add" and approval["status"] == "PENDING"
        acp.call("approval.respond", {"approval_id": approval["approval_id"], "decision": "approve"})
        assert wait_task(daemon.db_path, task_id)["reply"] == "tool said: 23"
        assert audit_rows(daemon.db_path, task_id)[-1] == ("allow", "tools.mcp", "tool_call")
    finally:
        acp.close()
        policy_path.write_text(original)
    wait_until(lambda: reloads(daemon) > before + 1, timeout=10, interval=0.05, what="the policy restored")
