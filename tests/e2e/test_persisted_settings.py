"""Hostile values sent to the real daemon's mutating admin methods are refused before anything is persisted,
so the daemon always starts again; hostile files and stored rows at start are refused clearly or skipped,
never a traceback (unbounded numbers, lone surrogates, model paths)."""

import json
import math
import sqlite3

import pytest
import requests
import yaml

from goclaw_actors.config.loader import load_config
from goclaw_actors.policy.policy_file import load_policy
from goclaw_actors.processor import FALLBACK_REPLY
from tests.gateway.acp_client import AcpClient

TOKEN = "persist-token"
ENV = {"GOCLAW_AUTH_TOKEN": TOKEN}
SURROGATE = "\ud800"
HOSTILE_NUMBERS = [1_000_000, 2**64, 10**30, -1, -(2**63), 0.5, 1e308, math.nan, math.inf, -math.inf, "NaN", "1e999",
                   True, [], {}, "lots"]
HOSTILE_TEXT = [SURROGATE, "a\udfffb", "x\x00y", "\x1b[31mred", "line\nbreak", "../../etc/passwd", "/etc/passwd",
                "~/.ssh/id_rsa", "x" * 20_000, "C:\\\\windows", "*.*", "http://evil.example/x", "日本\u202egnp"]
HOSTILE_TYPES = [None, 42, 3.5, True, ["a"], {"a": 1}]
ALLOWED_INTERNAL = ("skill not found:",)  # an absent skill is a not-found error (SPEC §9.3), nothing persisted


def acp(daemon):
    return AcpClient(daemon.port, token=TOKEN).hello()


def answer(client, method, params):
    """The response to one call; never an internal error (except documented not-found answers)."""
    response = client.request(method, params)
    error = response.get("error")
    if error is not None:
        assert error["code"] != -32603 or error["message"].startswith(ALLOWED_INTERNAL), (method, params, error)
        assert "Traceback" not in error["message"] and "Error(" not in error["message"], error
    return response


def refused(client, method, params):
    response = answer(client, method, params)
    assert response.get("error", {}).get("code") == 1000, (method, params, response)
    return response["error"]["message"]


