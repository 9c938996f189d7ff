"""Who is calling: set by the auth middleware in the WSGI environ, read by routes for agent scopes."""

from dataclasses import dataclass
from typing import Any, Mapping

ENVIRON_KEY = "goclaw.principal"


@dataclass(frozen=True)
class Principal:
    """The daemon token (unrestricted), a gateway API key (maybe scoped to agents), or an open route."""

    kind: str  # "token" | "api_key" | "anonymous"
    key_id: str = ""
    agent_ids: frozenset[str] = frozenset()  # empty: every agent

    def allows(self, agent_id: str) -> bool:
        """Whether this caller may address `agent_id`."""
        return self.kind == "token" or not self.agent_ids or agent_id in self.agent_ids


TOKEN = Principal("token")
ANONYMOUS = Principal("anonymous")


def current_principal(environ: Mapping[str, Any]) -> Principal:
    """The principal the auth middleware stored for this request (the daemon token when auth is off)."""
    return environ.get(ENVIRON_KEY, TOKEN)
