"""Metrics routes (SPEC §9.8): GET /metrics (JSON) and GET /metrics/prometheus (text format 0.0.4)."""

import json

import bottle

from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.metrics_snapshot import take_snapshot
from goclaw_actors.http.prometheus_text import CONTENT_TYPE, prometheus_text
from goclaw_actors.http.route_access import TOKEN_ONLY
from goclaw_actors.timeutil import db_now


def install_metrics_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add both metrics routes; counters "since start" count from the moment they are installed."""
    started_at = db_now()

    @app.get("/metrics", access=TOKEN_ONLY)
    def metrics():
        bottle.response.content_type = "application/json"
        return json.dumps(take_snapshot(ctx, started_at).json_document())

    @app.get("/metrics/prometheus", access=TOKEN_ONLY)
    def metrics_prometheus():
        bottle.response.content_type = CONTENT_TYPE
        return prometheus_text(take_snapshot(ctx, started_at))
