"""Driving built-in tools through the real daemon: a fake OpenAI-compatible model that calls the tool a task
names, and helpers to read what the daemon recorded (task rows, audit rows, dedup rows, events).

A task's content is JSON `{"tool": <name>, "arguments": {...}}` (or `{"calls": [[name, args], ...]}` for
several calls in one round). The fake model answers the first turn with those tool calls and the next
turn with `tool said: <the tool message contents joined by " | ">`.
"""

import json
import sqlite3
from pathlib import Path
from typing import Any

import yaml

from tests.brain.fake_server import Reply, Seen, json_reply
from tests.helpers import insert_task, wait_until

ALL_TOOL_CAPABILITIES = ["tools.web_search", "tools.read_url", "tools.read_file", "tools.write_file", "tools.exec",
                         "tools.spawn_task", "tools.memory_read", "tools.memory_write", "tools.send_alert",
                         "tools.price_comparison", "skill.inject", "acp.read", "acp.mutate"]
OPENAI_KEY = "sk-test-0123456789abcdefghij"
AUTH_TOKEN = "tools-e2e-token-5b0d2f"


def completion(message: dict[str, Any], finish: str = "stop") -> dict[str, Any]:
    """An OpenAI chat completion body with one choice."""
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


def tool_calls_message(calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """An assistant message calling each (name, arguments) in order."""
    return {"content": None, "tool_calls": [
        {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        for i, (name, args) in enumerate(calls)]}


def scripted_calls(seen: Seen) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls the task's content asks for (none when it is not a script)."""
    user = next(m for m in reversed(seen.body["messages"]) if m["role"] == "user")
    try:
        script = json.loads(user["content"])
    except ValueError:
        return []
    if "calls" in script:
        return [(name, args) for name, args in script["calls"]]
    return [(script["tool"], script.get("arguments", {}))]


def tool_model(seen: Seen) -> Reply:
    """The fake model: call the scripted tools, then report what they said."""
    messages = seen.body["messages"]
    if messages[-1]["role"] == "tool":
        outputs = [m["content"] for m in messages if m["role"] == "tool"]
        return json_reply(completion({"content": "tool said: " + " | ".join(outputs)}))
    calls = scripted_calls(seen)
    if not calls:
        return json_reply(completion({"content": "done: " + str(messages[-1]["content"])}))
    return json_reply(completion(tool_calls_message(calls), "tool_calls"))


def write_tool_home(home: Path, provider_url: str, policy: dict[str, Any], config: dict[str, Any] | None = None):
    """config.yaml (openai provider at the fake, one agent) and policy.yaml for a tools test home."""
    settings = {"agents": [], "worker_count": 2, "llm": {"provider": "openai"}, "approval_timeout_seconds": 60,
                **(config or {})}
    (home / "config.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    (home / "policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    return {"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": provider_url + "/v1", "GOCLAW_AUTH_TOKEN": AUTH_TOKEN}


def all_tools_policy(**extra: Any) -> dict[str, Any]:
    """Every tool capability, loopback allowed (fakes listen on 127.0.0.1)."""
    return {"allow_capabilities": ALL_TOOL_CAPABILITIES, "allow_domains": ["localhost"], "allow_loopback": True,
            **extra}


def run_tool_task(db_path: Path, tool: str | None = None, arguments: dict[str, Any] | None = None,
                  calls: list | None = None, timeout: float = 20) -> dict[str, Any]:
    """Enqueue a task that calls the tool(s), wait for it to end, return its row (with `reply`)."""
    content = json.dumps({"calls": calls} if calls is not None else {"tool": tool, "arguments": arguments or {}})
    with sqlite3.connect(db_path) as conn:
        task_id = insert_task(conn, content)
    return wait_task(db_path, task_id, timeout)


def wait_task(db_path: Path, task_id: str, timeout: float = 20) -> dict[str, Any]:
    """Wait until the task is terminal; returns its row with the parsed `reply`."""
    def terminal():
        row = task_row(db_path, task_id)
        return row if row["status"] in ("SUCCEEDED", "DEAD_LETTER", "CANCELED") else None

    row = wait_until(terminal, timeout=timeout, what=f"task {task_id} to end")
    row["reply"] = json.loads(row["result"])["reply"] if row["result"] else None
    return row


def task_row(db_path: Path, task_id: str) -> dict[str, Any]:
    """The task's row."""
    return query(db_path, "SELECT * FROM tasks WHERE id = ?", task_id)[0]


def query(db_path: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of a read-only query as dicts."""
    with sqlite3.connect(db_path, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def audit_rows(db_path: Path, task_id: str) -> list[tuple[str, str, str]]:
    """(decision, action, reason) of the audit rows a task produced, in order."""
    return [(r["decision"], r["action"], r["reason"])
            for r in query(db_path, "SELECT * FROM audit_log WHERE trace_id = ? ORDER BY created_at, rowid", task_id)]


def dedup_rows(db_path: Path, task_id: str) -> list[dict[str, Any]]:
    """The task's tool_call_dedup rows."""
    return query(db_path, "SELECT * FROM tool_call_dedup WHERE idempotency_key LIKE ? ORDER BY created_at",
                 task_id + ":%")
