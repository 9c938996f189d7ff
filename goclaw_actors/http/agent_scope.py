"""Agent scopes of the caller (SPEC §9.2) for bottle routes: who may address which agent."""

import json

import bottle

from goclaw_actors.http.principal import current_principal


def allowed(agent_id: str) -> bool:
    """Whether the caller of the current request may address `agent_id`."""
    return current_principal(bottle.request.environ).allows(agent_id)


def require_agent(agent_id: str) -> None:
    """Raise the REST 403 `{"error": "API key not permitted for agent \\"<id>\\""}` unless allowed."""
    if not allowed(agent_id):
        body = json.dumps({"error": f'API key not permitted for agent "{agent_id}"'})
        raise bottle.HTTPResponse(status=403, body=body, headers={"Content-Type": "application/json"})


def permitted_agents() -> frozenset[str] | None:
    """The agents the caller is limited to, or None when unrestricted."""
    principal = current_principal(bottle.request.environ)
    return None if principal.kind == "token" or not principal.agent_ids else principal.agent_ids
