"""ACP approvals (with broadcasts), cron schedules, status, incident export, config and policy writes,
plans and skills, against a running daemon."""

import json
import sqlite3
import uuid

import pytest
import yaml

from goclaw_actors.http.chat_tasks import wait_terminal
from goclaw_actors.policy.policy_file import load_policy
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import running_daemon

PLANS = """
plans:
  - name: review
    steps:
      - {id: draft, agent_id: default, prompt: write it}
      - {id: check, agent_id: default, prompt: "check {draft.output}", depends_on: [draft]}
"""


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path, "agents: []\napproval_timeout_seconds: 120\napi_keys:\n  brave_api_key: BSAabcdef\n"
                        + PLANS) as api:
        yield api


def test_approvals_broadcast_to_every_socket_before_the_response(client, api):
    other = AcpClient(port_of(api))
    other.call("system.hello")  # has spoken: receives broadcasts
    response = client.request("approval.request", {"action": "deploy", "details": {"env": "prod"}})
    approval_id = response["result"]["approval_id"]
    assert response["result"] == {"approval_id": approval_id, "status": "PENDING"}
    required = client.notifications_of("approval.required")  # arrived before the response
    assert len(required) == 1 and required[0]["approval_id"] == approval_id
    assert {key: required[0][key] for key in ("action", "details", "status")} == {
        "action": "deploy", "details": '{"env":"prod"}', "status": "PENDING"}
    assert other.recv() == {"jsonrpc": "2.0", "method": "approval.required", "params": required[0]}

    assert client.error("approval.respond", {"approval_id": approval_id, "decision": "maybe"}) == (
        1000, "decision must be approve or deny")
    assert client.error("approval.respond", {"approval_id": "nope", "decision": "deny"}) == (
        1000, "approval request not found")
    assert client.call("approval.respond", {"approval_id": approval_id, "decision": "APPROVE"}) == {
        "approval_id": approval_id, "status": "APPROVED"}
    assert other.recv()["params"] == {"approval_id": approval_id, "status": "APPROVED"}
    assert client.error("approval.respond", {"approval_id": approval_id, "decision": "deny"}) == (
        1000, "approval already resolved")
    items = client.call("approval.list")["items"]
    assert [(item["approval_id"], item["action"], item["status"]) for item in items] == [
        (approval_id, "deploy", "APPROVED")]
    assert client.error("approval.request", {"details": "x"}) == (1000, "action is required")
    with sqlite3.connect(api.daemon.boot.home / "goclaw.db") as conn:
        assert conn.execute("SELECT action, decision, reason, subject FROM audit_log WHERE reason LIKE 'approval%'"
                            ).fetchall() == [("approval.respond", "allow", "approval_approved", approval_id)]
        expires = conn.execute("SELECT julianday(expires_at) - julianday(created_at) FROM approvals").fetchone()[0]
    assert abs(expires * 86400 - 120) < 2
    other.close()


def test_cron_lifecycle(client):
    session = str(uuid.uuid4())
    schedule_id = client.call("cron.add", {"name": "nightly", "cron_expr": "0 3 * * *",
                                           "payload": {"content": "report"}, "session_id": session})["schedule_id"]
    (entry,) = client.call("cron.list")["schedules"]
    assert entry["id"] == schedule_id and entry["enabled"] is True and entry["session_id"] == session
    assert entry["payload"] == '{"content":"report"}' and entry["next_run_at"].endswith("Z")
    assert "last_run_at" not in entry
    assert client.call("cron.disable", {"schedule_id": schedule_id}) == {"disabled": True}
    assert client.call("cron.list")["schedules"][0]["enabled"] is False
    assert client.call("cron.enable", {"schedule_id": schedule_id}) == {"enabled": True}
    assert client.call("cron.remove", {"schedule_id": schedule_id}) == {"deleted": True}
    for method in ("cron.remove", "cron.enable", "cron.disable"):
        assert client.error(method, {"schedule_id": schedule_id}) == (-32603, f"schedule not found: {schedule_id}")
    assert client.error("cron.add", {"name": "x"}) == (1000, "name and cron_expr required")
    code, message = client.error("cron.add", {"name": "x", "cron_expr": "61 * * * *"})
    assert code == 1000 and message.startswith("invalid cron_expr: ")
    assert client.error("cron.add", {"name": "x", "cron_expr": "* * *"}) == (
        1000, "invalid cron_expr: expected 5 fields, got 3")


