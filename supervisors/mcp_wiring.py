"""MCP servers in the running daemon (SPEC §8.4, §1.3): one McpClient actor per enabled server, in the
agent's subtree for `agents[].mcp_servers` and under `services` for the global `mcp.servers`; the tools
they offer an agent; `tools.updated` broadcasts; and applying edits of those lists to the running tree.

Registry names: `mcp:<agent_id>:<server>` for an agent's server, `mcp_global:<server>` for a global one.
"""

from typing import TYPE_CHECKING, Any, Callable

import gevent
import pykka

from goclaw_actors.broadcasts import TOOLS_UPDATED
from goclaw_actors.brain.tools import Tool
from goclaw_actors.config.model import AgentConfig, Config
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.mcp.server_config import McpServerConfig, parse_servers
from goclaw_actors.tools.mcp_tools import server_tools
from supervisors.child_spec import TRANSIENT, ChildSpec

if TYPE_CHECKING:  # the SDK (and the OpenTelemetry API it imports) loads only when a server is configured
    from goclaw_actors.mcp.asyncio_greenlet import AsyncioGreenlet
    from goclaw_actors.mcp.session import McpSession

GLOBAL_PREFIX = "mcp_global:"
ASK_SECONDS = 5.0
STOP_SECONDS = 10.0  # a McpClient's close (CLOSE_SECONDS) and a margin
CALL_MARGIN_SECONDS = 2.0  # beyond the server's timeout, for the SDK's own timeout to answer first

log = get_logger("mcp")


def client_name(scope: str, server: str) -> str:
    """The registry name (and child id) of a server's McpClient; `scope` is an agent id or "" (global)."""
    return f"mcp:{scope}:{server}" if scope else GLOBAL_PREFIX + server


def global_servers(config: Config | None) -> tuple[McpServerConfig, ...]:
    """The enabled servers of `mcp.servers`."""
    if config is None:
        return ()
    return tuple(s for s in parse_servers(config.get("mcp.servers"), "mcp.servers") if s.enabled)


def agent_servers(agent: AgentConfig) -> tuple[McpServerConfig, ...]:
    """The enabled servers of an agent's `mcp_servers`."""
    return tuple(s for s in parse_servers(agent.extra.get("mcp_servers"), f"agents ({agent.agent_id}).mcp_servers")
                 if s.enabled)


def mcp_loop(rt: Any) -> "AsyncioGreenlet":
    """The daemon's asyncio greenlet, started with the first MCP server."""
    if rt.mcp_loop is None or not rt.mcp_loop.running:
        from goclaw_actors.mcp.asyncio_greenlet import AsyncioGreenlet
        rt.mcp_loop = AsyncioGreenlet().start()
    return rt.mcp_loop


def client_spec(rt: Any, server: McpServerConfig, scope: str) -> ChildSpec:
    """The child spec of one server's McpClient (transient: restarted only after a crash of the actor)."""
    name = client_name(scope, server.name)
    logs_dir = rt.home / "logs" if rt.home is not None else None

    from actors.mcp_client import CLOSE_SECONDS, McpClient

    def start() -> pykka.ActorRef:
        return rt.registry.register(name, McpClient.start(server, scope, mcp_loop(rt), rt.environ, logs_dir,
                                                          tools_announcer(rt)))

    return ChildSpec(name, start, restart=TRANSIENT, shutdown_timeout=CLOSE_SECONDS + 2)


def agent_mcp_specs(rt: Any, agent_id: str) -> list[ChildSpec]:
    """The McpClients of an agent's subtree (none for an agent without servers or a bad entry)."""
    if rt.config is None:
        return []
    try:
        servers = agent_servers(rt.agent_config(agent_id))
    except Exception as exc:  # noqa: BLE001 - an agent whose servers cannot be read still runs, without them
        log.error("agent's MCP servers not started", agent_id=agent_id, error=str(exc))
        return []
    return [client_spec(rt, server, agent_id) for server in servers]


def global_mcp_specs(rt: Any) -> list[ChildSpec]:
    """The McpClients of the global servers (under `services`)."""
    return [client_spec(rt, server, "") for server in global_servers(rt.config)]


def tools_announcer(rt: Any) -> Callable[[McpServerConfig, str], None]:
    """Broadcasts `tools.updated {name}` to ACP clients when a server's tools change (without waiting)."""
    def announce(server: McpServerConfig, scope: str) -> None:
        gevent.spawn(_broadcast, rt, server.name)

    return announce


def _broadcast(rt: Any, name: str) -> None:
    try:
        rt.broadcast(TOOLS_UPDATED, {"name": name})
    except Exception as exc:  # noqa: BLE001 - clients learn of the tools at their next listing
        log.warn("tools.updated not broadcast", server=name, error=str(exc))


