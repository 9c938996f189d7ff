"""ACP cron methods (SPEC §10): `cron.add`, `cron.list`, `cron.remove`, `cron.enable`, `cron.disable`.

A schedule belongs to the agent it runs as: a key scoped to some agents sees and manages only theirs.
"""

import json
from typing import Any

from goclaw_actors.config.text_values import check_text, unencodable_path
from goclaw_actors.cron_schedule import InvalidCronExpr, next_fire_time
from goclaw_actors.errors import ConfigError
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import invalid
from goclaw_actors.http.acp.params import agent_id, as_uuid, check_agent_scope, text
from goclaw_actors.http.route_access import Scope
from goclaw_actors.http.schedule_json import schedule_json
from goclaw_actors.store.schedule_reads import get_schedule, list_schedules
from goclaw_actors.store.sqlite_schedules import ScheduleNotFound
from goclaw_actors.timeutil import to_db

SCHEDULER = "cron_scheduler"


def _wake_scheduler(call: Call) -> None:
    """Let the scheduler look at once, so a slot due right after the commit is not left to the next minute."""
    call.ctx.cast(SCHEDULER, "wake")


def _next_run_at(cron_expr: str) -> str:
    try:
        return to_db(next_fire_time(cron_expr))
    except InvalidCronExpr as exc:
        raise invalid(f"invalid cron_expr: {exc}") from exc


MAX_CRON_EXPR = 128  # characters
MAX_PAYLOAD = 16_384


def _checked_texts(name: str, cron_expr: str, payload: Any) -> str:
    """The payload as stored text, once name, expression and payload hold only text that can be persisted;
    1000 naming the param otherwise."""
    try:
        check_text(name, "name")
        check_text(cron_expr, "cron_expr", MAX_CRON_EXPR)
        if not isinstance(payload, str):
            if unencodable_path(payload) is not None:
                raise ConfigError("payload must not contain lone surrogates (not valid Unicode text)")
            payload = "" if payload is None else json.dumps(payload, separators=(",", ":"))
        return check_text(payload, "payload", MAX_PAYLOAD, multiline=True)
    except ConfigError as exc:
        raise invalid(str(exc)) from None


def add(call: Call) -> dict[str, Any]:
    """Store an enabled schedule with its first fire time after now; answers `{schedule_id}`."""
    name, cron_expr = text(call.params, "name"), text(call.params, "cron_expr")
    if not name or not cron_expr:
        raise invalid("name and cron_expr required")
    payload = _checked_texts(name, cron_expr, call.params.get("payload"))
    next_run_at = _next_run_at(cron_expr)
    session_id = None
    if call.params.get("session_id") not in (None, ""):
        session_id = as_uuid(call.params.get("session_id"))
        if session_id is None:
            raise invalid("session_id must be uuid")
    schedule_id = call.ctx.store.schedules.add_schedule(name=name, cron_expr=cron_expr, payload=payload,
                                                        next_run_at=next_run_at, session_id=session_id,
                                                        agent_id=agent_id(call))
    _wake_scheduler(call)
    return {"schedule_id": schedule_id}


def cron_list(call: Call) -> dict[str, Any]:
    """The schedules of the agents the caller may address, oldest first."""
    principal = call.conn.principal
    return {"schedules": [schedule_json(row) for row in call.ctx.read(list_schedules)
                          if principal.allows(row["agent_id"])]}


def _schedule(call: Call) -> dict[str, Any]:
    """The schedule `schedule_id` names (-32603 when there is none; 1000 when of another agent)."""
    schedule_id = text(call.params, "schedule_id")
    if not schedule_id:
        raise invalid("schedule_id is required")
    row = call.ctx.read(get_schedule, schedule_id)
    if row is None:
        raise ScheduleNotFound(schedule_id)
    check_agent_scope(call, row["agent_id"])
    return row


def remove(call: Call) -> dict[str, Any]:
    """Delete a schedule (-32603 `schedule not found: <id>`)."""
    call.ctx.store.schedules.remove_schedule(schedule_id=_schedule(call)["id"])
    return {"deleted": True}


def enable(call: Call) -> dict[str, Any]:
    """Enable a schedule, recomputing its next fire time."""
    row = _schedule(call)
    call.ctx.store.schedules.set_schedule_enabled(schedule_id=row["id"], enabled=True,
                                                  next_run_at=_next_run_at(row["cron_expr"]))
    _wake_scheduler(call)
    return {"enabled": True}


def disable(call: Call) -> dict[str, Any]:
    """Disable a schedule."""
    call.ctx.store.schedules.set_schedule_enabled(schedule_id=_schedule(call)["id"], enabled=False)
    return {"disabled": True}


def methods() -> dict[str, Method]:
    """The cron methods by name."""
    return {
        "cron.add": Method(add, Scope.AGENTS, mutating=True),
        "cron.list": Method(cron_list, Scope.AGENTS),
        "cron.remove": Method(remove, Scope.AGENTS, mutating=True),
        "cron.enable": Method(enable, Scope.AGENTS, mutating=True),
        "cron.disable": Method(disable, Scope.AGENTS, mutating=True),
    }
