"""The /ws route: upgrade checks (token 401, Origin 403), then the socket is served as ACP."""

import bottle

from goclaw_actors.http.acp import (
    methods_agents, methods_approvals, methods_chat, methods_config, methods_context, methods_cron, methods_memory,
    methods_pins, methods_session, methods_system, methods_teams, replay,
)
from goclaw_actors.http.acp.connection import AcpConnection
from goclaw_actors.http.acp.dispatcher import Method
from goclaw_actors.http.acp.upgrade import caller, origin_allowed
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.rate_limit import ADMIT_KEY
from goclaw_actors.http.route_access import AGENT_DATA
from goclaw_actors.http.websocket import UPGRADE_KEY
from goclaw_actors.logs.system_log import get_logger

TEXT_PLAIN = "text/plain; charset=utf-8"
METHOD_GROUPS = (methods_system, methods_chat, methods_session, replay, methods_approvals, methods_cron,
                 methods_agents, methods_config, methods_teams, methods_memory, methods_pins, methods_context)

log = get_logger("acp")


def acp_methods() -> dict[str, Method]:
    """Every ACP method by name."""
    methods: dict[str, Method] = {}
    for group in METHOD_GROUPS:
        methods.update(group.methods())
    return methods


def _plain(status: int, body: str) -> bottle.HTTPResponse:
    return bottle.HTTPResponse(status=status, body=body, headers={"Content-Type": TEXT_PLAIN})


def install_acp_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add GET /ws: the ACP WebSocket endpoint (SPEC §9.3)."""
    dispatch = ctx.acp_dispatcher()  # one per daemon: chat commands call the same methods (and locks)

    @app.get("/ws", access=AGENT_DATA)  # each ACP method declares its own scope
    def acp_socket():
        environ = bottle.request.environ
        principal = caller(environ)
        if principal is None:
            return _plain(401, "unauthorized\n")
        origin = environ.get("HTTP_ORIGIN")
        if not origin_allowed(origin, environ.get("HTTP_HOST", ""), ctx.config().allow_origins):
            log.warn("acp upgrade refused: origin not allowed", origin=origin)
            return _plain(403, "origin not allowed\n")
        accept = environ.get(UPGRADE_KEY)
        ws = accept() if accept is not None else None
        if ws is None:
            return _plain(400, "websocket upgrade required\n")
        AcpConnection(ws, ctx, principal, dispatch, environ.get(ADMIT_KEY)).serve()
        return ""
