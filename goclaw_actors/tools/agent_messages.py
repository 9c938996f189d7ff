"""`send_message{to_agent, content}` and `read_messages{limit}` (SPEC §7.3): notes between agents.

A message is stored and, below depth 5, delivered as an `agent_message` task for the recipient
(`[Message from @<from>]: <content>`, in the two agents' own session) one level deeper than the sending
task; deeper messages are stored only, so agents cannot keep each other busy forever. The store write
carries the call's idempotency key: a retried sender never sends twice.
"""

import json
from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.delegation.routing import hop_of
from goclaw_actors.store.sqlite_agent_messages import MAX_MESSAGE_DEPTH
from goclaw_actors.timeutil import rfc3339
from goclaw_actors.tools.delegate_task import links_of
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.tool_env import ToolEnv

DEFAULT_READ_LIMIT = 10
MAX_READ_LIMIT = 100
SEND_SCHEMA = {"type": "object", "properties": {
    "to_agent": {"type": "string", "minLength": 1, "description": "the recipient agent"},
    "content": {"type": "string", "minLength": 1}},
    "required": ["to_agent", "content"], "additionalProperties": False}
READ_SCHEMA = {"type": "object", "properties": {
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_READ_LIMIT, "description": "at most this many (10)"}},
    "additionalProperties": False}


def send_message(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Store (and deliver) the message; `{message_id, to_agent, depth, delivered, task_id}` as JSON."""
    links = links_of(env)
    recipient = arguments["to_agent"].strip().removeprefix("@")
    if recipient == context.agent_id:
        raise ToolError("cannot send a message to self")
    sender = links.task(context.task_id)
    depth = hop_of(sender.payload if sender is not None else {}, "message_depth") + 1
    message = links.write(links.store.delegations.send_agent_message, from_agent=context.agent_id, to_agent=recipient,
                          content=arguments["content"].strip(), depth=depth,
                          idempotency_key=f"send_message:{context.call_key}" if context.call_key else None)
    answer = {"message_id": message["id"], "to_agent": recipient, "depth": message["message_depth"],
              "delivered": message["task_id"] is not None, "task_id": message["task_id"]}
    if message["task_id"] is None:
        answer["note"] = f"stored, not delivered: message depth {message['message_depth']} reached the limit " \
                         f"of {MAX_MESSAGE_DEPTH}"
    return json.dumps(answer)


def read_messages(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """The agent's unread messages, oldest first, now marked read: `{messages: [{id, from_agent, content,
    created_at}]}` as JSON."""
    links = links_of(env)
    limit = arguments.get("limit") or DEFAULT_READ_LIMIT
    rows = links.write(links.store.delegations.read_agent_messages, agent_id=context.agent_id,
                       limit=min(int(limit), MAX_READ_LIMIT), task_id=context.task_id)
    return json.dumps({"messages": [{"id": row["id"], "from_agent": row["from_agent"], "content": row["content"],
                                     "created_at": rfc3339(row["created_at"])} for row in rows]})
