"""Two fake-provider agents for delegation tests: `default` and `helper` (each 2 lanes), a fake OpenAI model
that plays the scripted tool calls of tests/e2e/tool_fixtures.py for both, and task helpers with sessions."""

import json
import sqlite3
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.brain.fake_server import Reply, Seen
from tests.e2e.tool_fixtures import ALL_TOOL_CAPABILITIES, tool_model, write_tool_home
from tests.helpers import db_now

HELPER_SOUL = "You are helper, a careful summariser."
AGENT_CAPABILITIES = ["tools.delegate_task", "tools.delegate_task_async", "tools.send_message", "tools.read_messages"]
SLOW = "SLOW"  # a helper prompt holding this word is answered after SLOW_SECONDS
SLOW_SECONDS = 3.0


def two_agent_config(**extra: Any) -> dict[str, Any]:
    """config.yaml of the two agents (hop limit 1)."""
    return {"worker_count": 2, "delegation_max_hops": 1, "delegation_timeout_seconds": 20,
            "agents": [{"agent_id": "helper", "soul": HELPER_SOUL, "worker_count": 2,
                        "capabilities": ["summaries"]}], **extra}


def write_two_agent_home(home: Path, model_url: str, **extra: Any) -> dict[str, str]:
    """The two agents' home (every tool capability granted); returns the daemon's environment."""
    policy = {"allow_capabilities": ALL_TOOL_CAPABILITIES + AGENT_CAPABILITIES, "allow_domains": ["localhost"],
              "allow_loopback": True}
    return write_tool_home(home, model_url, policy, two_agent_config(**extra))


def is_helper(seen: Seen) -> bool:
    """Whether a model request comes from the helper agent (its system prompt)."""
    return HELPER_SOUL in str(seen.body["messages"][0]["content"])


def two_agent_model(seen: Seen) -> Reply:
    """tool_model, with the helper's SLOW prompts answered late."""
    reply = tool_model(seen)
    messages = seen.body["messages"]
    if is_helper(seen) and messages[-1]["role"] != "tool" and SLOW in str(messages[-1]["content"]):
        return replace(reply, delay=SLOW_SECONDS)
    return reply


def script(tool: str, **arguments: Any) -> str:
    """A task content that makes the fake model call `tool` with `arguments`."""
    return json.dumps({"tool": tool, "arguments": arguments})


def enqueue(db_path: Path, content: str, agent_id: str = "default", session_id: str | None = None) -> str:
    """Enqueue a chat task by SQL in `session_id` (a new one when None); returns its id."""
    task_id, session_id, now = str(uuid.uuid4()), session_id or str(uuid.uuid4()), db_now()
    with sqlite3.connect(db_path, timeout=10) as conn:
        conn.execute("INSERT OR IGNORE INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)",
                     (session_id, now, now))
        conn.execute(
            "INSERT INTO tasks (id, session_id, agent_id, type, status, priority, attempt, max_attempts, "
            "available_at, payload, created_at, updated_at) VALUES (?, ?, ?, 'chat', 'QUEUED', 0, 0, 3, ?, ?, ?, ?)",
            (task_id, session_id, agent_id, now, json.dumps({"content": content}), now, now))
    return task_id


def tool_output(reply: str) -> Any:
    """The tool result the fake model echoed (`tool said: <json>`), parsed when it is JSON."""
    text = reply.removeprefix("tool said: ")
    try:
        return json.loads(text)
    except ValueError:
        return text
