"""`GET /api/agents/{id}/memory`: an agent's core memory as a person exports it (SPEC §6) — every memory
with its relevance, use count and timestamps, most relevant first. Agent data: a key scoped to agents gets
only theirs (403 otherwise); an agent the daemon never had is a 404."""

from typing import Any

import bottle

from goclaw_actors.http.agent_scope import require_agent
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.rest_routes import json_error
from goclaw_actors.http.route_access import AGENT_DATA
from goclaw_actors.store.agent_reads import agent_row
from goclaw_actors.store.knowledge_reads import agent_memories
from goclaw_actors.timeutil import rfc3339, utc_now

TIMESTAMPS = ("created_at", "updated_at", "last_accessed")


def _export_reads(conn, agent_id: str):
    return agent_row(conn, agent_id), agent_memories(conn, agent_id)


def memory_export(row: dict[str, Any]) -> dict[str, Any]:
    """One memory as exported: its columns, timestamps in RFC 3339."""
    return {key: (rfc3339(value) if key in TIMESTAMPS else value) for key, value in row.items()
            if key not in ("id", "agent_id")}


def install_memory_routes(app: bottle.Bottle, ctx: GatewayContext) -> None:
    """Add GET /api/agents/<agent_id>/memory."""

    @app.get("/api/agents/<agent_id>/memory", access=AGENT_DATA)
    def agent_memory(agent_id: str):
        require_agent(agent_id)
        agent, memories = ctx.read(_export_reads, agent_id)
        if agent is None and not memories:
            raise json_error(404, f'agent "{agent_id}" not found')
        return {"agent_id": agent_id, "exported_at": rfc3339(utc_now()),
                "memories": [memory_export(row) for row in memories]}
