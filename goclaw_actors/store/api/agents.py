"""Agents and teams: their rows, status and team membership."""

from typing import Any, Protocol


class AgentsApi(Protocol):
    """Agents and teams: their rows, status and team membership."""

    def upsert_agent(self, agent_id: str, fields: dict[str, Any], status: str = "active") -> None:
        """Create or update an agent row with the given fields (unknown keys ignored) and status."""
        ...

    def set_agent_status(self, agent_id: str, status: str) -> bool:
        """Set an agent's status (`active`, `draining`, `stopped`); False if no such agent."""
        ...

    def set_team(self, lead_agent: str, members: list[dict[str, str]]) -> None:
        """Make `members` (`[{role, agent_id}]`) the team of `lead_agent`, replacing its previous team."""
        ...
