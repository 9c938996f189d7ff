"""What each gateway route asks of its caller (SPEC §9.1, §9.2), declared with the route itself.

Every route is declared with its access, e.g. `@app.get("/api/tasks", access=AGENT_DATA)`, and
`check_declared` refuses an app holding a route without one. The security middleware decides on the
access of the route the router matched for the request's canonical path (goclaw_actors/http/routing.py),
never on the raw path; a path no route matches gets the access of its prefix (its answer is a 404).
"""

import enum
from dataclasses import dataclass
from typing import Any, Mapping

import bottle

ACCESS_KEY = "goclaw.access"  # environ entry: the RouteAccess of the matched route
PATH_KEY = "goclaw.path"  # environ entry: the canonical (decoded) request path


class Credential(enum.Enum):
    """What a route asks for."""

    NONE = "none"  # open (health, agent cards)
    TOKEN = "token"  # the daemon token only (metrics); API keys are not checked
    TOKEN_OR_KEY = "token_or_key"  # the daemon token, or an API key when gateway.auth is enabled


class Scope(enum.Enum):
    """Whose data a route serves, which decides what a key scoped to some agents may do there."""

    AGENTS = "agents"  # agent-owned data: the handler limits a scoped key to its agents
    DAEMON = "daemon"  # daemon-wide data or settings: the daemon token and unscoped keys only


@dataclass(frozen=True)
class RouteAccess:
    """A route's rule: the credential it needs, its scope, and whether the rate limit applies."""

    credential: Credential
    scope: Scope
    rate_limited: bool = True

    @property
    def open(self) -> bool:
        """Whether anyone may call the route without a credential."""
        return self.credential is Credential.NONE


OPEN = RouteAccess(Credential.NONE, Scope.DAEMON, rate_limited=False)  # health and agent cards
PUBLIC = RouteAccess(Credential.NONE, Scope.DAEMON)  # open but rate limited: the API description (no data)
TOKEN_ONLY = RouteAccess(Credential.TOKEN, Scope.DAEMON, rate_limited=False)  # metrics
AGENT_DATA = RouteAccess(Credential.TOKEN_OR_KEY, Scope.AGENTS)
DAEMON_WIDE = RouteAccess(Credential.TOKEN_OR_KEY, Scope.DAEMON)
UNROUTED = RouteAccess(Credential.NONE, Scope.DAEMON)  # no route: open (a 404), but rate limited

PROTECTED_PREFIXES = ("/api/", "/v1/")
PROTECTED_PATHS = frozenset({"/api", "/v1", "/ws", "/a2a"})


def declared_access(route: bottle.Route) -> RouteAccess:
    """The access `route` was declared with; a route without one is treated as daemon-wide (fail closed)."""
    access = route.config.get("access")
    return access if isinstance(access, RouteAccess) else DAEMON_WIDE


def unrouted_access(path: str) -> RouteAccess:
    """The access of a path no route serves: the protected prefixes ask for credentials before their 404."""
    if path in PROTECTED_PATHS or path.startswith(PROTECTED_PREFIXES):
        return AGENT_DATA
    return UNROUTED


def check_declared(app: bottle.Bottle) -> None:
    """Raise ValueError naming every route of `app` declared without an access rule."""
    missing = [f"{route.method} {route.rule}" for route in app.routes
               if not isinstance(route.config.get("access"), RouteAccess)]
    if missing:
        raise ValueError(f"routes without an access rule: {', '.join(missing)}")


def request_access(environ: Mapping[str, Any]) -> RouteAccess:
    """The access the routing middleware found for this request; daemon-wide when it did not run."""
    access = environ.get(ACCESS_KEY)
    return access if isinstance(access, RouteAccess) else DAEMON_WIDE


def request_path(environ: Mapping[str, Any]) -> str:
    """The canonical path of this request (the raw one when the routing middleware did not run)."""
    return environ.get(PATH_KEY) or environ.get("PATH_INFO") or "/"


def is_openai_path(path: str) -> bool:
    """Whether `path` belongs to the OpenAI-compatible API (its errors use OpenAI's format)."""
    return path == "/v1" or path.startswith("/v1/")
