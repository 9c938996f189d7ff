"""A finished task as an OpenAI chat completion: message, client tool calls, usage (SPEC §9.4)."""

import json
import time
from typing import Any

from goclaw_actors.errors import AgentNotFound, QueueSaturated
from goclaw_actors.http.openai_errors import OpenAIError, model_not_found
from goclaw_actors.http.task_result import task_result
from goclaw_actors.store.sqlite_tasks import estimate_tokens
from goclaw_actors.store.storage_errors import RETRY_AFTER_SECONDS, storage_unavailable
from goclaw_actors.store.task_row import TaskRow


PROVIDER_FINISH_REASONS = ("stop", "length", "content_filter")


def completion_id(task_id: str) -> str:
    """The id of every completion object and chunk of a task: `chatcmpl-<task_id>`."""
    return f"chatcmpl-{task_id}"


def client_tool_calls(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The result's client tool calls as OpenAI `tool_calls` (`{id, type, function:{name, arguments}}`)."""
    calls = []
    for index, call in enumerate(result.get("tool_calls") or []):
        if not isinstance(call, dict):
            continue
        function = call.get("function") if isinstance(call.get("function"), dict) else call
        arguments = function.get("arguments", {})
        calls.append({
            "id": str(call.get("id") or f"call_{index}"),
            "type": "function",
            "function": {"name": str(function.get("name") or ""),
                         "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)},
        })
    return calls


def usage_of(task: TaskRow, reply: str) -> dict[str, int]:
    """The provider's usage from the task row when reported, else estimates (prompt: the last message;
    completion: the reply)."""
    if task.prompt_tokens > 0 or task.completion_tokens > 0:
        prompt, completion = task.prompt_tokens, task.completion_tokens
    else:
        prompt, completion = estimate_tokens(str(task.payload.get("content") or "")), estimate_tokens(reply)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def finish_reason_of(result: dict[str, Any], calls: list[dict[str, Any]]) -> str:
    """`tool_calls` when the client has calls to run, else the provider's reason kept on the result
    (`stop`, `length`, `content_filter`; `stop` when it gave none of these)."""
    if calls:
        return "tool_calls"
    reason = result.get("finish_reason")
    return reason if reason in PROVIDER_FINISH_REASONS else "stop"


def completion_body(task: TaskRow, model: str) -> dict[str, Any]:
    """The `chat.completion` object of a SUCCEEDED task."""
    result = task_result(task)
    reply = result.get("reply") if isinstance(result.get("reply"), str) else ""
    calls = client_tool_calls(result)
    if calls:
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": calls}
    else:
        message = {"role": "assistant", "content": reply}
    finish_reason = finish_reason_of(result, calls)
    return {
        "id": completion_id(task.id),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": usage_of(task, reply),
    }


def enqueue_error(exc: Exception, model: str) -> OpenAIError:
    """The OpenAI error of a refused enqueue: 404 model_not_found for an unknown or stopped agent,
    429 queue_saturated, 503 storage_unavailable (with Retry-After) when the disk is full or the database
    read-only, else 500 internal_error with the cause."""
    if isinstance(exc, AgentNotFound):
        return model_not_found(model)
    if isinstance(exc, QueueSaturated):
        return OpenAIError(429, str(exc), "queue_saturated")
    if storage_unavailable(exc):
        return OpenAIError(503, f"Failed to enqueue task: {exc}", "storage_unavailable",
                           headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return OpenAIError(500, f"Failed to enqueue task: {exc}", "internal_error")
