"""Secrets never leak (SPEC §5.6, §9, §11): the real daemon is given known, unique secrets (the generated auth
token, provider keys, an agent's own keys, a gateway API key, Telegram/Brave/Perplexity keys, a key set over
ACP), then every surface that could carry one is exercised: a model that echoes the key it was called with,
an exec tool call that prints its environment and cats the home's files, a provider whose error body quotes
the key, search backends refusing (and quoting) their keys, config reloads that fail on a line holding a
key, refused credentials, incident exports and every listing. Afterwards no secret is in any file under
GOCLAW_HOME (but those whose job is to hold them), in any text column of any table, in the daemon's output,
or in any response body; and the home's files are private.
"""

import json
import os
import sqlite3
import stat
import uuid

import requests
import yaml

from tests.brain.fake_server import FakeServer, Reply, Seen, json_reply, sse_reply
from tests.e2e.tool_fixtures import all_tools_policy, completion, tool_calls_message, wait_task
from tests.gateway.acp_client import AcpClient
from tests.helpers import insert_task, wait_until

MARK = uuid.uuid4().hex[:12]
OPENAI_KEY = f"sk-plant-openai-{MARK}-0001"
AGENT_KEY = f"sk-plant-agent-literal-{MARK}"
AGENT_ENV_KEY = f"sk-plant-agent-env-{MARK}"
GATEWAY_KEY = f"gk-plant-gateway-{MARK}"
BRAVE_KEY = f"BSA-plant-brave-{MARK}"
PERPLEXITY_KEY = f"pplx-plant-{MARK}"
TELEGRAM_TOKEN = f"123456789:plant-telegram-{MARK}"
SET_KEY = f"sk-or-plant-config-set-{MARK}"
# Files whose job is to hold secrets (each checked 0600): the token, runtime agents' keys, the config.
HOLDERS = {"auth.token", "secrets.yaml", "config.yaml"}
EXEC_COMMAND = "env && cat ../auth.token ../secrets.yaml ../config.yaml"


def model(seen: Seen) -> Reply:
    """The fake provider: echo the key it was called with, fail quoting it, or run an exec script. Also the
    fake search backends (Brave, Perplexity): refusing the key they were given, quoting it."""
    key = seen.headers.get("authorization", "").removeprefix("Bearer ")
    if seen.path.startswith(("/brave/", "/pplx/")):
        given = seen.headers.get("x-subscription-token") or key
        return json_reply({"error": f"invalid subscription token {given}"}, status=401)
    messages = seen.body["messages"]
    last = messages[-1]
    if last["role"] == "tool":
        return json_reply(completion({"content": "tool said: " + " | ".join(
            m["content"] for m in messages if m["role"] == "tool")}))
    content = str(last.get("content"))
    if "echo" in content and seen.body.get("stream"):
        text = f"the key I was called with is {key}, also api_key={key}"
        pieces = [text[i:i + 7] for i in range(0, len(text), 7)]  # the key split across chunks
        return sse_reply([{"id": "c", "object": "chat.completion.chunk", "model": "gpt-test", "choices": [
            {"index": 0, "delta": {"content": piece}, "finish_reason": None}]} for piece in pieces]
                         + [{"id": "c", "object": "chat.completion.chunk", "model": "gpt-test", "choices": [
                             {"index": 0, "delta": {}, "finish_reason": "stop"}]}], done=True)
    if "echo" in content:
        return json_reply(completion({"content": f"the key I was called with is {key}, also api_key={key}"}))
    if "fail" in content:
        return json_reply({"error": {"message": f"Incorrect API key provided: {key}. You can find your API key "
                                                f"at https://example.com.", "type": "invalid_request_error",
                                     "code": "invalid_api_key"}}, status=401)
    if "search" in content:
        return json_reply(completion(tool_calls_message([("web_search", {"query": "leaky"})]), "tool_calls"))
    if "exec" in content:
        return json_reply(completion(tool_calls_message([("exec", {"command": EXEC_COMMAND})]), "tool_calls"))
    return json_reply(completion({"content": "ok"}))


