"""`/agents team <roles…>` (SPEC §12) as text: the roles a command line names, and the reply to it."""

import re
from typing import Any

from goclaw_actors.teams.roles import check_roles


def parse_roles(arguments: str) -> list[str]:
    """The roles of `researcher writer, critic` (spaces or commas); TeamError for an unknown role or none."""
    return check_roles(part for part in re.split(r"[\s,]+", arguments.strip()) if part)


def team_reply(created: dict[str, Any]) -> str:
    """The reply to a created team: `Team of @<lead>: @a (role), …`, naming the agents that were created."""
    members = ", ".join(f"@{m['agent_id']}" + (f" ({m['role']})" if m["role"] != m["agent_id"] else "")
                        for m in created["members"])
    new = [f"@{m['agent_id']}" for m in created["members"] if m.get("created")]
    text = f"Team of @{created['lead_agent']}: {members}"
    return text + (f"\nCreated: {', '.join(new)}" if new else "")
