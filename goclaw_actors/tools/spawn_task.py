"""`spawn_task{description, payload?, priority?, parent_task_id?, session_id?, target_agent?}` (SPEC §5.1).

Enqueues a durable `subtask` (of the calling task, in its session, for the calling agent unless told
otherwise). The enqueue carries the call's idempotency key, so a retried call finds the task it made.
"""

import json
import uuid
from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.errors import StoreError
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.tool_env import ToolEnv

MAX_PRIORITY = 10
SCHEMA = {"type": "object", "properties": {
    "description": {"type": "string", "minLength": 1, "description": "what the subtask must do"},
    "payload": {"description": "optional data for the subtask"},
    "priority": {"type": "integer", "minimum": 0, "maximum": MAX_PRIORITY},
    "parent_task_id": {"type": "string"}, "session_id": {"type": "string"},
    "target_agent": {"type": "string", "minLength": 1}},
    "required": ["description"], "additionalProperties": False}


def _uuid(value: str, name: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ToolError(f"{name} must be a UUID") from None


def spawn_task(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Enqueue the subtask; returns `{task_id, status}` as JSON."""
    payload: dict[str, Any] = {"content": arguments["description"].strip(), "source": "spawn_task"}
    if arguments.get("payload") is not None:
        payload["data"] = arguments["payload"]
    try:
        result = env.store.tasks.enqueue(
            session_id=_uuid(arguments.get("session_id") or context.session_id, "session_id"),
            payload=payload, agent_id=arguments.get("target_agent") or context.agent_id,
            task_type="subtask", priority=int(arguments.get("priority") or 0),
            parent_task_id=_uuid(arguments.get("parent_task_id") or context.task_id, "parent_task_id"),
            idempotency_key=f"spawn_task:{context.call_key}" if context.call_key else None)
    except StoreError as exc:
        raise ToolError(str(exc)) from exc
    return json.dumps({"task_id": result["task_id"], "status": "QUEUED"})
