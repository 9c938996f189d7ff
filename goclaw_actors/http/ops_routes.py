"""Operational routes: /healthz (open)."""

import json
from typing import Any, Callable

import bottle

HealthSource = Callable[[], dict[str, Any]]


def install_ops_routes(app: bottle.Bottle, health: HealthSource) -> None:
    """Add GET /healthz: the health document, 503 when the database check fails."""

    @app.get("/healthz")
    def healthz():
        body = health()
        bottle.response.status = 200 if body.get("healthy") else 503
        bottle.response.content_type = "application/json"
        return json.dumps(body)
