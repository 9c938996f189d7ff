"""ACP agent methods: `agent.create`, `agent.remove`, `agent.list`, `agent.status`, and `incident.export`."""

import json
import re
from typing import Any

from goclaw_actors.errors import AgentNotFound, TaskNotFound
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import internal, invalid
from goclaw_actors.http.acp.params import DEFAULT_AGENT, agent_id, check_agent_scope, integer, text
from goclaw_actors.http.acp.wire import agent_entry, session_event
from goclaw_actors.http.route_access import Scope
from goclaw_actors.http.task_json import task_json
from goclaw_actors.redaction import redact_text
from goclaw_actors.store.agent_reads import agent_row, audit_trail, last_error
from goclaw_actors.store.api_reads import get_task_with_payload
from goclaw_actors.store.kv_reads import AGENT_API_KEY_KV as API_KEY_KV
from goclaw_actors.store.sqlite_reads import active_agents, agent_active_counts, task_events
from goclaw_actors.timeutil import rfc3339, utc_now

AGENT_ID_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")  # SPEC: not ending in "-"
MAX_EXPORT_EVENTS = 1000


def _positive(call: Call, name: str, default: int, minimum: int) -> int:
    value = integer(call.params, name, default)
    if value < minimum:
        raise invalid(f"{name} must be at least {minimum}")
    return value


def create(call: Call) -> dict[str, Any]:
    """Persist a new agent (surviving restarts) and start its lanes; answers `{agent_id, status:"active"}`."""
    new_id = text(call.params, "agent_id")
    if not AGENT_ID_RE.match(new_id):
        raise invalid('agent_id must match [A-Za-z0-9][A-Za-z0-9-]* and not end with "-"')
    check_agent_scope(call, new_id)
    existing = call.ctx.read(agent_row, new_id)
    if new_id == DEFAULT_AGENT or (existing is not None and existing["status"] != "stopped"):
        raise internal(f'agent "{new_id}" already exists')
    skills = call.params.get("skills_filter")
    if skills is not None and not (isinstance(skills, list) and all(isinstance(item, str) for item in skills)):
        raise invalid("skills_filter must be a list of strings")
    fields = {
        "display_name": text(call.params, "display_name") or new_id,
        "provider": text(call.params, "provider") or None,
        "model": text(call.params, "model") or None,
        "soul": text(call.params, "soul") or None,
        "api_key_env": text(call.params, "api_key_env") or None,
        "worker_count": _positive(call, "worker_count", 4, 1),
        "task_timeout_seconds": _positive(call, "task_timeout_seconds", 600, 1),
        "max_queue_depth": _positive(call, "max_queue_depth", 0, 0),
        "skills_filter": json.dumps(skills) if skills else None,
    }
    call.ctx.store("upsert_agent", agent_id=new_id, fields=fields, status="active")
    api_key = text(call.params, "api_key")
    if api_key:
        call.ctx.store("put_kv", key=API_KEY_KV.format(agent_id=new_id), value=api_key)
    try:
        call.ctx.start_agent(new_id)
    except Exception:
        call.ctx.store("set_agent_status", agent_id=new_id, status="stopped")
        raise
    return {"agent_id": new_id, "status": "active"}


def remove(call: Call) -> dict[str, Any]:
    """Drain, stop and cancel the backlog of an agent (SPEC §4.1); `default` cannot be removed."""
    target = text(call.params, "agent_id")
    if not target:
        raise invalid("agent_id is required")
    if target == DEFAULT_AGENT:
        raise internal("cannot remove default agent")
    check_agent_scope(call, target)
    call.ctx.remove_agent(target)
    return {"agent_id": target, "removed": True}


def _agents(conn) -> tuple[list[dict[str, Any]], dict[str, int]]:
    return active_agents(conn), agent_active_counts(conn)


def agent_list(call: Call) -> dict[str, Any]:
    """The active agents the caller may address, `default` first then by id."""
    rows, active = call.ctx.read(_agents)
    return {"agents": [agent_entry(row, active.get(row["agent_id"], 0)) for row in rows
                       if call.conn.principal.allows(row["agent_id"])]}


def _agent_status(conn, target: str) -> tuple[dict[str, Any] | None, int, str]:
    return agent_row(conn, target), agent_active_counts(conn).get(target, 0), last_error(conn, target)


def status(call: Call) -> dict[str, Any]:
    """`{agent_id, worker_count, active_tasks, last_error}` of an active agent."""
    target = agent_id(call)
    row, active, error = call.ctx.read(_agent_status, target)
    if row is None or row["status"] != "active":
        raise AgentNotFound(target)
    return {"agent_id": target, "worker_count": row["worker_count"], "active_tasks": active, "last_error": error}


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _incident_reads(conn, task_id: str):
    return (get_task_with_payload(conn, task_id), task_events(conn, task_id, MAX_EXPORT_EVENTS),
            audit_trail(conn, task_id))


def incident_export(call: Call) -> dict[str, Any]:
    """A task with its events (ascending, at most 1000) and audit trail, secrets redacted."""
    task_id = text(call.params, "task_id")
    if not task_id:
        raise invalid("task_id is required")
    task, events, audit = call.ctx.read(_incident_reads, task_id)
    if task is None:
        raise TaskNotFound(task_id)
    check_agent_scope(call, task.agent_id)
    return _redacted({
        "task_id": task_id,
        "task": task_json(task),
        "events": [session_event(event) for event in events],
        "audit_trail": [{**row, "created_at": rfc3339(row["created_at"])} for row in audit],
        "config_hash": call.ctx.config().config_hash,
        "exported_at": rfc3339(utc_now()),
    })


def methods() -> dict[str, Method]:
    """The agent and incident methods by name."""
    return {
        "agent.create": Method(create, Scope.AGENTS, mutating=True),
        "agent.remove": Method(remove, Scope.AGENTS, mutating=True),
        "agent.list": Method(agent_list, Scope.AGENTS),
        "agent.status": Method(status, Scope.AGENTS),
        "incident.export": Method(incident_export, Scope.AGENTS),
    }
