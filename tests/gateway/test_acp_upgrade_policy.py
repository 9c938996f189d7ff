"""ACP upgrade checks (token 401, Origin 403) and capability checks against the policy (1000, audited)."""

import json
import sqlite3
import uuid

import pytest
import websocket

from goclaw_actors.http.acp.upgrade import caller, origin_allowed
from goclaw_actors.http.principal import ENVIRON_KEY, TOKEN, Principal
from goclaw_actors.policy.policy_file import parse_policy
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import running_daemon

READ_ONLY_POLICY = "allow_capabilities: [acp.read]\nallow_domains: []\n"


def test_origin_rules():
    host = "127.0.0.1:18789"
    assert origin_allowed(None, host, [])
    assert origin_allowed("", host, [])
    assert origin_allowed("http://127.0.0.1:18789", host, [])
    assert not origin_allowed("http://127.0.0.1:3000", host, [])
    assert not origin_allowed("https://evil.com", host, [])
    assert origin_allowed("https://app.example.com", host, ["*.example.com"])
    assert not origin_allowed("https://example.com.evil.org", host, ["*.example.com"])
    assert origin_allowed("http://localhost:3000", host, ["localhost"])
    assert origin_allowed("http://localhost:3000", host, ["localhost:*"])
    assert origin_allowed("https://dash.example.com", host, ["https://*.example.com"])
    assert not origin_allowed("http://dash.example.com", host, ["https://*.example.com"])
    assert origin_allowed("http://localhost:3000", host, ["http://localhost:3000"])
    assert not origin_allowed("http://localhost:3001", host, ["http://localhost:3000"])
    assert origin_allowed("null", host, ["null"]) and not origin_allowed("null", host, [])


def test_caller_is_whom_the_middleware_admitted_and_nobody_else():
    scoped = Principal("api_key", "k1", frozenset({"coder"}))
    assert caller({ENVIRON_KEY: scoped}) is scoped
    assert caller({ENVIRON_KEY: TOKEN}) is TOKEN
    # without the middleware nobody is admitted, not even with the token (fails closed)
    assert caller({"HTTP_AUTHORIZATION": "Bearer tok"}) is None
    assert caller({}) is None
    assert caller({ENVIRON_KEY: Principal("anonymous")}) is None


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path, "agents: []\nallow_origins: ['*.allowed.test', 'http://localhost:5173']\n") as api:
        yield api


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_wrong_token_is_401(api, token):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        AcpClient(port_of(api), token=token)
    assert refused.value.status_code == 401
    assert b"unauthorized" in refused.value.resp_body


@pytest.mark.parametrize("origin", ["https://evil.test", "http://127.0.0.1:1"])
def test_foreign_origin_is_403(api, origin):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        AcpClient(port_of(api), origin=origin)
    assert refused.value.status_code == 403


@pytest.mark.parametrize("origin", [None, "same-host", "https://ui.allowed.test", "http://localhost:5173"])
def test_allowed_origins(api, origin):
    if origin == "same-host":
        origin = f"http://127.0.0.1:{port_of(api)}"
    acp = AcpClient(port_of(api), origin=origin)
    assert acp.call("system.hello")["protocol"] == "acp"
    acp.close()


def test_plain_get_without_upgrade_is_400(api):
    response = api.get("/ws")
    assert response.status_code == 400 and response.text == "websocket upgrade required\n"
    assert api.post("/ws").status_code == 405


def test_missing_capability_is_denied_and_audited(api):
    api.context().ask("policy", "replace", parse_policy(READ_ONLY_POLICY))
    acp = AcpClient(port_of(api)).hello()
    session = str(uuid.uuid4())
    assert acp.error("agent.chat", {"session_id": session, "content": "hi"}) == (
        1000, 'policy denied capability "acp.mutate"')
    assert acp.call("session.list") == {"sessions": []}
    home = api.daemon.boot.home
    with sqlite3.connect(home / "goclaw.db") as conn:
        rows = conn.execute("SELECT action, decision, reason, subject, policy_version FROM audit_log "
                            "WHERE reason = 'missing_capability'").fetchall()
    assert rows == [("acp.mutate", "deny", "missing_capability", "agent.chat", parse_policy(READ_ONLY_POLICY).version)]
    lines = [json.loads(line) for line in (home / "logs" / "audit.jsonl").read_text().splitlines()]
    assert {"decision": "deny", "capability": "acp.mutate", "reason": "missing_capability",
            "subject": "agent.chat"}.items() <= lines[-1].items()
    acp.close()


def test_without_acp_read_even_reads_and_unknown_methods_are_denied(api):
    api.context().ask("policy", "replace", parse_policy("allow_capabilities: []\n"))
    acp = AcpClient(port_of(api))
    assert acp.error("session.list") == (1000, 'policy denied capability "acp.read"')
    assert acp.error("no.such") == (1000, 'policy denied capability "acp.read"')
    acp.close()