def test_planted_secrets_never_leak(home, daemons):
    config = {"agents": [], "worker_count": 2, "delegation_max_hops": 0, "llm": {"provider": "openai"},
              "preferred_search": "brave",
              "telemetry": {"enabled": True, "exporter": "stdout"},  # spans printed: the daemon's output is checked
              "tools": {"shell": {"env_allow": ["HARMLESS", "COPY_OF_KEY"]}},
              "gateway": {"auth": {"enabled": True, "keys": [{"key": GATEWAY_KEY, "description": "planted"}]}}}
    (home / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (home / "policy.yaml").write_text(yaml.safe_dump(all_tools_policy()), encoding="utf-8")
    bodies: list[str] = []

    with FakeServer(handler=model) as provider:
        env = {"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": provider.url + "/v1", "HELPER_KEY": AGENT_ENV_KEY,
               "BRAVE_API_KEY": BRAVE_KEY, "PERPLEXITY_API_KEY": PERPLEXITY_KEY, "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
               "HARMLESS": "plain value", "COPY_OF_KEY": OPENAI_KEY}
        env = {**env, "GOCLAW_AUTH_TOKEN": ""}  # the daemon generates auth.token
        config["tools"]["web_search"] = {"brave_base_url": provider.url + "/brave",
                                         "perplexity_base_url": provider.url + "/pplx"}
        (home / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        daemon = daemons(home, env=env).start().wait_healthy()
        token = (home / "auth.token").read_text().strip()
        secrets = {"auth token": token, "openai": OPENAI_KEY, "agent literal": AGENT_KEY, "agent env": AGENT_ENV_KEY,
                   "gateway key": GATEWAY_KEY, "brave": BRAVE_KEY, "perplexity": PERPLEXITY_KEY,
                   "telegram": TELEGRAM_TOKEN, "config.set": SET_KEY}
        assert len(token) >= 16
        auth = {"Authorization": f"Bearer {token}"}

        def keep(response: requests.Response) -> requests.Response:
            bodies.append(response.text)
            return response

        def chat(content: str, model_name: str = "goclaw-v1", stream: bool = False, **extra) -> requests.Response:
            return keep(requests.post(daemon.url + "/v1/chat/completions", headers={**auth, **extra}, timeout=30,
                                      json={"model": model_name, "stream": stream,
                                            "messages": [{"role": "user", "content": content}]}))

        # a model echoing its key, over /v1 (plain and streamed) and through runtime agents with their own keys
        echoed = chat("echo please")
        assert echoed.json()["choices"][0]["message"]["content"].startswith("the key I was called with is [REDACTED]")
        streamed = chat("echo please", stream=True)
        assert streamed.status_code == 200
        streamed_text = "".join(json.loads(line[6:])["choices"][0]["delta"].get("content", "")
                                for line in streamed.text.splitlines()
                                if line.startswith("data: {") and json.loads(line[6:]).get("choices"))
        assert streamed_text == "the key I was called with is [REDACTED], also api_key=[REDACTED]"
        acp = AcpClient(daemon.port, token=token).hello()
        assert acp.call("agent.create", {"agent_id": "literal", "api_key": AGENT_KEY, "worker_count": 1})
        assert acp.call("agent.create", {"agent_id": "envkeyed", "api_key_env": "HELPER_KEY", "worker_count": 1})
        assert acp.call("config.set", {"key": "openrouter_api_key", "value": SET_KEY})["saved"] is True
        for agent in ("literal", "envkeyed"):
            assert chat("echo please", model_name=f"agent:{agent}").status_code == 200
        # a provider whose error quotes the key
        failed = chat("fail please")
        assert (failed.status_code, failed.json()["error"]["code"]) == (502, "upstream_authentication_error")
        # an exec tool call printing the environment and the home's secret files
        with sqlite3.connect(daemon.db_path) as conn:
            exec_task = insert_task(conn, "exec please")
        exec_row = wait_task(daemon.db_path, exec_task, timeout=30)
        assert exec_row["status"] == "SUCCEEDED" and "HARMLESS=plain value" in exec_row["reply"]
        # search backends refusing their keys, quoting them
        with sqlite3.connect(daemon.db_path) as conn:
            search_task = insert_task(conn, "search please")
        search_row = wait_task(daemon.db_path, search_task, timeout=30)
        assert search_row["status"] == "SUCCEEDED" and "401" in search_row["reply"], search_row["reply"]
        # refused credentials, the token where it is not accepted, keys that are not gateway keys
        for how in ({"headers": {"Authorization": f"Bearer {AGENT_KEY}"}}, {"params": {"api_key": token}},
                    {"headers": {"X-API-Key": OPENAI_KEY}}, {"headers": {"Authorization": f"Basic {token}"}}):
            assert keep(requests.get(daemon.url + "/api/tasks", timeout=10, **how)).status_code in (401, 403)
        # config reloads that fail on lines holding keys (YAML syntax, then a bad value)
        good = (home / "config.yaml").read_text()
        marks = len(daemon.json_lines())
        for broken in (good + f"\nbroken: [{BRAVE_KEY}\n", good.replace("description: planted",
                                                                          f"rate_limit: '{GATEWAY_KEY}'")):
            (home / "config.yaml").write_text(broken)
            wait_until(lambda: len([line for line in daemon.json_lines()[marks:]
                                    if line.get("msg", "").startswith("config.yaml not applied")]) >= 1,
                       timeout=10, what="the failed reload")
            marks = len(daemon.json_lines())
        (home / "config.yaml").write_text(good)
        # every listing and export
        for path in ("/api/tasks?include=payload,result&limit=100", "/api/events?limit=500", "/api/sessions",
                     "/metrics", "/api/config", "/api/usage", "/v1/models", "/api/supervision"):
            assert keep(requests.get(daemon.url + path, headers=auth, timeout=10)).status_code == 200, path
        for task in json.loads(bodies[-8])["tasks"]:
            bodies.append(json.dumps(acp.call("incident.export", {"task_id": task["id"]})))
            keep(requests.get(f"{daemon.url}/api/sessions/{task['session_id']}/messages", headers=auth, timeout=10))
            keep(requests.post(daemon.url + "/a2a", headers=auth, timeout=10, json={
                "jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {"id": task["id"]}}))
        for method in ("config.list", "agent.list", "system.status", "session.list", "approval.list"):
            bodies.append(json.dumps(acp.call(method)))
        bodies.extend(json.dumps(message) for message in acp.notifications)
        acp.close()
        assert daemon.terminate() == 0

    assert "span_id" in daemon.output()  # the spans were printed (and are checked below)
    leaks = []
    for name, secret in secrets.items():
        for path in sorted(p for p in home.rglob("*") if p.is_file() and p.name not in HOLDERS):
            if secret.encode() in path.read_bytes():
                leaks.append(f"{name} in {path.relative_to(home)}")
        if secret in daemon.output():
            leaks.append(f"{name} in the daemon's output")
        leaks += [f"{name} in {where}" for where in database_texts(daemon.db_path, secret)]
        leaks += [f"{name} in a response: …{body[max(0, body.find(secret) - 80):body.find(secret) + 20]}"
                  for body in bodies if secret in body]
    assert leaks == [], "\n".join(leaks)

    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    for name in (*HOLDERS, "goclaw.db", "logs/system.jsonl", "logs/audit.jsonl"):
        assert stat.S_IMODE(os.stat(home / name).st_mode) == 0o600, name


def database_texts(db_path, secret: str) -> list[str]:
    """`table.column` of every text value holding `secret`, over every table."""
    found = []
    with sqlite3.connect(db_path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                hits = conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE ?',
                                    (f"%{secret}%",)).fetchone()[0]
                if hits:
                    found.append(f"{table}.{column}")
    return found
