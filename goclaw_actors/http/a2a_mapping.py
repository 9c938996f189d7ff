"""A2A wire shapes (SPEC §9.7): the agent card, goclaw tasks as A2A Tasks, stream events, incoming messages."""

import uuid
from typing import Any

from goclaw_actors.http.task_result import task_reply
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.timeutil import rfc3339, utc_now

PROTOCOL_VERSION = "0.3.0"
V1_PROTOCOL_VERSION = "1.0"  # the v1.0 interface the card advertises beside the v0.3 one
CARD_NAME = "GoClaw"
CARD_DESCRIPTION = "Multi-agent runtime with durable task execution"

STATES = {
    "QUEUED": "submitted", "CLAIMED": "submitted",
    "RUNNING": "working", "RETRY_WAIT": "working",
    "SUCCEEDED": "completed",
    "FAILED": "failed", "DEAD_LETTER": "failed",
    "CANCELED": "canceled",
}
V1_STATE_PREFIX = "TASK_STATE_"  # v1.0 spells `completed` as `TASK_STATE_COMPLETED`


class InvalidParams(ValueError):
    """Request params the A2A methods cannot accept (JSON-RPC -32602)."""


def agent_card(agents: list[dict[str, Any]], url: str, version: str, v1_fields: bool) -> dict[str, Any]:
    """The card: one skill per active agent (`default` first); `v1_fields` adds the A2A v1.0 keys."""
    capabilities: dict[str, Any] = {"streaming": True, "pushNotifications": False, "stateTransitionHistory": True}
    card: dict[str, Any] = {
        "name": CARD_NAME,
        "description": CARD_DESCRIPTION,
        "url": url,
        "version": version,
        "protocolVersion": PROTOCOL_VERSION,
        "preferredTransport": "JSONRPC",
        "capabilities": capabilities,
        "defaultInputModes": ["text"],
        "defaultOutputModes": ["text"],
        "skills": [{"id": agent["agent_id"], "name": agent["display_name"] or agent["agent_id"],
                    "description": f"Chat with the {agent['agent_id']} agent",  # never its soul prompt
                    "tags": list(agent["tags"])} for agent in agents],
    }
    if v1_fields:
        card["supportedInterfaces"] = [
            {"url": url, "protocolBinding": "JSONRPC", "protocolVersion": version}
            for version in (V1_PROTOCOL_VERSION, PROTOCOL_VERSION)]
        capabilities["extendedAgentCard"] = False
    return card


def a2a_state(status: str) -> str:
    """The A2A state of a goclaw task status."""
    return STATES[status]


def statuses_for(state: str) -> list[str]:
    """The goclaw statuses an A2A state filter (`completed` or `TASK_STATE_COMPLETED`) selects."""
    wanted = state.lower().removeprefix(V1_STATE_PREFIX.lower()).replace("_", "-")
    statuses = [status for status, name in STATES.items() if name == wanted]
    if not statuses:
        raise InvalidParams(f"unknown task state: {state}")
    return statuses


def message_text(message: Any) -> str:
    """The text of an incoming Message: its text parts joined with newlines; InvalidParams without any."""
    if not isinstance(message, dict) or not isinstance(message.get("parts"), list):
        raise InvalidParams("message with parts is required")
    texts = [part["text"] for part in message["parts"]
             if isinstance(part, dict) and isinstance(part.get("text"), str)
             and part.get("kind", part.get("type", "text")) == "text"]
    text = "\n".join(texts)
    if not text.strip():
        raise InvalidParams("message must have a non-empty text part")
    return text


def reply_text(task: TaskRow) -> str | None:
    """The reply of a succeeded task, or None."""
    return task_reply(task) if task.status == "SUCCEEDED" else None


def _stable_id(task: TaskRow, what: str) -> str:
    """A UUID that names the same message or artifact of a task every time it is rendered."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"goclaw:task:{task.id}:{what}"))


def _message(task: TaskRow, role: str, text: str, what: str) -> dict[str, Any]:
    return {"kind": "message", "messageId": _stable_id(task, what), "role": role,
            "parts": [{"kind": "text", "text": text}], "contextId": task.session_id, "taskId": task.id}


def task_status(task: TaskRow) -> dict[str, Any]:
    """`{state, timestamp, message?}`: a failed or canceled task's status carries its error as an agent message."""
    status: dict[str, Any] = {"state": a2a_state(task.status), "timestamp": rfc3339(task.updated_at)}
    if task.error and status["state"] in ("failed", "canceled"):
        status["message"] = _message(task, "agent", task.error, "error")
    return status


def reply_artifact(task: TaskRow) -> dict[str, Any] | None:
    """The reply as an artifact with one text part, or None before the task succeeded."""
    reply = reply_text(task)
    if reply is None:
        return None
    return {"artifactId": _stable_id(task, "reply"), "name": "reply", "parts": [{"kind": "text", "text": reply}]}


def a2a_task(task: TaskRow, history_length: int | None = None) -> dict[str, Any]:
    """The A2A Task of a goclaw task: id, contextId (the session), status, artifacts, history, metadata.

    History is the user's message and, once there is one, the reply; `history_length` keeps the latest n.
    """
    history = [_message(task, "user", str(task.payload.get("content", "")), "user")]
    reply = reply_text(task)
    if reply is not None:
        history.append(_message(task, "agent", reply, "reply"))
    if history_length is not None:
        history = history[len(history) - history_length:] if history_length else []
    artifact = reply_artifact(task)
    return {"kind": "task", "id": task.id, "contextId": task.session_id, "status": task_status(task),
            "artifacts": [artifact] if artifact else [], "history": history,
            "metadata": {"agent_id": task.agent_id}}


def status_update(task: TaskRow, final: bool, state: str | None = None) -> dict[str, Any]:
    """A `status-update` stream event: the task's current status, or `state` as of now."""
    status = task_status(task) if state is None else {"state": state, "timestamp": rfc3339(utc_now())}
    return {"kind": "status-update", "taskId": task.id, "contextId": task.session_id, "status": status,
            "final": final}


def artifact_update(task: TaskRow, artifact: dict[str, Any]) -> dict[str, Any]:
    """An `artifact-update` stream event carrying the whole artifact."""
    return {"kind": "artifact-update", "taskId": task.id, "contextId": task.session_id, "artifact": artifact,
            "append": False, "lastChunk": True}
