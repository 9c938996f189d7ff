"""ACP chat methods: `agent.chat`, `agent.chat.stream`, `agent.abort`, `subtask.create`, `subtask.list`."""

import json
from typing import Any

from goclaw_actors.errors import StoreError, TaskNotFound
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import enqueue_error, invalid
from goclaw_actors.http.acp.params import agent_id, as_uuid, check_agent_scope, integer, text
from goclaw_actors.http.chat_routing import acp_chat_request
from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, stream_new_task
from goclaw_actors.http.route_access import Scope
from goclaw_actors.http.task_abort import abort_task
from goclaw_actors.http.task_json import task_json
from goclaw_actors.store.agent_reads import subtasks
from goclaw_actors.store.sqlite_reads import get_task

CHAT_PARAMS_ERROR = "session_id must be uuid and content must be non-empty"
STREAM_NOTIFICATION = "agent.chat.stream"
SOURCE = "acp"


def _chat_request(call: Call, stream: bool) -> ChatRequest:
    """The task a chat line becomes: a turn or a command (SPEC §12) for the agent it mentions, else the named
    `agent_id`, else the session's sticky target, else `default` (SPEC §7.1)."""
    session_id = as_uuid(call.params.get("session_id"))
    content = text(call.params, "content", "text")
    if session_id is None or not content:
        raise invalid(CHAT_PARAMS_ERROR)
    explicit = agent_id(call) if text(call.params, "agent_id") else None
    request = acp_chat_request(call.ctx, call.conn.principal, session_id, content, explicit, SOURCE, stream=stream,
                               priority=integer(call.params, "priority", 0))
    check_agent_scope(call, request.agent_id)
    return request


def _enqueue(call: Call, request: ChatRequest) -> str:
    try:
        return enqueue_chat(call.ctx, request)
    except StoreError as exc:
        raise enqueue_error(exc) from exc


def chat(call: Call) -> dict[str, Any]:
    """Enqueue one user turn; answers `{task_id}` once the task is committed."""
    return {"task_id": _enqueue(call, _chat_request(call, stream=False))}


def chat_stream(call: Call) -> dict[str, Any]:
    """Enqueue a streaming turn, notify `agent.chat.stream {content}` per chunk, answer `{task_id}` when the
    task is terminal. A reply that produced no chunk (a non-streaming processor) is sent as one chunk.
    """
    request = _chat_request(call, stream=True)
    try:  # subscribed before the enqueue: not one chunk can be missed
        task_id, items = stream_new_task(call.ctx, request)
    except StoreError as exc:
        raise enqueue_error(exc) from exc
    streamed, task = False, None
    for chunk in items:
        if chunk["type"] == "token" and chunk.get("token"):
            call.notify(STREAM_NOTIFICATION, {"content": chunk["token"]})
            streamed = True
        elif chunk["type"] == "done":
            task = chunk["task"]
    if not streamed and task is not None and task.status == "SUCCEEDED" and task.result:
        reply = json.loads(task.result).get("reply")
        if isinstance(reply, str) and reply:
            call.notify(STREAM_NOTIFICATION, {"content": reply})
    return {"task_id": task_id}


def _required_task_id(call: Call, name: str = "task_id") -> str:
    task_id = text(call.params, name)
    if not task_id:
        raise invalid(f"{name} is required")
    return task_id


def abort(call: Call) -> dict[str, Any]:
    """Cancel a task and interrupt its running attempt; `aborted: false` when it was already terminal."""
    task_id = _required_task_id(call)
    task = call.ctx.read(get_task, task_id)
    if task is None:
        raise TaskNotFound(task_id)
    check_agent_scope(call, task.agent_id)
    return {"aborted": abort_task(call.ctx, task_id)}


def subtask_create(call: Call) -> dict[str, Any]:
    """Enqueue a `subtask` of `parent_task_id` in `session_id` (agent `agent_id`, default `default`)."""
    parent_id = text(call.params, "parent_task_id")
    session_id = as_uuid(call.params.get("session_id"))
    payload = call.params.get("payload")
    if isinstance(payload, str):
        payload = {"content": payload}
    content = payload.get("content") if isinstance(payload, dict) else None
    if not parent_id or session_id is None or not isinstance(content, str) or not content.strip():
        raise invalid("parent_task_id, session_id (uuid) and payload with non-empty content are required")
    agent, priority = agent_id(call), integer(call.params, "priority", 0)
    parent = call.ctx.read(get_task, parent_id)
    if parent is None:
        raise TaskNotFound(parent_id)
    check_agent_scope(call, parent.agent_id)
    try:
        result = call.ctx.store.tasks.enqueue(session_id=session_id, payload=payload, agent_id=agent,
                                              task_type="subtask", priority=priority,
                                              parent_task_id=parent_id)
    except StoreError as exc:
        raise enqueue_error(exc) from exc
    return {"task_id": result["task_id"]}


def subtask_list(call: Call) -> dict[str, Any]:
    """The subtasks of `parent_task_id` as Task objects, oldest first."""
    parent_id = _required_task_id(call, "parent_task_id")
    principal = call.conn.principal
    return {"subtasks": [task_json(task) for task in call.ctx.read(subtasks, parent_id)
                         if principal.allows(task.agent_id)]}


def methods() -> dict[str, Method]:
    """The chat and subtask methods by name."""
    return {
        "agent.chat": Method(chat, Scope.AGENTS, mutating=True),
        "agent.chat.stream": Method(chat_stream, Scope.AGENTS, mutating=True),
        "agent.abort": Method(abort, Scope.AGENTS, mutating=True),
        "subtask.create": Method(subtask_create, Scope.AGENTS, mutating=True),
        "subtask.list": Method(subtask_list, Scope.AGENTS),
    }
