"""`delegate_task` and `delegate_task_async` (SPEC §7.2): hand a prompt to another agent as a durable child task.

The child is a `delegation` task in the same session (or `session_id`), for `target_agent` or the first
other agent with `capability`, one hop deeper than the calling task (refused at `delegation_max_hops`),
with the calling task as its parent. Its enqueue carries the tool call's idempotency key, so a retried
parent finds the child it made instead of making another one.

`delegate_task` waits for the child (event-driven, outside its worker lane, so no number of waiting
delegations can starve their children of lanes) up to `timeout_sec`, then aborts it.
`delegate_task_async` returns at once; the result is handed to the parent agent's next turn in that session.
"""

import json
import uuid
from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.delegation.links import AgentLinks
from goclaw_actors.delegation.routing import child_hop, choose_target, hop_of
from goclaw_actors.queue.task_wait import await_terminal, is_done
from goclaw_actors.store.sqlite_delegations import ASYNC, SYNC, reply_of
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.tool_env import ToolEnv

_COMMON = {
    "target_agent": {"type": "string", "minLength": 1, "description": "the agent to hand the task to"},
    "capability": {"type": "string", "minLength": 1,
                   "description": "instead of target_agent: the first other agent with this capability"},
    "prompt": {"type": "string", "minLength": 1, "description": "what the other agent must do"},
    "session_id": {"type": "string", "description": "the session to run it in (default: this one)"},
}
SYNC_SCHEMA = {"type": "object", "properties": {**_COMMON, "timeout_sec": {
    "type": "number", "exclusiveMinimum": 0, "maximum": 300, "description": "how long to wait (default 120)"}},
    "required": ["prompt"], "additionalProperties": False}
ASYNC_SCHEMA = {"type": "object", "properties": _COMMON, "required": ["prompt"], "additionalProperties": False}


def links_of(env: ToolEnv) -> AgentLinks:
    """The env's routes to the other agents; ToolError when the daemon gave none."""
    if env.links is None:
        raise ToolError("agents cannot reach each other here")
    return env.links


def start_child(env: ToolEnv, arguments: dict[str, Any], context: ToolContext, mode: str) -> dict[str, Any]:
    """Check and enqueue the delegation; returns `{delegation_id, task_id, created, target}`."""
    links = links_of(env)
    target = choose_target(links, arguments, context.agent_id)
    parent = links.task(context.task_id)
    hop = child_hop(hop_of(parent.payload if parent is not None else {}), links.max_hops())
    session_id = _session(arguments.get("session_id"), context.session_id)
    started = links.write(links.store.delegations.start_delegation, parent_task_id=context.task_id,
                          parent_agent=context.agent_id, child_agent=target, session_id=session_id,
                          prompt=arguments["prompt"].strip(), hop=hop, mode=mode,
                          idempotency_key=f"delegate:{context.call_key}" if context.call_key else None)
    return {**started, "target": target}


def delegate_task(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Delegate and wait; `{task_id, status, result, error}` as JSON, or ToolError `delegation timed out after
    <s>s` (the child is aborted)."""
    links = links_of(env)
    timeout = links.timeout_seconds(arguments.get("timeout_sec"))
    started = start_child(env, arguments, context, SYNC)
    child_id = started["task_id"]
    with links.watch_task(child_id) as watch, context.waiting():
        task = await_terminal(watch.queue, lambda: links.task(child_id), timeout)
    if not is_done(task):
        message = f"delegation timed out after {timeout:g}s"
        if links.write(links.store.delegations.abort_delegation, delegation_id=started["delegation_id"],
                       error=message):
            links.interrupt(started["target"], child_id)
            raise ToolError(message)
        task = links.task(child_id)  # it ended just now
    if task is None:
        raise ToolError(f"delegated task {child_id} disappeared")
    return json.dumps({"task_id": child_id, "status": task.status,
                       "result": reply_of(task.result) if task.status == "SUCCEEDED" else None,
                       "error": task.error if task.status != "SUCCEEDED" else None})


def delegate_task_async(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Delegate without waiting: `{delegation_id, status: "queued"}` as JSON."""
    started = start_child(env, arguments, context, ASYNC)
    return json.dumps({"delegation_id": started["delegation_id"], "status": "queued"})


def _session(value: Any, default: str) -> str:
    if not value:
        return default
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ToolError("session_id must be a UUID") from None
