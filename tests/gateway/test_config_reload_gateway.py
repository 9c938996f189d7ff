"""Edits of config.yaml that the gateway takes live (SPEC §2.7): API keys and rate limits, plans and the
approval timeout; `bind_addr` waits for a restart and an invalid edit changes nothing."""

import sqlite3

import requests

from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import BASE_CONFIG, running_daemon
from tests.helpers import wait_until

APPLY_SECONDS = 2.0
EDIT = """agents: []
approval_timeout_seconds: 7
gateway:
  max_request_size: 1048576
  auth:
    enabled: true
    keys:
      - {key: live-key-0123456789, description: added while running}
plans:
  - name: later
    steps:
      - {id: only, agent_id: default, prompt: go}
"""


def chat(api, size):
    body = {"model": "goclaw-v1", "messages": [{"role": "user", "content": "x" * size}]}
    return api.post("/v1/chat/completions", json=body).status_code


def test_gateway_keys_limits_plans_and_approval_timeout_apply_without_a_restart(tmp_path):
    with running_daemon(tmp_path, "agents: []\ngateway: {max_request_size: 150000}\n") as api:
        home = api.daemon.boot.home
        key = {"X-API-Key": "live-key-0123456789"}
        assert requests.get(api.base + "/api/tasks", headers=key, timeout=5).status_code == 401
        assert chat(api, 200_000) == 413
        (home / "config.yaml").write_text(BASE_CONFIG + EDIT)
        wait_until(lambda: requests.get(api.base + "/api/tasks", headers=key, timeout=5).status_code == 200,
                   APPLY_SECONDS, what="the new API key")
        assert requests.get(api.base + "/api/tasks", headers={"X-API-Key": "unknown"}, timeout=5).status_code == 403
        assert chat(api, 200_000) == 200
        assert [plan["name"] for plan in api.get("/api/plans").json()["plans"]] == ["later"]
        client = AcpClient(port_of(api)).hello()
        try:
            approval_id = client.call("approval.request", {"action": "deploy"})["approval_id"]
        finally:
            client.close()
        with sqlite3.connect(api.daemon.boot.db_path) as conn:
            seconds = conn.execute("SELECT (julianday(expires_at) - julianday(created_at)) * 86400 FROM approvals "
                                   "WHERE approval_id = ?", (approval_id,)).fetchone()[0]
        assert abs(seconds - 7) < 1


def test_bind_addr_needs_a_restart_and_the_log_level_changes_at_once(tmp_path):
    with running_daemon(tmp_path) as api:
        home, config = api.daemon.boot.home, api.daemon.runtime.config
        (home / "config.yaml").write_text(BASE_CONFIG.replace("127.0.0.1:0", "127.0.0.1:1") + "agents: []\n"
                                          "log_level: debug\n")
        wait_until(lambda: api.daemon.runtime.config is not config, APPLY_SECONDS, what="the valid edit")
        assert api.daemon.runtime.config.log_level == "debug"
        assert api.get("/healthz").status_code == 200  # still on the port it bound at start
        log = (home / "logs" / "system.jsonl").read_text()
        assert '"config change takes effect after a restart"' in log and '"key": "bind_addr"' in log


def test_an_invalid_edit_is_refused_with_its_reason(tmp_path):
    with running_daemon(tmp_path) as api:
        home, config = api.daemon.boot.home, api.daemon.runtime.config
        (home / "config.yaml").write_text(BASE_CONFIG + "agents: []\ngateway: {rate_limit: {enabled: maybe}}\n")
        log = home / "logs" / "system.jsonl"
        wait_until(lambda: "config.yaml not applied" in log.read_text(), APPLY_SECONDS, what="the refusal")
        assert "gateway.rate_limit.enabled must be true or false" in log.read_text()
        assert api.daemon.runtime.config is config and api.get("/healthz").status_code == 200
