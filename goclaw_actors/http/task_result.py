"""The result of a finished task as the gateway's protocols read it: `{"reply", "tool_calls"?, "structured"?}`."""

import json
from typing import Any

from goclaw_actors.store.task_row import TaskRow


def task_result(task: TaskRow) -> dict[str, Any]:
    """The decoded result object; `{}` when the task has none (not finished, failed) or it is not an object."""
    if not task.result:
        return {}
    try:
        value = json.loads(task.result)
    except ValueError:
        return {"reply": task.result}  # written by another tool as plain text
    return value if isinstance(value, dict) else {}


def task_reply(task: TaskRow) -> str:
    """The reply text of a finished task ("" when there is none)."""
    reply = task_result(task).get("reply")
    return reply if isinstance(reply, str) else ""
