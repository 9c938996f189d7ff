"""agent.create starts a new agent's lanes at runtime; agent.remove drains, stops and cancels (SPEC §4.1)."""

import sqlite3
import uuid

import pytest

from goclaw_actors.http.chat_tasks import wait_terminal
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import running_daemon
from tests.helpers import wait_until


@pytest.fixture
def api(tmp_path):
    # one-lane agents are created below: no delegation hops (SPEC §2.3)
    with running_daemon(tmp_path, "agents: []\ndelegation_max_hops: 0\n", {"GOCLAW_DEBUG_TASK_DELAY_MS": "300"}) as api:
        yield api


def statuses(api, agent_id):
    with sqlite3.connect(api.daemon.boot.home / "goclaw.db") as conn:
        return conn.execute("SELECT status FROM tasks WHERE agent_id = ? ORDER BY created_at", (agent_id,)).fetchall()


def test_create_chat_remove(client, api):
    created = client.call("agent.create", {"agent_id": "helper", "display_name": "Helper", "worker_count": 1,
                                           "soul": "You help.", "max_queue_depth": 5, "skills_filter": ["web"]})
    assert created == {"agent_id": "helper", "status": "active"}
    assert [agent["agent_id"] for agent in client.call("agent.list")["agents"]] == ["default", "helper"]
    assert client.call("agent.status", {"agent_id": "helper"})["worker_count"] == 1
    registry = api.daemon.runtime.registry
    wait_until(lambda: registry.lookup("worker:helper:0") is not None, what="helper's lanes")
    assert [lane.agent_id for lane in api.daemon.runtime.lanes] == ["default", "helper"]

    session = str(uuid.uuid4())
    done = client.call("agent.chat", {"session_id": session, "content": "hi helper", "agent_id": "helper"})["task_id"]
    assert wait_terminal(api.context(), done, timeout=10).status == "SUCCEEDED"

    running = client.call("agent.chat", {"session_id": session, "content": "slow", "agent_id": "helper"})["task_id"]
    queued = [client.call("agent.chat", {"session_id": session, "content": f"q{n}", "agent_id": "helper"})["task_id"]
              for n in range(2)]
    assert client.call("agent.remove", {"agent_id": "helper"}) == {"agent_id": "helper", "removed": True}
    wait_until(lambda: registry.lookup("worker:helper:0") is None, what="lanes stopped")
    assert [lane.agent_id for lane in api.daemon.runtime.lanes] == ["default"]
    with sqlite3.connect(api.daemon.boot.home / "goclaw.db") as conn:
        assert conn.execute("SELECT status FROM agents WHERE agent_id = 'helper'").fetchone() == ("stopped",)
        canceled = conn.execute(
            "SELECT task_id FROM task_events WHERE event_type = 'task.canceled' "
            "AND json_extract(payload_json, '$.reason') = 'agent_deleted'").fetchall()
        finished = conn.execute("SELECT id, status FROM tasks WHERE id = ?", (running,)).fetchone()
    assert {row[0] for row in canceled} >= set(queued)
    assert finished[1] in ("SUCCEEDED", "CANCELED")  # finished within the drain, or canceled after it
    assert all(status in (("SUCCEEDED",), ("CANCELED",)) for status in statuses(api, "helper"))
    assert [agent["agent_id"] for agent in client.call("agent.list")["agents"]] == ["default"]
    assert client.error("agent.chat", {"session_id": session, "content": "x", "agent_id": "helper"}) == (
        4000, 'agent "helper" not found')
    assert client.error("agent.remove", {"agent_id": "helper"}) == (-32603, 'agent "helper" not found')

    assert client.call("agent.create", {"agent_id": "helper"}) == {"agent_id": "helper", "status": "active"}
    again = client.call("agent.chat", {"session_id": session, "content": "back", "agent_id": "helper"})["task_id"]
    assert wait_terminal(api.context(), again, timeout=10).status == "SUCCEEDED"


def test_create_and_remove_errors(client):
    assert client.error("agent.create", {"agent_id": "default"}) == (-32603, 'agent "default" already exists')
    client.call("agent.create", {"agent_id": "twin"})
    assert client.error("agent.create", {"agent_id": "twin"}) == (-32603, 'agent "twin" already exists')
    for bad in ("", "-lead", "trail-", "has space", "under_score"):
        assert client.error("agent.create", {"agent_id": bad})[0] == 1000
    assert client.error("agent.create", {"agent_id": "w0", "worker_count": 0}) == (
        1000, "worker_count must be at least 1")
    assert client.error("agent.create", {"agent_id": "sf", "skills_filter": "web"}) == (
        1000, "skills_filter must be a list of strings")
    assert client.error("agent.remove", {"agent_id": "default"}) == (-32603, "cannot remove default agent")
    assert client.error("agent.remove", {}) == (1000, "agent_id is required")
    assert client.error("agent.remove", {"agent_id": "ghost"}) == (-32603, 'agent "ghost" not found')


