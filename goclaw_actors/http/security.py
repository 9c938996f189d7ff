"""The gateway's security middleware around the routes, outermost first (SPEC §9.1):
declared body size limit ⇒ CORS ⇒ routing (canonical path, matched route, 405) ⇒ daemon token / API keys
(on the matched route's access) ⇒ rate limit ⇒ body read ⇒ routes.
"""

from typing import Any, Callable

import bottle

from goclaw_actors import telemetry
from goclaw_actors.errors import ConfigError, StartupError
from goclaw_actors.http.auth import Auth
from goclaw_actors.http.body_limit import BodyLimit, RequestBody
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.cors import Cors
from goclaw_actors.http.route_access import request_path
from goclaw_actors.http.rate_limit import Limiter, RateLimit
from goclaw_actors.http.routing import Routing
from goclaw_actors.http.security_settings import SettingsSource
from goclaw_actors.logs.system_log import get_logger

AUTH_ACTION = "gateway_auth"  # the audit action of a refused credential

log = get_logger("gateway")


class SecuredApp:
    """The WSGI application the server runs: `routes` (the bottle app) behind the security middleware."""

    def __init__(self, routes: bottle.Bottle, ctx: GatewayContext):
        self.routes = routes
        self.settings = SettingsSource(ctx.config)
        try:  # a bad gateway.* key fails the start-up, not the first request
            self.settings()
        except ConfigError as exc:
            raise StartupError("E_CONFIG_LOAD", str(exc)) from exc
        self.limiter = Limiter(self.settings)
        admitted = RateLimit(RequestBody(routes, self.settings), self.limiter)
        self.auth = Auth(admitted, ctx.token, self.settings, self.limiter, on_deny=_denial_recorder(ctx))
        self.app: Callable = BodyLimit(Cors(Routing(self.auth, routes), self.settings), self.settings)

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        return telemetry.serve_request(self.app, environ, start_response)


def _denial_recorder(ctx: GatewayContext) -> Callable[[str, dict[str, Any]], None]:
    """Write each refused credential to the system log and the audit trail (SPEC §11.2)."""

    def record(reason: str, environ: dict[str, Any]) -> None:
        subject = f"ip:{environ.get('REMOTE_ADDR', '')}"
        path = request_path(environ)
        log.warn("gateway request refused", reason=reason, path=path, remote_addr=environ.get("REMOTE_ADDR", ""))
        try:
            ctx.audit("deny", AUTH_ACTION, reason, subject=subject)
        except Exception as exc:  # the refusal stands even when it cannot be recorded
            log.error("audit of a refused request failed", reason=reason, error=str(exc))

    return record
