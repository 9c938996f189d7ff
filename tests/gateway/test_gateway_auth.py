"""Daemon token and gateway API keys on a real socket (SPEC §9.1, §9.2)."""

import json
import sqlite3

import requests

from tests.actors.daemon_fixture import daemon  # noqa: F401  (fixture)
from tests.gateway.security_client import (BEARER, TOKEN, add_probe_routes, base_url,  # noqa: F401
                                           daemon_config, get, post, with_config)
from tests.helpers import wait_until

OPENAI_INVALID = {"error": {"message": "Invalid API key", "type": "authentication_error", "param": None,
                            "code": "invalid_api_key"}}

API_KEYS = """
gateway:
  auth:
    enabled: true
    keys:
      - key: full-key
        description: every agent
      - key: scoped-key
        description: default only
        agent_ids: [default]
"""


def test_token_is_required_on_protected_routes(daemon):
    for path in ("/metrics", "/metrics/prometheus", "/api/tasks", "/api/anything", "/ws"):
        response = get(daemon, path)
        assert response.status_code == 401, path
        assert response.text == "unauthorized\n"
        assert response.headers["Content-Type"].startswith("text/plain")
    response = post(daemon, "/a2a", json={"jsonrpc": "2.0", "id": 1, "method": "tasks/get"})
    assert (response.status_code, response.text) == (401, "unauthorized\n")


def test_wrong_token_and_wrong_scheme_are_refused(daemon):
    assert get(daemon, "/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert get(daemon, "/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert get(daemon, "/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    assert get(daemon, "/metrics", params={"api_key": TOKEN}).status_code == 401  # only with gateway.auth


def test_token_is_accepted(daemon):
    assert get(daemon, "/metrics", headers=BEARER).status_code == 200
    assert get(daemon, "/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200
    assert get(daemon, "/api/no-such-route", headers=BEARER).status_code == 404  # admitted, then routed


def test_openai_routes_refuse_in_openai_format(daemon):
    for path in ("/v1/models", "/v1/no-such-route"):
        response = get(daemon, path, headers={"Authorization": "Bearer wrong"})
        assert response.status_code == 401
        assert response.json() == OPENAI_INVALID
    assert post(daemon, "/v1/chat/completions", json={}).json() == OPENAI_INVALID


def test_wrong_method_is_405_before_authentication(daemon):
    assert post(daemon, "/metrics").status_code == 405
    assert post(daemon, "/metrics/prometheus").status_code == 405
    assert post(daemon, "/healthz").status_code == 405
    assert requests.delete(base_url(daemon) + "/metrics", timeout=30).status_code == 405
    assert get(daemon, "/no-such-page").status_code == 404


def test_open_routes_need_nothing(daemon):
    assert get(daemon, "/healthz").status_code == 200
    for path in ("/.well-known/agent.json", "/.well-known/agent-card.json"):
        assert get(daemon, path).status_code != 401, path


def test_daemon_token_principal_is_unrestricted(daemon):
    add_probe_routes(daemon)
    body = get(daemon, "/api/test/principal", headers=BEARER).json()
    assert body["kind"] == "token" and body["allows_other"]


@with_config(API_KEYS)
def test_api_keys_from_bearer_header_and_query(daemon):
    add_probe_routes(daemon)
    for how in ({"headers": {"Authorization": "Bearer full-key"}}, {"headers": {"X-API-Key": "full-key"}},
                {"params": {"api_key": "full-key"}}):
        response = get(daemon, "/api/test/principal", **how)
        assert response.status_code == 200, how
        assert response.json()["kind"] == "api_key"
        assert response.json()["agent_ids"] == []
    # the daemon token is accepted in either header, never in the query string (logs, histories)
    assert get(daemon, "/api/test/principal", headers={"X-API-Key": TOKEN}).json()["kind"] == "token"
    response = get(daemon, "/api/test/principal", params={"api_key": TOKEN})
    assert (response.status_code, response.json()) == (403, {"error": "invalid API key"})


@with_config(API_KEYS)
def test_bearer_is_read_before_x_api_key_and_query(daemon):
    add_probe_routes(daemon)
    response = get(daemon, "/api/test/principal", headers={"Authorization": "Bearer wrong", "X-API-Key": "full-key"},
                   params={"api_key": "full-key"})
    assert (response.status_code, response.json()) == (403, {"error": "invalid API key"})
    response = get(daemon, "/api/test/principal", headers={"X-API-Key": "wrong"}, params={"api_key": "full-key"})
    assert response.status_code == 403


@with_config(API_KEYS)
def test_missing_and_invalid_api_keys(daemon):
    for path in ("/api/tasks", "/v1/models", "/ws"):
        response = get(daemon, path)
        assert (response.status_code, response.json()) == (401, {"error": "missing API key"}), path
        response = get(daemon, path, headers={"X-API-Key": "not-a-key"})
        assert (response.status_code, response.json()) == (403, {"error": "invalid API key"}), path
    response = post(daemon, "/a2a", params={"api_key": "nope"}, json={})
    assert (response.status_code, response.json()) == (403, {"error": "invalid API key"})


@with_config(API_KEYS)
def test_scoped_key_carries_its_agents(daemon):
    add_probe_routes(daemon)
    body = get(daemon, "/api/test/principal", headers={"X-API-Key": "scoped-key"}).json()
    assert body["kind"] == "api_key" and body["agent_ids"] == ["default"]
    assert body["allows_default"] and not body["allows_other"]
    assert body["key_id"].startswith("key-") and "scoped" not in body["key_id"]


@with_config(API_KEYS)
def test_metrics_and_health_skip_key_checks(daemon):
    assert get(daemon, "/healthz").status_code == 200
    assert get(daemon, "/metrics", headers={"X-API-Key": "full-key"}).status_code == 401
    assert get(daemon, "/metrics", headers={"Authorization": "Bearer full-key"}).text == "unauthorized\n"
    assert get(daemon, "/metrics", headers=BEARER).status_code == 200


@with_config(API_KEYS)
def test_refusals_are_audited(daemon):
    assert get(daemon, "/api/tasks").status_code == 401
    assert get(daemon, "/api/tasks", headers={"X-API-Key": "bad"}).status_code == 403

    def rows():
        with sqlite3.connect(daemon.boot.db_path, timeout=5) as conn:
            return conn.execute("SELECT action, decision, reason, subject FROM audit_log "
                                "WHERE action = 'gateway_auth' ORDER BY created_at").fetchall()

    found = wait_until(lambda: len(rows()) >= 2 and rows(), what="audit rows")
    assert {row[2] for row in found} == {"missing_api_key", "invalid_api_key"}
    assert all(row[1] == "deny" and row[3] == "ip:127.0.0.1" for row in found)
    lines = [json.loads(line) for line in (daemon.boot.home / "logs" / "audit.jsonl").read_text().splitlines()]
    audited = [line for line in lines if line["capability"] == "gateway_auth"]
    assert {line["reason"] for line in audited} == {"missing_api_key", "invalid_api_key"}
    assert "bad" not in json.dumps(audited)  # the presented key is never written