class McpToolSource:
    """An agent's MCP tools right now: its own servers', then the global ones (an agent's server shadows a
    global one of the same name). Tools are rebuilt only when a server's list changes; each listing also
    takes the server's live session and the policy in force, which the tools got from this listing then use
    (one policy lookup per listing, not one per tool)."""

    def __init__(self, rt: Any, agent_id: str):
        self.rt = rt
        self.agent_id = agent_id
        self._built: dict[str, tuple[pykka.ActorRef, int, list[Tool]]] = {}
        self._sessions: dict[str, "McpSession | None"] = {}
        self._policy: Any = None

    def __call__(self) -> list[Tool]:
        registry = self.rt.registry
        tools: list[Tool] = []
        names = registry.names(client_name(self.agent_id, "")) + registry.names(GLOBAL_PREFIX)
        if not names:
            return tools
        self._policy = self.rt.current_policy()
        for name in names:
            ref = registry.lookup(name)
            if ref is None:
                continue
            try:
                tools += self._server_tools(name, ref)
            except (pykka.ActorDeadError, pykka.Timeout) as exc:
                log.warn("MCP server's tools unavailable", client=name, error=str(exc))
        return tools

    def _server_tools(self, name: str, ref: pykka.ActorRef) -> list[Tool]:
        proxy = self.rt.registry.proxy(name)
        revision, listed, self._sessions[name] = proxy.snapshot().get(timeout=ASK_SECONDS)
        built = self._built.get(name)
        if built is not None and built[0] is ref and built[1] == revision:
            return built[2]
        server = proxy.server.get(timeout=ASK_SECONDS)
        tools = server_tools(server.name, listed, self._caller(name, server), lambda: self._policy, log.warn)
        self._built[name] = (ref, revision, tools)
        return tools

    def _caller(self, name: str, server: McpServerConfig) -> Callable[[str, dict[str, Any]], str]:
        """`call(tool, arguments)` on the server's session of the latest listing, within its timeout."""
        def call(tool: str, arguments: dict[str, Any]) -> str:
            session = self._sessions.get(name)
            if session is None:
                raise ConnectionError(f'MCP server "{server.name}" is not connected; try again later')
            from goclaw_actors.mcp.tool_output import result_text
            return result_text(mcp_loop(self.rt).submit(session.call_tool(tool, arguments),
                                                        timeout=server.timeout + CALL_MARGIN_SECONDS))

        return call


def mcp_status(rt: Any) -> list[dict[str, Any]]:
    """The state of every running MCP server, by registry name."""
    out = []
    for name in rt.registry.names("mcp:") + rt.registry.names(GLOBAL_PREFIX):
        proxy = rt.registry.proxy(name)
        if proxy is None:
            continue
        try:
            out.append(proxy.status().get(timeout=ASK_SECONDS))
        except (pykka.ActorDeadError, pykka.Timeout):
            continue
    return out


def reconcile_mcp(rt: Any, config: Config) -> None:
    """Make the running McpClients match `config` (hot reload, SPEC §2.7): servers added to `mcp.servers` or
    an agent's `mcp_servers` start, removed or disabled ones stop, changed ones restart; the others, and
    their connections, are not touched. Each failure is logged."""
    _reconcile(rt, "services", GLOBAL_PREFIX, {client_name("", s.name): (s, "") for s in global_servers(config)})
    for lane in list(rt.lanes):
        agent = config.agent(lane.agent_id)
        if agent is None:
            continue
        try:
            wanted = {client_name(agent.agent_id, s.name): (s, agent.agent_id) for s in agent_servers(agent)}
        except Exception as exc:  # noqa: BLE001 - the loader validated them; keep the running ones
            log.error("agent's MCP servers not reloaded", agent_id=agent.agent_id, error=str(exc))
            continue
        _reconcile(rt, f"agent:{agent.agent_id}", client_name(agent.agent_id, ""), wanted)


def _reconcile(rt: Any, supervisor_name: str, prefix: str,
               wanted: dict[str, tuple[McpServerConfig, str]]) -> None:
    supervisor = rt.registry.proxy(supervisor_name)
    if supervisor is None:
        return
    running = [child["id"] for child in supervisor.which_children().get(timeout=ASK_SECONDS)
               if child["id"].startswith(prefix)]
    for name in running:
        server = wanted.get(name, (None, ""))[0]
        if server is not None and _running_server(rt, name) == server:
            continue
        _step(name, "stop", lambda name=name: supervisor.terminate_child(name).get(timeout=STOP_SECONDS))
        if server is None:
            log.info("MCP server stopped", client=name)
    for name, (server, scope) in wanted.items():
        if supervisor.get_child(name).get(timeout=ASK_SECONDS) is None:
            if _step(name, "start", lambda server=server, scope=scope: supervisor.start_child(
                    client_spec(rt, server, scope)).get(timeout=ASK_SECONDS * 2)):
                log.info("MCP server started", client=name, transport=server.transport)


def _running_server(rt: Any, name: str) -> McpServerConfig | None:
    proxy = rt.registry.proxy(name)
    try:
        return proxy.server.get(timeout=ASK_SECONDS) if proxy is not None else None
    except (pykka.ActorDeadError, pykka.Timeout):
        return None


def _step(name: str, step: str, action: Callable[[], Any]) -> bool:
    try:
        action()
        return True
    except Exception as exc:  # noqa: BLE001 - one server failing to change must not stop the others
        log.error("config reload: MCP server not updated", client=name, step=step, error=str(exc))
        return False
