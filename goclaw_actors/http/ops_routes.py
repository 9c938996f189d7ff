"""Operational routes: /healthz (open)."""

import json

import bottle

from goclaw_actors.http.context import GatewayContext


def install_ops_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add GET /healthz: the health document, 503 when the database check fails."""

    @app.get("/healthz")
    def healthz():
        body = ctx.health()
        bottle.response.status = 200 if body.get("healthy") else 503
        bottle.response.content_type = "application/json"
        return json.dumps(body)
