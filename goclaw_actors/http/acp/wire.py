"""JSON shapes ACP sends: session events and agent entries (SPEC §9.3)."""

from typing import Any

from goclaw_actors.timeutil import rfc3339


def session_event(event: dict[str, Any]) -> dict[str, Any]:
    """The params of a `session.event` notification for a committed `task_events` row (or bus event)."""
    return {
        "event_id": event["event_id"],
        "task_id": event["task_id"],
        "session_id": event["session_id"],
        "event_type": event["event_type"],
        "state_from": event.get("state_from") or "",
        "state_to": event.get("state_to") or "",
        "run_id": event.get("run_id") or "",
        "trace_id": event.get("trace_id") or "",
        "payload": event.get("payload_json") or "{}",
        "created_at": rfc3339(event["created_at"]),
    }


def model_label(agent: dict[str, Any] | None) -> str:
    """How an `agent.list` entry's model reads: `provider/model` as configured, or `auto` when the daemon
    chooses, followed by what actually serves it (`auto (embedded/qwen2.5-coder…)`, `auto (none)`)."""
    if not agent:
        return "auto"
    configured = "/".join(part for part in (agent.get("provider"), agent.get("model")) if part)
    serving = agent.get("serving") or ""
    if configured:
        return configured if serving in ("", configured) else f"{configured} ({serving})"
    return f"auto ({serving})" if serving else "auto"


def agent_entry(row: dict[str, Any], active_tasks: int) -> dict[str, Any]:
    """`{agent_id, display_name, provider, model, worker_count, status, active_tasks}` of an agent row."""
    return {
        "agent_id": row["agent_id"],
        "display_name": row.get("display_name") or row["agent_id"],
        "provider": row.get("provider") or "",
        "model": row.get("model") or "",
        "worker_count": row.get("worker_count") or 0,
        "status": row.get("status") or "active",
        "active_tasks": active_tasks,
    }
