"""ACP system methods: `system.hello` (opens mutating calls on the socket) and `system.status`."""

import time
from typing import Any

import psutil

from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.methods_agents import listed_agents
from goclaw_actors.http.route_access import Scope
from goclaw_actors.store.agent_reads import last_error
from goclaw_actors.store.sqlite_reads import active_agents, agent_active_counts, status_counts

HELLO = {"protocol": "acp", "version": "1.0", "supported_min": "1.0", "supported_max": "1.0"}


def hello(call: Call) -> dict[str, Any]:
    """Any params ⇒ the protocol versions; mutating methods are allowed on this socket from now on."""
    call.conn.hello = True
    return dict(HELLO)


def _status_reads(conn, scope: frozenset[str] | None
                  ) -> tuple[dict[str, int], list[dict[str, Any]], dict[str, int], str]:
    if scope is None:
        return status_counts(conn), active_agents(conn), agent_active_counts(conn), last_error(conn)
    return (status_counts(conn, scope), active_agents(conn), agent_active_counts(conn),
            last_error(conn, agent_ids=scope))


def status(call: Call) -> dict[str, Any]:
    """Health, queue counts, configuration fingerprint, toolchain, the agents and MCP servers the caller may
    see, the chat channels' states; a key scoped to some agents sees the counts, last error and MCP servers of those agents only (and
    the global servers)."""
    health = call.ctx.health()
    counts, agents, active, error = call.ctx.read(_status_reads, call.conn.principal.agent_scope)
    visible = listed_agents(call, agents, active)
    skills = call.ctx.skills()
    tinygo_available, tinygo_detail = skills.tinygo()
    running = counts.get("CLAIMED", 0) + counts.get("RUNNING", 0)
    return {
        "healthy": bool(health.get("healthy")),
        "db_ok": bool(health.get("db_ok")),
        "active_lanes": running,
        "worker_count": call.ctx.config().worker_count,
        "queue_depth": counts.get("QUEUED", 0),
        "running_tasks": running,
        "memory_alloc": psutil.Process().memory_info().rss,
        "config_hash": call.ctx.config().config_hash,
        "tinygo_available": tinygo_available,
        "tinygo_detail": tinygo_detail,
        "skills": skills.status(),
        "last_error": error,
        "agent_count": len(visible),
        "agents": visible,
        "mcp_servers": [server for server in call.ctx.mcp_servers()
                        if server["scope"] == "global" or call.conn.principal.allows(server["scope"])],
        "channels": call.ctx.channels(),
        "time_unix": int(time.time()),
    }


def methods() -> dict[str, Method]:
    """The system methods by name."""
    return {"system.hello": Method(hello, Scope.AGENTS), "system.status": Method(status, Scope.AGENTS)}
