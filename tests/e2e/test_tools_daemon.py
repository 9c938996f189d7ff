"""Every built-in tool driven through the real daemon by a fake model that calls it: effects on disk and on the
network, audit rows, dedup rows and events (SPEC §5.1)."""

import json

import pytest

from tests.brain.fake_server import FakeServer, Reply
from tests.e2e.tool_fixtures import (AUTH_TOKEN, OPENAI_KEY, all_tools_policy, audit_rows, dedup_rows, query,
                                     run_tool_task, tool_model, wait_task, write_tool_home)
from tests.helpers import DaemonProcess

PAGE = b"""<html><head><title>Tool page</title><script>var hidden = 1;</script></head>
<body><nav>menu</nav><h1>Readable heading</h1><p>Some <b>bold</b> words.</p></body></html>"""
DDG_PAGE = b"""<html><body>
<div class="result"><a class="result__a" href="https://shop.example/a">Gadget A</a>
<a class="result__snippet">Gadget A at $30.00</a></div>
<div class="result"><a class="result__a" href="https://shop.example/b">Gadget B</a>
<a class="result__snippet">Gadget B only $12.50</a></div></body></html>"""


def web_page(seen):
    if seen.path.startswith("/html/"):
        return Reply(body=DDG_PAGE, headers={"Content-Type": "text/html"})
    if seen.path == "/to-metadata":
        return Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    return Reply(body=PAGE, headers={"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    """One daemon whose policy grants every tool, its model and web fakes on 127.0.0.1."""
    home = tmp_path_factory.mktemp("tools") / "home"
    home.mkdir()
    with FakeServer(handler=tool_model) as model, FakeServer(handler=web_page) as web:
        config = {"tools": {"web_search": {"duckduckgo_base_url": web.url}}, "preferred_search": "duckduckgo"}
        env = write_tool_home(home, model.url, all_tools_policy(), config)
        process = DaemonProcess(home, env=env).start().wait_healthy()
        process.model, process.web = model, web
        yield process
        assert process.terminate() == 0


def test_the_model_is_offered_every_allowed_tool(daemon):
    run_tool_task(daemon.db_path, "use_skill", {"skill_name": "none"})
    offered = sorted(tool["function"]["name"] for tool in daemon.model.seen[-1].body["tools"])
    assert offered == ["edit_file", "exec", "list_directory", "memory_read", "memory_search", "memory_write",
                       "price_comparison", "read_file", "read_url", "send_alert", "spawn_task", "use_skill",
                       "web_search", "write_file"]


def test_read_url_returns_the_readable_text_of_a_page(daemon):
    row = run_tool_task(daemon.db_path, "read_url", {"url": daemon.web.url + "/article"})
    assert row["status"] == "SUCCEEDED"
    assert row["reply"] == "tool said: Tool page\n\nReadable heading\nSome bold words."
    assert daemon.web.seen[-1].path == "/article"
    assert audit_rows(daemon.db_path, row["id"]) == [("allow", "tools.read_url", "tool_call")]


def test_read_url_denies_internal_addresses_and_redirects_to_them(daemon):
    for url in ("http://169.254.169.254/latest/meta-data/", daemon.web.url + "/to-metadata"):
        row = run_tool_task(daemon.db_path, "read_url", {"url": url})
        assert row["status"] == "SUCCEEDED"
        assert row["reply"] == ("tool said: error: url denied: cloud metadata address 169.254.169.254")
        assert audit_rows(daemon.db_path, row["id"]) == [("allow", "tools.read_url", "tool_call"),
                                                         ("deny", "tools.read_url", "url_denied")]


def test_web_search_and_price_comparison_go_through_the_search_backend(daemon):
    row = run_tool_task(daemon.db_path, "web_search", {"query": "gadgets"})
    results = json.loads(row["reply"].removeprefix("tool said: "))
    assert [r["title"] for r in results] == ["Gadget A", "Gadget B"]
    assert daemon.web.seen[-1].path == "/html/?q=gadgets"
    row = run_tool_task(daemon.db_path, "price_comparison", {"prompt": "gadget"})
    compared = json.loads(row["reply"].removeprefix("tool said: "))
    assert [(o["title"], o["price"]) for o in compared["offers"]] == [("Gadget B", "$ 12.50"),
                                                                      ("Gadget A", "$ 30.00")]
    assert audit_rows(daemon.db_path, row["id"]) == [("allow", "tools.price_comparison", "tool_call")]


def test_file_tools_write_edit_read_and_list_in_the_workspace(daemon):
    workspace = daemon.home / "workspace"
    row = run_tool_task(daemon.db_path, calls=[
        ["write_file", {"path": "docs/plan.txt", "content": "step one\nstep two\n"}],
        ["edit_file", {"path": "docs/plan.txt", "old_text": "two", "new_text": "2"}],
        ["read_file", {"path": "docs/plan.txt"}],
        ["list_directory", {"path": "docs"}],
        ["write_file", {"path": "../escape.txt", "content": "x"}]])
    assert (workspace / "docs" / "plan.txt").read_text() == "step one\nstep 2\n"
    outputs = row["reply"].removeprefix("tool said: ").split(" | ")
    assert outputs[2:4] == ["step one\nstep 2\n", "plan.txt"]
    assert outputs[4] == "error: path denied: '../escape.txt' is outside the allowed paths"
    assert not (daemon.home / "escape.txt").exists()
    assert audit_rows(daemon.db_path, row["id"]) == [
        ("allow", "tools.write_file", "tool_call"), ("allow", "tools.write_file", "tool_call"),
        ("allow", "tools.read_file", "tool_call"), ("allow", "tools.read_file", "tool_call"),
        ("allow", "tools.write_file", "tool_call"), ("deny", "tools.write_file", "path_denied")]
    statuses = sorted((r["tool_name"], r["side_effect_status"]) for r in dedup_rows(daemon.db_path, row["id"]))
    assert statuses == [("edit_file", "SUCCEEDED"), ("write_file", "FAILED"), ("write_file", "SUCCEEDED")]


def test_exec_runs_in_the_workspace_with_a_scrubbed_environment(daemon):
    row = run_tool_task(daemon.db_path, "exec", {"command": "echo ran >> exec-log.txt && env"})
    assert (daemon.home / "workspace" / "exec-log.txt").read_text() == "ran\n"
    printed = row["reply"]
    assert printed.startswith("tool said: exit code: 0\nstdout:\n")
    assert f"HOME={daemon.home / 'workspace'}" in printed
    for secret in (OPENAI_KEY, AUTH_TOKEN, "GOCLAW_", "OPENAI_API_KEY"):
        assert secret not in printed
    assert audit_rows(daemon.db_path, row["id"]) == [("allow", "tools.exec", "tool_call")]
    assert [r["side_effect_status"] for r in dedup_rows(daemon.db_path, row["id"])] == ["SUCCEEDED"]


def test_exec_refuses_deny_listed_commands(daemon):
    row = run_tool_task(daemon.db_path, "exec", {"command": "ls && rm -rf docs"})
    assert row["reply"] == 'tool said: error: command refused: "rm" is not allowed'
    assert (daemon.home / "workspace").exists()
    assert audit_rows(daemon.db_path, row["id"])[-1] == ("deny", "tools.exec", "command_denied")


def test_memory_tools_keep_notes_in_the_workspace(daemon):
    row = run_tool_task(daemon.db_path, calls=[
        ["memory_write", {"path": "memory/facts.md", "content": "The sky is blue.\n"}],
        ["memory_write", {"path": "memory/facts.md", "content": "Grass is green.\n", "append": True}],
        ["memory_read", {"path": "memory/facts.md"}],
        ["memory_search", {"query": "green grass"}],
        ["memory_read", {"path": "/etc/hostname"}]])
    assert (daemon.home / "workspace" / "memory" / "facts.md").read_text() == "The sky is blue.\nGrass is green.\n"
    outputs = row["reply"].removeprefix("tool said: ").split(" | ")
    assert outputs[2] == "The sky is blue.\nGrass is green.\n"
    assert outputs[3] == "memory/facts.md:2: Grass is green."
    assert outputs[4].startswith("error: path denied")
    assert ("deny", "tools.memory_read", "path_denied") in audit_rows(daemon.db_path, row["id"])


def test_send_alert_records_a_durable_alert_event(daemon):
    row = run_tool_task(daemon.db_path, "send_alert",
                        {"severity": "critical", "title": "Disk full", "body": "leaked api_key=abcdef0123456789abcdef"})
    assert row["reply"].startswith("tool said: alert sent (critical): Disk full")
    events = query(daemon.db_path, "SELECT event_type, payload_json FROM task_events WHERE task_id = ? AND "
                                   "event_type = 'alert'", row["id"])
    assert [json.loads(e["payload_json"])["severity"] for e in events] == ["critical"]
    assert "abcdef0123456789abcdef" not in events[0]["payload_json"]


def test_spawn_task_enqueues_a_subtask_that_runs(daemon):
    row = run_tool_task(daemon.db_path, "spawn_task", {"description": "summarise the notes", "priority": 2})
    spawned = json.loads(row["reply"].removeprefix("tool said: "))
    child = wait_task(daemon.db_path, spawned["task_id"])
    assert (child["type"], child["parent_task_id"], child["session_id"]) == ("subtask", row["id"], row["session_id"])
    assert child["priority"] >= 2 and child["reply"] == "done: summarise the notes"
    assert audit_rows(daemon.db_path, row["id"]) == [("allow", "tools.spawn_task", "tool_call")]


def test_use_skill_says_which_skills_there_are(daemon):
    row = run_tool_task(daemon.db_path, "use_skill", {"skill_name": "pdf"})
    assert row["reply"] == "tool said: error: no skill named 'pdf'; no skills are available"


def test_a_tool_denied_by_policy_is_an_answer_not_a_failure(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with FakeServer(handler=tool_model) as model:
        env = write_tool_home(home, model.url, {"allow_capabilities": ["tools.web_search", "tools.read_url"]})
        daemon = DaemonProcess(home, env=env).start().wait_healthy()
        row = run_tool_task(daemon.db_path, "exec", {"command": "echo hi > made.txt"})
        assert row["status"] == "SUCCEEDED"
        assert row["reply"] == 'tool said: error: policy denied capability "tools.exec"'
        assert not (home / "workspace" / "made.txt").exists()
        assert audit_rows(daemon.db_path, row["id"]) == [("deny", "tools.exec", "missing_capability")]
        offered = sorted(tool["function"]["name"] for tool in model.seen[0].body["tools"])
        assert offered == ["read_url", "web_search"]
        audit_file = [json.loads(line) for line in (home / "logs" / "audit.jsonl").read_text().splitlines()]
        assert {"decision": "deny", "capability": "tools.exec", "reason": "missing_capability",
                "trace_id": row["id"]}.items() <= audit_file[-1].items()
        assert daemon.terminate() == 0
