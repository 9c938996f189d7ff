"""ACP agent methods: `agent.create`, `agent.remove`, `agent.list`, `agent.status`, and `incident.export`."""

from typing import Any

import pykka

from goclaw_actors.agent_secrets import set_agent_api_key
from goclaw_actors.config.agent_entry import NEW_AGENT_ID_RE as AGENT_ID_RE  # noqa: F401 (the dashboard's check)
from goclaw_actors.config.agent_entry import agent_from_entry, check_new_agent_id
from goclaw_actors.config.hop_limit import check_hop_room
from goclaw_actors.config.provider_names import check_provider_name
from goclaw_actors.config.text_values import check_secret_value
from goclaw_actors.errors import AgentNotFound, ConfigError, TaskNotFound
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import internal, invalid
from goclaw_actors.http.acp.params import DEFAULT_AGENT, agent_id, check_agent_scope, text
from goclaw_actors.http.acp.wire import agent_entry, session_event
from goclaw_actors.http.route_access import Scope
from goclaw_actors.http.task_json import task_json
from goclaw_actors.redaction import redact_text
from goclaw_actors.store.agent_reads import agent_row, audit_trail, last_error
from goclaw_actors.store.api_reads import get_task_with_payload
from goclaw_actors.store.sqlite_reads import active_agents, agent_active_counts, task_events
from goclaw_actors.timeutil import rfc3339, utc_now

MAX_EXPORT_EVENTS = 1000
ENTRY_PARAMS = ("display_name", "provider", "model", "soul", "api_key_env", "worker_count", "task_timeout_seconds",
                "max_queue_depth", "skills_filter")


def _checked_entry(call: Call, new_id: str) -> tuple[dict[str, Any], str | None]:
    """The `agents` columns of the new agent and its literal key (None without one), checked by the same
    rules as an agents[] entry of config.yaml (so nothing is stored that the daemon would refuse at start,
    and its lanes leave room for `delegation_max_hops`, SPEC §2.3); 1000 naming the param otherwise."""
    entry = {name: call.params[name] for name in ENTRY_PARAMS if call.params.get(name) not in (None, "")}
    api_key = call.params.get("api_key")
    try:
        agent = agent_from_entry({"agent_id": new_id, **entry})
        check_hop_room(call.ctx.config().delegation_max_hops, new_id, agent.worker_count)
        check_provider_name(entry.get("provider"), "provider", known_only=True)
        if api_key not in (None, ""):
            if agent.api_key_env:
                raise ConfigError("give api_key or api_key_env, not both")
            api_key = check_secret_value(api_key, "api_key")
    except ConfigError as exc:
        raise invalid(str(exc)) from None
    # Every column is written, so a re-created agent keeps nothing (provider, api_key_env, …) of its old row.
    return {name: "" if value is None else value for name, value in agent.to_row().items()}, api_key or None


def create(call: Call) -> dict[str, Any]:
    """Persist a new agent (surviving restarts) and start its lanes; answers `{agent_id, status:"active"}`.
    A literal `api_key` goes to secrets.yaml (0600), never to the database; `api_key_env` names the
    environment variable holding the key."""
    try:
        new_id = check_new_agent_id(text(call.params, "agent_id"))
    except ConfigError as exc:
        raise invalid(str(exc)) from None
    check_agent_scope(call, new_id)
    existing = call.ctx.read(agent_row, new_id)
    if new_id == DEFAULT_AGENT or (existing is not None and existing["status"] != "stopped"):
        raise internal(f'agent "{new_id}" already exists')
    fields, api_key = _checked_entry(call, new_id)
    try:
        set_agent_api_key(call.ctx.home, new_id, api_key)  # before the row: it never runs with an old key
    except (ConfigError, OSError) as exc:
        raise internal(f"cannot keep the agent's api_key: {exc}") from exc
    call.ctx.store.agents.upsert_agent(agent_id=new_id, fields=fields, status="active")
    try:
        call.ctx.start_agent(new_id)
    except Exception:
        call.ctx.store.agents.set_agent_status(agent_id=new_id, status="stopped")
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
    try:
        set_agent_api_key(call.ctx.home, target, None)
    except (ConfigError, OSError) as exc:
        raise internal(f"agent removed, but its api_key could not be dropped: {exc}") from exc
    return {"agent_id": target, "removed": True}


def _agents(conn) -> tuple[list[dict[str, Any]], dict[str, int]]:
    return active_agents(conn), agent_active_counts(conn)


def agent_list(call: Call) -> dict[str, Any]:
    """The active agents the caller may address, `default` first then by id; each with `serving`, the
    provider/model its brain runs now ("none": the no-provider reply; "" while it is not running)."""
    rows, active = call.ctx.read(_agents)
    return {"agents": listed_agents(call, rows, active)}


def listed_agents(call: Call, rows: list[dict[str, Any]], active: dict[str, int]) -> list[dict[str, Any]]:
    """The entries of the agent rows the caller may address, each with what serves it now."""
    return [{**agent_entry(row, active.get(row["agent_id"], 0)), "serving": _serving(call, row["agent_id"])}
            for row in rows if call.conn.principal.allows(row["agent_id"])]


def _serving(call: Call, agent: str) -> str:
    try:
        profile = call.ctx.ask(f"agent_actor:{agent}", "prompt_profile")
    except pykka.ActorDeadError:
        return ""
    return "/".join(part for part in (profile.provider, profile.model) if part) or "none"


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
