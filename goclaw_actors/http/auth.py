"""Gateway middleware: the daemon token and gateway API keys (SPEC §9.1, §9.2), on the matched route's access.

The caller's identity is left in the environ as a Principal (goclaw_actors/http/principal.py). A key
scoped to some agents is refused on daemon-wide routes here; on routes of agent-owned data the handler
limits it to its agents.
"""

import hmac
from typing import Any, Callable
from urllib.parse import parse_qs

from goclaw_actors.http.principal import ANONYMOUS, ENVIRON_KEY, TOKEN, Principal
from goclaw_actors.http.rate_limit import Limiter, client_address, too_many
from goclaw_actors.http.route_access import Credential, RouteAccess, Scope, is_openai_path, request_access, \
    request_path
from goclaw_actors.http.openai_errors import error_body
from goclaw_actors.http.security_settings import SecuritySettings
from goclaw_actors.http.wsgi_responses import respond, respond_json

UNAUTHORIZED = "unauthorized\n"
OPENAI_INVALID_KEY = error_body(401, "Invalid API key", "invalid_api_key")
MISSING_KEY = {"error": "missing API key"}
INVALID_KEY = {"error": "invalid API key"}
NOT_DAEMON_WIDE = "API key not permitted for this route"

# Why a request was refused (the reason written to the audit trail).
INVALID_TOKEN = "invalid_token"
MISSING_API_KEY = "missing_api_key"
INVALID_API_KEY = "invalid_api_key"
SCOPED_KEY = "scoped_key"  # a key limited to agents, on a daemon-wide route

OnDeny = Callable[[str, dict[str, Any]], None]


def bearer_token(environ: dict[str, Any]) -> str:
    """The credential of an `Authorization: Bearer <x>` header, or ""."""
    scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def presented_credential(environ: dict[str, Any]) -> tuple[str, bool]:
    """The first credential given (`Authorization: Bearer`, then `X-API-Key`, then `?api_key=`; "" if none)
    and whether it came in a header (the daemon token is never accepted from the query string, where it
    would end up in logs and histories)."""
    credential = bearer_token(environ) or environ.get("HTTP_X_API_KEY", "").strip()
    if credential:
        return credential, True
    values = parse_qs(environ.get("QUERY_STRING", "")).get("api_key") or [""]
    return values[0].strip(), False


def _same(presented: str, expected: str) -> bool:
    return bool(presented) and bool(expected) and hmac.compare_digest(presented.encode("utf-8", "replace"),
                                                                       expected.encode("utf-8"))


class Auth:
    """Admits a request that presents what its route needs; refuses the others in the contract's formats.

    `on_deny(reason, environ)` is told about every refusal (for the audit trail). Refusals count against
    the client address (`limiter`); an address out of refusals gets 429.
    """

    def __init__(self, app: Callable, token: str, settings: Callable[[], SecuritySettings], limiter: Limiter,
                 on_deny: OnDeny | None = None):
        self.app = app
        self.token = token
        self.settings = settings
        self.limiter = limiter
        self.on_deny = on_deny

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        access = request_access(environ)
        if access.open:
            environ[ENVIRON_KEY] = ANONYMOUS
            return self.app(environ, start_response)
        address = client_address(environ)
        if not self.limiter.may_try_credentials(address):  # not recorded: a flood must not flood the audit
            return too_many(start_response)
        principal, refusal = self.authenticate(environ, access)
        if refusal is None and access.scope is Scope.DAEMON and not principal.daemon_wide:
            refusal = (SCOPED_KEY, 403, self._scope_body(environ))
        if refusal is not None:
            reason, code, body = refusal
            self.limiter.refused(address)
            self._deny(reason, environ)
            if isinstance(body, str):
                return respond(start_response, code, body)
            return respond_json(start_response, code, body)
        environ[ENVIRON_KEY] = principal
        return self.app(environ, start_response)

    def authenticate(self, environ: dict[str, Any], access: RouteAccess
                     ) -> tuple[Principal | None, tuple[str, int, Any] | None]:
        """(principal, None) when admitted, else (None, (reason, status, body))."""
        settings = self.settings()
        if access.credential is Credential.TOKEN or not settings.auth_enabled:
            if _same(bearer_token(environ), self.token):
                return TOKEN, None
            body = OPENAI_INVALID_KEY if is_openai_path(request_path(environ)) else UNAUTHORIZED
            return None, (INVALID_TOKEN, 401, body)
        credential, in_header = presented_credential(environ)
        if not credential:
            return None, (MISSING_API_KEY, 401, MISSING_KEY)
        if in_header and _same(credential, self.token):
            return TOKEN, None
        matched = None
        for key in settings.api_keys:  # compare with every key: the time taken does not tell which matched
            if _same(credential, key.key):
                matched = key
        if matched is None:
            return None, (INVALID_API_KEY, 403, INVALID_KEY)
        return Principal("api_key", matched.key_id, matched.agent_ids), None

    def _deny(self, reason: str, environ: dict[str, Any]) -> None:
        if self.on_deny is not None:
            self.on_deny(reason, environ)

    @staticmethod
    def _scope_body(environ: dict[str, Any]) -> dict[str, Any]:
        if is_openai_path(request_path(environ)):
            return error_body(403, NOT_DAEMON_WIDE, "route_not_permitted")
        return {"error": NOT_DAEMON_WIDE}
