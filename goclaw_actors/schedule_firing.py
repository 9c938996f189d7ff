"""What one firing of a cron schedule enqueues (SPEC §10): a `schedule` task, its agent, session and content."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from goclaw_actors.timeutil import rfc3339

SCHEDULE_TASK = "schedule"
SCHEDULE_SOURCE = "schedule"
DEFAULT_AGENT = "default"


@dataclass(frozen=True)
class ScheduledTask:
    """The enqueue arguments of one slot of a schedule."""

    agent_id: str
    session_id: str
    payload: dict[str, Any]
    idempotency_key: str


def schedule_session_id(schedule_id: str, session_id: str | None) -> str:
    """The schedule's own session, else UUIDv5(NAMESPACE_URL, `goclaw:schedule:<id>`)."""
    return session_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"goclaw:schedule:{schedule_id}"))


def schedule_content(payload: str | None) -> str | None:
    """The task content: the payload's `content` when the payload is a JSON object, else the payload text.

    None when there is nothing to send (blank text, or an object without a non-blank string `content`).
    """
    text = payload or ""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    content = parsed.get("content") if isinstance(parsed, dict) else text
    return content if isinstance(content, str) and content.strip() else None


def slot_key(schedule_id: str, due_at: str) -> str:
    """The idempotency key of the task of the slot due at `due_at`: one slot never enqueues twice."""
    return f"schedule:{schedule_id}:{due_at}"


def scheduled_task(schedule: dict[str, Any], due_at: str) -> ScheduledTask | None:
    """The task of the slot `due_at` of a schedule row (`id`, `name`, `payload`, `session_id`, `agent_id`),
    or None when its payload holds no content."""
    content = schedule_content(schedule["payload"])
    if content is None:
        return None
    payload = {"content": content, "source": SCHEDULE_SOURCE,
               "schedule": {"id": schedule["id"], "name": schedule["name"], "slot": rfc3339(due_at)}}
    return ScheduledTask(agent_id=schedule["agent_id"] or DEFAULT_AGENT,
                         session_id=schedule_session_id(schedule["id"], schedule["session_id"]),
                         payload=payload, idempotency_key=slot_key(schedule["id"], due_at))