def chat(daemon, agent="default"):
    response = requests.post(daemon.url + "/v1/chat/completions", timeout=30,
                             headers={"Authorization": f"Bearer {TOKEN}"},
                             json={"model": f"agent:{agent}", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"]


def startup_failure(daemon):
    """The one `startup failure` line of a daemon that exited 1 (and no traceback anywhere)."""
    assert daemon.wait_exit() == 1
    assert "Traceback" not in daemon.output(), daemon.output()
    (line,) = [line for line in daemon.json_lines() if line.get("msg") == "startup failure"]
    return line


def send_hostile_values(client):
    """Every mutating admin method with hostile numbers, text and types in each param."""
    for field in ("worker_count", "task_timeout_seconds", "max_queue_depth"):
        for index, value in enumerate(HOSTILE_NUMBERS):
            refused(client, "agent.create", {"agent_id": f"n-{field[:4]}-{index}", field: value})
    for field in ("display_name", "provider", "model", "soul", "api_key_env", "api_key", "skills_filter"):
        for index, value in enumerate(HOSTILE_TEXT + HOSTILE_TYPES):
            value = [value] if field == "skills_filter" and isinstance(value, str) else value
            answer(client, "agent.create", {"agent_id": f"t-{field[:4]}-{index}", "worker_count": 1, field: value})
    for value in HOSTILE_TEXT + HOSTILE_TYPES:
        answer(client, "agent.create", {"agent_id": value, "worker_count": 1})
        answer(client, "config.set", {"key": value, "value": "v-123"})
        answer(client, "config.set", {"key": "brave_api_key", "value": value})
        answer(client, "config.model.set", {"provider": value, "model": "m"})
        for provider in ("google", "embedded", "openai", "none"):
            answer(client, "config.model.set", {"provider": provider, "model": value})
        answer(client, "policy.domain.add", {"domain": value})
        answer(client, "cron.add", {"name": value, "cron_expr": "0 3 * * *"})
        answer(client, "cron.add", {"name": "n", "cron_expr": value})
        answer(client, "cron.add", {"name": "n", "cron_expr": "0 3 * * *", "payload": value})
        answer(client, "cron.add", {"name": "n", "cron_expr": "0 3 * * *", "payload": {"content": value}})
        answer(client, "skill.enable", {"name": value})
    for value in HOSTILE_NUMBERS:
        answer(client, "config.set", {"key": "brave_api_key", "value": value})
        answer(client, "cron.add", {"name": "n", "cron_expr": "0 3 * * *", "payload": value})


def send_hostile_rest_values(daemon):
    """REST's only writing routes with a body: plan execution (its session id is stored) and abort."""
    for value in HOSTILE_TEXT + HOSTILE_TYPES:
        for path, body in (("/api/plans/review/execute", {"session_id": value}), ("/api/tasks/x/abort", {"x": value})):
            response = requests.post(daemon.url + path, data=json.dumps(body), timeout=30,
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
            assert response.status_code < 500, (path, body, response.text)


def test_hostile_admin_values_never_keep_the_daemon_from_restarting(home, daemons):
    (home / "config.yaml").write_text("agents: []\nworker_count: 2\nplans:\n  - name: review\n    steps:\n"
                                      "      - {id: draft, agent_id: default, prompt: write it}\n")
    daemon = daemons(home, env=ENV).start().wait_healthy()
    client = acp(daemon)
    send_hostile_values(client)
    send_hostile_rest_values(daemon)
    assert client.call("system.status")["healthy"] is True
    client.close()
    assert daemon.terminate() == 0
    load_config(home, {})  # what was persisted is what a start reads
    load_policy(home / "policy.yaml")

    again = daemons(home, env=ENV).start().wait_healthy()
    assert chat(again) == FALLBACK_REPLY
    assert not [line for line in again.json_lines() if line.get("level") == "ERROR"]
    assert "Traceback" not in daemon.output() + again.output()
    assert again.terminate() == 0


def test_an_unbounded_worker_count_is_refused_and_a_stored_one_is_skipped(home, daemons):
    daemon = daemons(home, env=ENV).start().wait_healthy()
    client = acp(daemon)
    assert refused(client, "agent.create", {"agent_id": "huge", "worker_count": 1_000_000}) == \
        "worker_count must be at most 64"
    assert refused(client, "agent.create", {"agent_id": "slow", "task_timeout_seconds": 10**9}) == \
        "task_timeout_seconds must be at most 86400"
    assert client.call("agent.create", {"agent_id": "fine", "worker_count": 64}) == {"agent_id": "fine",
                                                                                     "status": "active"}
    client.close()
    assert daemon.terminate() == 0
    with sqlite3.connect(daemon.db_path) as conn:  # as an older version stored it
        assert conn.execute("SELECT COUNT(*) FROM agents WHERE agent_id = 'huge'").fetchone() == (0,)
        conn.execute("UPDATE agents SET worker_count = 1000000 WHERE agent_id = 'fine'")

    again = daemons(home, env=ENV).start().wait_healthy()
    (warning,) = [line for line in again.json_lines() if line["msg"].startswith("stored agent not started")]
    assert warning["agent_id"] == "fine" and "worker_count must be at most 64" in warning["error"]
    with sqlite3.connect(again.db_path) as conn:
        assert conn.execute("SELECT status FROM agents WHERE agent_id = 'fine'").fetchone() == ("stopped",)
    assert chat(again) == FALLBACK_REPLY
    assert again.terminate() == 0


def test_lone_surrogates_are_refused_and_never_reach_the_files(home, daemons):
    daemon = daemons(home, env=ENV).start().wait_healthy()
    before = {name: (home / name).read_bytes() for name in ("config.yaml", "policy.yaml")}
    client = acp(daemon)
    assert "lone surrogate" in refused(client, "policy.domain.add", {"domain": SURROGATE + ".example.com"})
    assert "lone surrogate" in refused(client, "config.model.set", {"provider": "google", "model": SURROGATE})
    assert "lone surrogate" in refused(client, "config.set", {"key": "brave_api_key", "value": SURROGATE})
    assert "lone surrogate" in refused(client, "config.set", {"key": SURROGATE, "value": "v"})
    client.close()
    assert {name: (home / name).read_bytes() for name in before} == before
    assert daemon.terminate() == 0


@pytest.mark.parametrize("name,text,code,fragment", [
    ("config.yaml", 'agents: []\nllm:\n  gemini_model: "\\ud800"\n', "E_CONFIG_LOAD",
     "llm.gemini_model is not valid Unicode text"),
    ("config.yaml", "agents: []\nworker_count: .nan\n", "E_CONFIG_LOAD", "worker_count must be a finite number"),
    ("config.yaml", "agents: []\ngateway: {replay_max_events: 1e400}\n", "E_CONFIG_LOAD",
     "gateway.replay_max_events must be a finite number"),
    ("config.yaml", "agents: [{agent_id: a, worker_count: 1000000}]\n", "E_CONFIG_LOAD",
     "agents[0] (a).worker_count must be at most 64"),
    ("config.yaml", "agents: []\nlease_seconds: [1]\n", "E_CONFIG_LOAD", "lease_seconds must be a number"),
    ("policy.yaml", 'allow_domains: ["\\udc80.com"]\n', "E_POLICY_LOAD", "allow_domains[0] is not valid Unicode"),
    ("policy.yaml", "allow_domains: [https://github.com/]\n", "E_POLICY_LOAD", "allow_domains[0] must be a host"),
])
def test_a_hostile_file_is_a_startup_failure_naming_the_field(home, daemons, name, text, code, fragment):
    (home / name).write_text(text, encoding="utf-8")
    line = startup_failure(daemons(home, env=ENV).start())
    assert line["reason_code"] == code and fragment in line["error"]


def test_not_utf8_is_a_startup_failure_too(home, daemons):
    (home / "config.yaml").write_bytes(b"agents: []\nagent_name: \xff\xfe\n")
    assert startup_failure(daemons(home, env=ENV).start())["reason_code"] == "E_CONFIG_LOAD"
    (home / "config.yaml").write_text("agents: []\n")
    (home / "policy.yaml").write_bytes(b"allow_domains: [\xff]\n")
    assert startup_failure(daemons(home, env=ENV).start())["reason_code"] == "E_POLICY_LOAD"


def test_the_embedded_model_is_chosen_by_name_in_models_never_by_path(home, daemons, tmp_path):
    outside = tmp_path / "elsewhere.gguf"
    outside.write_bytes(b"GGUF not really")
    (home / "models").mkdir()
    (home / "models" / "mine.gguf").symlink_to(outside)  # the operator's own model, put into models/
    daemon = daemons(home, env=ENV).start().wait_healthy()
    client = acp(daemon)
    for path in (str(outside), "/etc/passwd", "../elsewhere.gguf", str(home / "models" / "mine.gguf")):
        assert "not a path" in refused(client, "config.model.set", {"provider": "embedded", "model": path})
    assert "is not a file in" in refused(client, "config.model.set", {"provider": "embedded", "model": "no.gguf"})
    assert client.call("config.model.set", {"provider": "embedded", "model": "mine.gguf"})["saved"] is True
    assert client.call("config.model.set", {"provider": "embedded", "model": "smollm2"})["model"] == "smollm2"
    client.close()
    assert yaml.safe_load((home / "config.yaml").read_text())["llm"]["embedded_model"] == "smollm2"
    assert daemon.terminate() == 0

    (home / "config.yaml").write_text(f"agents: []\nllm:\n  embedded_model: {outside}\n")
    line = startup_failure(daemons(home, env=ENV).start())
    assert line["reason_code"] == "E_CONFIG_LOAD" and line["error"].startswith("llm.embedded_model must be")
    (home / "config.yaml").write_text("agents: []\n")
    line = startup_failure(daemons(home, env={**ENV, "GOCLAW_EMBEDDED_MODEL": str(outside)}).start())
    assert line["reason_code"] == "E_CONFIG_LOAD" and "GOCLAW_EMBEDDED_MODEL" in line["error"]


def test_an_impossible_debug_delay_is_a_clear_failure(home, daemons):
    line = startup_failure(daemons(home, env={**ENV, "GOCLAW_DEBUG_TASK_DELAY_MS": "9" * 5000}).start())
    assert line["reason_code"] == "E_CONFIG_LOAD" and "GOCLAW_DEBUG_TASK_DELAY_MS" in line["error"]
