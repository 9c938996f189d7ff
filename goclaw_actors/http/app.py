"""The gateway's WSGI application: bottle with JSON errors, the request size limit and every route group."""

import json

import bottle

from goclaw_actors.config.defaults import DEFAULT_MAX_REQUEST_SIZE
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.openai_errors import OPENAI_PATH_PREFIX, router_error_body
from goclaw_actors.http.openai_routes import install_openai_routes
from goclaw_actors.http.metrics_routes import install_metrics_routes
from goclaw_actors.http.ops_routes import install_ops_routes
from goclaw_actors.http.sse_routes import install_sse_routes
from goclaw_actors.http.rest_routes import install_rest_routes
from goclaw_actors.http.a2a_routes import install_a2a_routes
from goclaw_actors.http.activity_routes import install_activity_routes
from goclaw_actors.http.acp.routes import install_acp_routes
from goclaw_actors.http.memory_routes import install_memory_routes
from goclaw_actors.http.openapi import install_openapi_route
from goclaw_actors.http.route_access import check_declared
from goclaw_actors.http.security import SecuredApp

# Route groups, installed in this order; each is `install(app, ctx)`.
ROUTE_GROUPS = [
    install_ops_routes,
    install_metrics_routes,
    install_openai_routes,
    install_sse_routes,
    install_rest_routes,
    install_activity_routes,
    install_memory_routes,
    install_a2a_routes,
    install_acp_routes,
    install_openapi_route,
]


def build_app(ctx: GatewayContext) -> SecuredApp:
    """The WSGI app the daemon serves: the routes behind the security middleware (`.routes` is the bottle app)."""
    return SecuredApp(build_routes(ctx), ctx)


def build_routes(ctx: GatewayContext) -> bottle.Bottle:
    """A bottle app serving every route group; errors are JSON `{"error": …}` bodies. Every route must be
    declared with its access (goclaw_actors/http/route_access.py), or the daemon does not start."""
    max_request_size = ctx.config().get("gateway.max_request_size", DEFAULT_MAX_REQUEST_SIZE)
    bottle.BaseRequest.MEMFILE_MAX = max_request_size  # bottle's default JSON limit is 100 KB
    app = bottle.Bottle(autojson=True)
    for install in ROUTE_GROUPS:
        install(app, ctx)
    check_declared(app)

    def json_error(error: bottle.HTTPError) -> str:
        bottle.response.content_type = "application/json"
        message = error.body if isinstance(error.body, str) else error.status_line
        if error.status_code >= 500:  # never the exception text or a traceback
            message = "internal server error" if error.status_code == 500 else error.status_line
        if bottle.request.path.startswith(OPENAI_PATH_PREFIX):
            return json.dumps(router_error_body(error.status_code, message, bottle.request.method))
        return json.dumps({"error": message})

    for code in (400, 401, 403, 404, 405, 413, 429, 500, 503):
        app.error(code)(json_error)
    return app
