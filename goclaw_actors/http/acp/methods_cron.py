"""ACP cron methods (SPEC §10): `cron.add`, `cron.list`, `cron.remove`, `cron.enable`, `cron.disable`."""

import json
from typing import Any

from goclaw_actors.cron_schedule import InvalidCronExpr, next_fire_time
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import invalid
from goclaw_actors.http.acp.params import agent_id, as_uuid, text
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


def add(call: Call) -> dict[str, Any]:
    """Store an enabled schedule with its first fire time after now; answers `{schedule_id}`."""
    name, cron_expr = text(call.params, "name"), text(call.params, "cron_expr")
    if not name or not cron_expr:
        raise invalid("name and cron_expr required")
    next_run_at = _next_run_at(cron_expr)
    session_id = None
    if call.params.get("session_id") not in (None, ""):
        session_id = as_uuid(call.params.get("session_id"))
        if session_id is None:
            raise invalid("session_id must be uuid")
    payload = call.params.get("payload")
    if not isinstance(payload, str):
        payload = "" if payload is None else json.dumps(payload, separators=(",", ":"))
    schedule_id = call.ctx.store("add_schedule", name=name, cron_expr=cron_expr, payload=payload,
                                 next_run_at=next_run_at, session_id=session_id, agent_id=agent_id(call))
    _wake_scheduler(call)
    return {"schedule_id": schedule_id}


def cron_list(call: Call) -> dict[str, Any]:
    """Every schedule, oldest first."""
    return {"schedules": [schedule_json(row) for row in call.ctx.read(list_schedules)]}


def _schedule_id(call: Call) -> str:
    schedule_id = text(call.params, "schedule_id")
    if not schedule_id:
        raise invalid("schedule_id is required")
    return schedule_id


def remove(call: Call) -> dict[str, Any]:
    """Delete a schedule (-32603 `schedule not found: <id>`)."""
    call.ctx.store("remove_schedule", schedule_id=_schedule_id(call))
    return {"deleted": True}


def enable(call: Call) -> dict[str, Any]:
    """Enable a schedule, recomputing its next fire time."""
    schedule_id = _schedule_id(call)
    row = call.ctx.read(get_schedule, schedule_id)
    if row is None:
        raise ScheduleNotFound(schedule_id)
    call.ctx.store("set_schedule_enabled", schedule_id=schedule_id, enabled=True,
                   next_run_at=_next_run_at(row["cron_expr"]))
    _wake_scheduler(call)
    return {"enabled": True}


def disable(call: Call) -> dict[str, Any]:
    """Disable a schedule."""
    call.ctx.store("set_schedule_enabled", schedule_id=_schedule_id(call), enabled=False)
    return {"disabled": True}


def methods() -> dict[str, Method]:
    """The cron methods by name."""
    return {
        "cron.add": Method(add, mutating=True),
        "cron.list": Method(cron_list),
        "cron.remove": Method(remove, mutating=True),
        "cron.enable": Method(enable, mutating=True),
        "cron.disable": Method(disable, mutating=True),
    }
