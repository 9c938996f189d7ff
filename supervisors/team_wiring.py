"""Teams in the running daemon (SPEC §12): make a lead's team (starting the role agents it lacks) and enqueue
team tasks, which the lead's TeamProcessor fans out (goclaw_actors/teams/team_run.py).

The chat command `/agents team <roles…>` is `create_team(rt, <current agent>, parse_roles(<roles…>))` with
`team_reply(...)` as its answer (goclaw_actors/teams/team_command.py).
"""

import uuid
from typing import Any

from goclaw_actors.config.hop_limit import lanes_for_hops
from goclaw_actors.config.model import AgentConfig
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.store.agent_reads import agent_row
from goclaw_actors.store.sqlite_teams import get_team
from goclaw_actors.teams.roles import ROLE_SOULS, TeamError, check_roles
from goclaw_actors.teams.team_run import team_payload
from supervisors.agent_control import start_agent
from supervisors.runtime import Runtime

ROLE_AGENT_WORKERS = 4  # lanes of a role agent a team creates (more when the hop limit needs more)

log = get_logger("teams")


def _active(rt: Runtime, agent_id: str) -> dict[str, Any] | None:
    row = rt.reads.run(agent_row, agent_id)
    return row if row is not None and row["status"] == "active" else None


def _check_can_delegate(rt: Runtime) -> int:
    hops = rt.config.delegation_max_hops
    if hops < 1:
        raise TeamError("teams need delegation_max_hops of at least 1 (a lead delegates to its members)")
    return hops


def create_team(rt: Runtime, lead_agent: str, roles: list[str]) -> dict[str, Any]:
    """Make `roles` the team of the active agent `lead_agent`: each role is the agent of that id, created
    (with the role's prompt) and started when it is not active. Returns `{lead_agent, members: [{role,
    agent_id, created}]}`; raises TeamError."""
    roles = check_roles(roles)
    if _active(rt, lead_agent) is None:
        raise TeamError(f'agent "{lead_agent}" not found')
    hops = _check_can_delegate(rt)
    if lead_agent in roles:
        raise TeamError(f"@{lead_agent} leads the team; it cannot also be one of its members")
    members = []
    for role in roles:
        created = _active(rt, role) is None
        if created:
            agent = AgentConfig(agent_id=role, display_name=role.capitalize(), soul=ROLE_SOULS[role],
                                worker_count=lanes_for_hops(hops, ROLE_AGENT_WORKERS))
            # every column is written, so a re-created agent keeps nothing of an old row
            rt.store.agents.upsert_agent(
                agent_id=role, status="active",
                fields={name: "" if value is None else value for name, value in agent.to_row().items()})
            start_agent(rt, rt.config, role)
            log.info("team role agent created", agent_id=role, lead_agent=lead_agent)
        members.append({"role": role, "agent_id": role, "created": created})
    rt.store.agents.set_team(lead_agent=lead_agent,
                             members=[{"role": m["role"], "agent_id": m["agent_id"]} for m in members])
    log.info("team set", lead_agent=lead_agent, members=[m["agent_id"] for m in members])
    return {"lead_agent": lead_agent, "members": members}


def run_team(rt: Runtime, lead_agent: str, prompt: str, session_id: str | None = None) -> dict[str, Any]:
    """Enqueue a team task for `lead_agent` (its team's members snapshotted in the payload): `{task_id,
    session_id, lead_agent, members}`; raises TeamError, or the enqueue's StoreError."""
    members = rt.reads.run(get_team, lead_agent)
    if not members:
        raise TeamError(f"@{lead_agent} has no team; make one with /agents team <roles…>")
    _check_can_delegate(rt)
    session_id = session_id or str(uuid.uuid4())
    enqueued = rt.store.tasks.enqueue(session_id=session_id, payload=team_payload(prompt, members),
                                      agent_id=lead_agent)
    return {"task_id": enqueued["task_id"], "session_id": session_id, "lead_agent": lead_agent, "members": members}
