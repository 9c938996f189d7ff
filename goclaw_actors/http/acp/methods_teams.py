"""ACP team methods (SPEC §12 `/agents team`): `agent.team.create`, `agent.team.run`, `agent.team.list`."""

from typing import Any

from goclaw_actors.config.text_values import check_text
from goclaw_actors.errors import ConfigError, StoreError
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import enqueue_error, invalid
from goclaw_actors.http.acp.params import agent_id, as_uuid, check_agent_scope, text
from goclaw_actors.http.route_access import Scope
from goclaw_actors.store.sqlite_teams import get_team, list_teams
from goclaw_actors.teams.roles import TeamError, check_roles
from goclaw_actors.teams.team_command import parse_roles

MAX_PROMPT = 100_000


def _roles(call: Call) -> list[str]:
    """`roles` as a list of names or one string of them (`researcher writer critic`); 1000 otherwise."""
    raw = call.params.get("roles")
    try:
        if isinstance(raw, str):
            return parse_roles(raw)
        if isinstance(raw, list) and all(isinstance(role, str) for role in raw):
            return check_roles(raw)
    except TeamError as exc:
        raise invalid(str(exc)) from None
    raise invalid("roles must be a list of role names or a string of them")


def create(call: Call) -> dict[str, Any]:
    """Make the roles the team of `lead_agent` (default `default`), creating the role agents it lacks:
    `{lead_agent, members: [{role, agent_id, created}]}`."""
    lead = agent_id(call, "lead_agent")
    roles = _roles(call)
    for role in roles:
        check_agent_scope(call, role)
    try:
        return call.ctx.create_team(lead, roles)
    except TeamError as exc:
        raise invalid(str(exc)) from None


def run(call: Call) -> dict[str, Any]:
    """Enqueue a team task for `lead_agent` in `session_id` (a new session when absent): `{task_id, session_id,
    lead_agent, members}`; the task's reply is the lead's answer built on its members' results."""
    lead = agent_id(call, "lead_agent")
    for member in call.ctx.read(get_team, lead) or []:
        check_agent_scope(call, member["agent_id"])
    prompt = text(call.params, "prompt", "content")
    if not prompt:
        raise invalid("prompt is required")
    try:
        prompt = check_text(prompt, "prompt", MAX_PROMPT, True)
    except ConfigError as exc:
        raise invalid(str(exc)) from None
    session_id = None
    if call.params.get("session_id") not in (None, ""):
        session_id = as_uuid(call.params.get("session_id"))
        if session_id is None:
            raise invalid("session_id must be a uuid")
    try:
        return call.ctx.run_team(lead, prompt, session_id)
    except TeamError as exc:
        raise invalid(str(exc)) from None
    except StoreError as exc:
        raise enqueue_error(exc) from exc


def team_list(call: Call) -> dict[str, Any]:
    """The teams whose lead and members the caller may all address, `default`'s first then by lead."""
    principal = call.conn.principal
    return {"teams": [{"lead_agent": team["lead_agent"], "members": team["members"]}
                      for team in call.ctx.read(list_teams)
                      if all(map(principal.allows, [team["lead_agent"], *(m["agent_id"] for m in team["members"])]))]}


def methods() -> dict[str, Method]:
    """The team methods by name."""
    return {
        "agent.team.create": Method(create, Scope.AGENTS, mutating=True),
        "agent.team.run": Method(run, Scope.AGENTS, mutating=True),
        "agent.team.list": Method(team_list, Scope.AGENTS),
    }
