"""Activity routes for live views such as the dashboard: recent task events across sessions
(`GET /api/events`), task counts per state (`GET /api/queue`) and token and cost totals (`GET /api/usage`).
Each is limited to the agents the caller may address."""

import bottle

from goclaw_actors.http.acp.wire import session_event
from goclaw_actors.http.agent_scope import permitted_agents
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.rest_routes import int_param
from goclaw_actors.http.route_access import AGENT_DATA
from goclaw_actors.store import activity_reads

DEFAULT_EVENT_LIMIT = 50
MAX_EVENT_LIMIT = 500


def install_activity_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add GET /api/events, GET /api/queue and GET /api/usage."""

    @app.get("/api/events", access=AGENT_DATA)
    def events():
        limit = int_param("limit", DEFAULT_EVENT_LIMIT)
        limit = DEFAULT_EVENT_LIMIT if limit <= 0 or limit > MAX_EVENT_LIMIT else limit
        after = max(0, int_param("after_id", 0))
        rows = ctx.read(activity_reads.recent_events, after, limit, permitted_agents())
        return {"events": [{**session_event(row), "agent_id": row["agent_id"] or ""} for row in rows]}

    @app.get("/api/queue", access=AGENT_DATA)
    def queue():
        return ctx.read(activity_reads.queue_counts, permitted_agents())

    @app.get("/api/usage", access=AGENT_DATA)
    def usage():
        agents = ctx.read(activity_reads.usage_totals, permitted_agents())
        totals = {key: sum(agent[key] for agent in agents)
                  for key in ("prompt_tokens", "completion_tokens", "total_tokens")}
        totals["estimated_cost_usd"] = round(sum(agent["estimated_cost_usd"] for agent in agents), 6)
        return {**totals, "agents": agents}