def test_created_agent_survives_a_restart(tmp_path):
    with running_daemon(tmp_path) as api:  # delegation_max_hops 1 (the default for 2 lanes)
        acp = AcpClient(port_of(api)).hello()
        assert acp.error("agent.create", {"agent_id": "narrow", "worker_count": 1}) == (
            1000, "delegation_max_hops (1) must be at most worker_count - 1 (0) of agent 'narrow', or a chain of "
                  "delegations could hold all its lanes; give that agent more workers or set delegation_max_hops: 0")
        acp.call("agent.create", {"agent_id": "keeper", "worker_count": 2, "api_key": "sk-secret-value"})
        acp.close()
        home = api.daemon.boot.home
    from supervisors.daemon import Daemon
    daemon = Daemon(home, {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": "test-token"}, tmp_path)
    daemon.start()
    try:
        wait_until(lambda: daemon.runtime.registry.lookup("worker:keeper:1") is not None, what="keeper's lanes")
    finally:
        daemon.shutdown()


def test_removal_completes_when_the_client_goes_away(tmp_path):
    config = "agents: []\ndrain_timeout_seconds: 1\ndelegation_max_hops: 0\n"
    with running_daemon(tmp_path, config, {"GOCLAW_DEBUG_TASK_DELAY_MS": "5000"}) as api:
        acp = AcpClient(port_of(api)).hello()
        acp.call("agent.create", {"agent_id": "slow", "worker_count": 1})
        task_id = acp.call("agent.chat", {"session_id": str(uuid.uuid4()), "content": "x", "agent_id": "slow"})[
            "task_id"]
        wait_until(lambda: statuses(api, "slow") == [("RUNNING",)], what="slow task running")
        acp.send({"jsonrpc": "2.0", "id": 9, "method": "agent.remove", "params": {"agent_id": "slow"}})
        wait_until(lambda: api.context().read(lambda conn: conn.execute(
            "SELECT status FROM agents WHERE agent_id = 'slow'").fetchone()[0]) == "draining", what="draining")
        acp.close()  # gone mid-drain
        wait_until(lambda: api.context().read(lambda conn: conn.execute(
            "SELECT status FROM agents WHERE agent_id = 'slow'").fetchone()[0]) == "stopped", what="stopped")
        assert statuses(api, "slow") == [("CANCELED",)]
        assert api.context().read(lambda conn: conn.execute(
            "SELECT json_extract(payload_json, '$.reason') FROM task_events WHERE task_id = ? "
            "AND event_type = 'task.canceled'", (task_id,)).fetchone()) == ("agent_deleted",)


def test_create_takes_every_documented_param(client, api):
    """SPEC §9.3: agent_id, display_name, provider, model, api_key (or api_key_env), soul, worker_count,
    task_timeout_seconds, max_queue_depth, skills_filter."""
    params = {"agent_id": "full", "display_name": "Full", "provider": "openai", "model": "gpt-x", "api_key": "sk-full",
              "soul": "You are thorough.\nAlways cite.", "worker_count": "2", "task_timeout_seconds": 30,
              "max_queue_depth": 7, "skills_filter": ["web", "math"]}
    assert client.call("agent.create", params) == {"agent_id": "full", "status": "active"}
    assert client.call("agent.create", {**params, "agent_id": "viaenv", "api_key": None,
                                        "api_key_env": "FULL_KEY"})["status"] == "active"
    home = api.daemon.boot.home
    with sqlite3.connect(home / "goclaw.db") as conn:
        conn.row_factory = sqlite3.Row
        rows = {row["agent_id"]: dict(row) for row in conn.execute("SELECT * FROM agents WHERE agent_id != 'default'")}
        assert "sk-full" not in repr(conn.execute("SELECT * FROM kv_store").fetchall())
    full = rows["full"]
    assert (full["display_name"], full["provider"], full["model"], full["soul"], full["worker_count"],
            full["task_timeout_seconds"], full["max_queue_depth"], full["skills_filter"], full["api_key_env"]) == (
        "Full", "openai", "gpt-x", "You are thorough.\nAlways cite.", 2, 30, 7, '["web", "math"]', "")
    assert rows["viaenv"]["api_key_env"] == "FULL_KEY"
    assert "sk-full" in (home / "secrets.yaml").read_text()
    config = api.daemon.runtime.agent_config("viaenv")
    assert (config.api_key_env, config.skills_filter, config.soul) == ("FULL_KEY", ["web", "math"], params["soul"])
    assert client.error("agent.create", {"agent_id": "acme", "provider": "acme"}) == (1000, "unknown provider: acme")
    assert client.error("agent.create", {"agent_id": "x" * 65}) == (
        1000, 'agent_id must match [A-Za-z0-9][A-Za-z0-9-]*, be at most 64 characters and not end with "-"')


def test_a_reload_raising_the_hop_limit_past_a_runtime_agents_lanes_is_not_applied(client, api):
    from supervisors.config_reload import reload_config
    client.call("agent.create", {"agent_id": "single", "worker_count": 1})  # fine while delegation_max_hops is 0
    rt = api.daemon.runtime
    path = rt.home / "config.yaml"
    path.write_text(path.read_text().replace("delegation_max_hops: 0", "delegation_max_hops: 1"))
    assert reload_config(rt) is False
    assert rt.config.delegation_max_hops == 0
