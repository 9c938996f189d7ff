"""What a chat command may use of the daemon while its task runs: the ACP methods (as the person who typed
it, with their agent scope) and the few things no ACP method offers."""

from dataclasses import dataclass
from typing import Any, Callable

from goclaw_actors.http.principal import Principal


class CommandFailed(Exception):
    """The command cannot do what was asked; the message is its answer (usage, not found, refused)."""


@dataclass
class CommandEnv:
    """One command task's view of the daemon."""

    agent_id: str  # the agent the line was for: whose memories, pins and shares the command touches
    session_id: str
    principal: Principal  # who typed it (the token, or an API key maybe scoped to some agents)
    call: Callable[[str, dict[str, Any]], Any]  # an ACP method as this caller; raises AcpError
    policy: Callable[[], Any]  # the policy in force (goclaw_actors.policy.policy_file.Policy)
    clear_history: Callable[[], int]  # archive the (session, agent) conversation; how many messages
    skills: Callable[[], list[dict[str, Any]]] = lambda: []  # the installed skills (as GET /api/skills lists them)
    model: str = ""  # `provider/model` serving the agent ("" without a provider)

    def agent_ids(self) -> list[str]:
        """The active agents this caller may address, `default` first then by id."""
        return [agent["agent_id"] for agent in self.call("agent.list", {})["agents"]]

    def for_agent(self, **params: Any) -> dict[str, Any]:
        """ACP params addressing this command's agent."""
        return {"agent_id": self.agent_id, **params}

    def require_daemon_wide(self, command: str) -> None:
        """Refuse a daemon-wide command to a caller limited to some agents (as ACP refuses its methods)."""
        if not self.principal.daemon_wide:
            raise CommandFailed(f"Error: api key not permitted for command /{command}")