def test_system_status_and_agent_views(client, api):
    status = client.call("system.status")
    assert set(status) == {"healthy", "db_ok", "active_lanes", "worker_count", "queue_depth", "running_tasks",
                           "memory_alloc", "config_hash", "tinygo_available", "tinygo_detail", "skills",
                           "last_error", "agent_count", "agents", "mcp_servers", "channels", "time_unix"}
    assert status["mcp_servers"] == []  # none configured
    assert status["channels"] == [{"name": "telegram", "state": "disabled"}]  # not configured
    assert status["healthy"] and status["db_ok"] and status["worker_count"] == 2 and status["agent_count"] == 1
    assert status["agents"] == [{"agent_id": "default", "display_name": "GoClaw", "provider": "", "model": "",
                                 "worker_count": 2, "status": "active", "active_tasks": 0, "serving": "none"}]
    assert status["config_hash"] == api.daemon.boot.config.config_hash and status["memory_alloc"] > 0
    assert client.call("agent.list") == {"agents": status["agents"]}
    assert client.call("agent.status", {"agent_id": "default"}) == {
        "agent_id": "default", "worker_count": 2, "active_tasks": 0, "last_error": ""}
    assert client.error("agent.status", {"agent_id": "ghost"}) == (-32603, 'agent "ghost" not found')


def test_incident_export(client, api):
    session = str(uuid.uuid4())
    task_id = client.call("agent.chat", {"session_id": session,
                                         "content": "key api_key=abcdefghijklmnopqrstuvwxyz"})["task_id"]
    wait_terminal(api.context(), task_id, timeout=10)
    api.context().store.audit.write_audit(action="tools.read_url", decision="deny", reason="url_denied",
                                          trace_id=task_id)
    export = client.call("incident.export", {"task_id": task_id})
    assert export["task_id"] == task_id and export["task"]["status"] == "SUCCEEDED"
    assert [event["event_type"] for event in export["events"]] == [
        "task.enqueued", "task.claimed", "task.running", "task.succeeded"]
    assert [(row["action"], row["reason"]) for row in export["audit_trail"]] == [("tools.read_url", "url_denied")]
    assert "abcdefghijklmnop" not in json.dumps(export) and "[REDACTED]" in export["task"]["payload"]
    assert export["config_hash"] == api.daemon.boot.config.config_hash and export["exported_at"].endswith("Z")
    assert client.error("incident.export") == (1000, "task_id is required")
    assert client.error("incident.export", {"task_id": "nope"}) == (-32603, "task not found: nope")


def test_config_keys_model_and_policy_domain(client, api):
    home = api.daemon.boot.home
    assert client.call("config.list") == {"api_keys": {"brave_api_key": "BSAa****"}}
    assert client.call("config.set", {"key": "perplexity_api_key", "value": "pplx-123456"}) == {
        "key": "perplexity_api_key", "saved": True}
    assert client.call("config.list")["api_keys"] == {"brave_api_key": "BSAa****", "perplexity_api_key": "pplx****"}
    assert client.error("config.set", {"key": "x"}) == (1000, "key and value are required")
    assert client.call("config.model.set", {"model": "gemini-2.5-flash"}) == {
        "provider": "google", "model": "gemini-2.5-flash", "saved": True}
    assert client.call("config.model.set", {"provider": "anthropic", "model": "claude-x"})["provider"] == "anthropic"
    assert client.error("config.model.set", {"provider": "nope", "model": "m"}) == (1000, "unknown provider: nope")
    assert client.error("config.model.set", {"provider": "openai"}) == (1000, "model is required")
    data = yaml.safe_load((home / "config.yaml").read_text())
    assert data["llm"] == {"provider": "anthropic", "gemini_model": "gemini-2.5-flash", "anthropic_model": "claude-x"}
    assert data["api_keys"] == {"brave_api_key": "BSAabcdef", "perplexity_api_key": "pplx-123456"}
    assert data["approval_timeout_seconds"] == 120 and data["plans"][0]["name"] == "review"

    before = api.context().policy().version
    assert client.call("policy.domain.add", {"domain": "Docs.Example.com"}) == {
        "domain": "docs.example.com", "allowed": True}
    assert "docs.example.com" in load_policy(home / "policy.yaml").domains
    assert api.context().policy().version == load_policy(home / "policy.yaml").version != before
    assert client.error("policy.domain.add", {}) == (1000, "domain is required")


def test_plans_and_skills(client):
    assert client.call("plan.list") == {"plans": [{"name": "review", "step_count": 2, "agent_ids": ["default"]}]}
    assert client.error("plan.execute", {"name": "nope"}) == (-32603, 'plan "nope" not found')
    assert client.error("plan.execute", {}) == (1000, "name is required")
    assert client.error("skill.enable", {"name": "random"}) == (-32603, "skill not found: random")
    assert client.error("skill.enable", {}) == (1000, "name is required")


def test_skill_enable_resets_a_quarantined_skill(client, api):
    with sqlite3.connect(api.daemon.boot.home / "goclaw.db") as conn:
        conn.execute("INSERT INTO skill_registry (skill_id, state, fault_count, created_at, updated_at) "
                     "VALUES ('random', 'quarantined', 5, '2026-01-01', '2026-01-01')")
    assert client.call("skill.enable", {"name": "random"}) == {"name": "random", "state": "active"}
    with sqlite3.connect(api.daemon.boot.home / "goclaw.db") as conn:
        assert conn.execute("SELECT state, fault_count FROM skill_registry").fetchone() == ("active", 0)
