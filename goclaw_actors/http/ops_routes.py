"""Operational routes: /healthz (open) and /api/supervision (token)."""

import json

import bottle

from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.route_access import DAEMON_WIDE, OPEN


def install_ops_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add GET /healthz (the health document, 503 when the database check fails) and GET /api/supervision
    (the running supervision tree with restart counts)."""

    @app.get("/healthz", access=OPEN)
    def healthz():
        body = ctx.health()
        bottle.response.status = 200 if body.get("healthy") else 503
        bottle.response.content_type = "application/json"
        return json.dumps(body)

    @app.get("/api/supervision", access=DAEMON_WIDE)
    def supervision():
        bottle.response.content_type = "application/json"
        return json.dumps(ctx.supervision_tree())
