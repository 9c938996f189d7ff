"""Who is calling: set by the auth middleware in the WSGI environ, read by routes for agent scopes."""

from dataclasses import dataclass
from typing import Any, Mapping

ENVIRON_KEY = "goclaw.principal"


@dataclass(frozen=True)
class Principal:
    """The daemon token (unrestricted), a gateway API key (maybe scoped to agents), or an open route's
    anonymous caller (who may address no agent)."""

    kind: str  # "token" | "api_key" | "anonymous"
    key_id: str = ""
    agent_ids: frozenset[str] = frozenset()  # of an API key; empty: every agent

    @property
    def agent_scope(self) -> frozenset[str] | None:
        """The agents this caller is limited to: None when unrestricted, an empty set for no agent at all."""
        if self.kind == "token" or (self.kind == "api_key" and not self.agent_ids):
            return None
        return self.agent_ids if self.kind == "api_key" else frozenset()

    @property
    def daemon_wide(self) -> bool:
        """Whether this caller may use daemon-wide routes and methods (the token, or an unscoped key)."""
        return self.agent_scope is None

    def allows(self, agent_id: str) -> bool:
        """Whether this caller may address `agent_id`."""
        scope = self.agent_scope
        return scope is None or agent_id in scope


TOKEN = Principal("token")
ANONYMOUS = Principal("anonymous")


def scope_of(principal: Principal) -> list[str] | None:
    """The caller's agent scope as task payloads keep it (a chat command runs later, as its sender): None when
    unrestricted, else the sorted agent ids."""
    scope = principal.agent_scope
    return None if scope is None else sorted(scope)


def principal_for(scope: list[str] | None) -> Principal:
    """The caller a payload's `scope` (see scope_of) stands for."""
    if scope is None:
        return TOKEN
    return Principal("api_key", agent_ids=frozenset(scope)) if scope else ANONYMOUS


def current_principal(environ: Mapping[str, Any]) -> Principal:
    """The principal the auth middleware stored for this request; anonymous (no agent, nothing daemon-wide)
    when the middleware did not run, so a route reached some other way fails closed."""
    principal = environ.get(ENVIRON_KEY)
    return principal if isinstance(principal, Principal) else ANONYMOUS
