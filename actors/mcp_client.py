"""McpClient: one MCP server's connection, its tools and its reconnections (SPEC §8.4, §1.3).

Connecting, listing and calling run on the daemon's asyncio greenlet (goclaw_actors/mcp); this actor
only keeps the state: `connecting` → `up`, and after a lost connection or a failed attempt `retrying`
(after 1, 2 and 4 s) then `down` (tried every 60 s). The tools stay offered while retrying and disappear
once the server is down; every change of the tool list is announced with `on_tools_changed`. A dying
server never stops this actor: it is the actor that brings it back. Tool calls do not pass through the
actor's inbox: callers take the live session (`session()`) and submit the call to the loop themselves,
so a slow tool never delays another.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Mapping

import gevent
import pykka

from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.mcp.asyncio_greenlet import AsyncioGreenlet
from goclaw_actors.mcp.reconnect import retry_after
from goclaw_actors.mcp.server_config import STDIO, McpServerConfig
from goclaw_actors.mcp.session import CONNECT_SECONDS, Handshake, McpSession, ToolInfo, describe

CLOSE_SECONDS = 10.0  # closing a connection on stop (a stdio server gets SIGTERM, then SIGKILL)
MAX_STDERR_BYTES = 1 << 20  # a server's stderr log is rotated once (to `.1`) when it is past this at connect

log = get_logger("mcp")


@dataclass(frozen=True)
class _Attempt:
    """Time to connect (again); stale when `generation` is not the actor's."""

    generation: int


@dataclass(frozen=True)
class _Connected:
    """The session is open: its handshake."""

    generation: int
    session: McpSession
    handshake: Handshake


@dataclass(frozen=True)
class _Failed:
    """Connecting failed, or a live connection ended."""

    generation: int
    error: str


@dataclass(frozen=True)
class _Tools:
    """The server listed its tools again."""

    generation: int
    tools: tuple[ToolInfo, ...]


class McpClient(pykka.ThreadingActor):
    """One MCP server; `scope` is the agent id for an agent's server, "" for a global one.

    Usage::

        client = McpClient.start(server, "", loop, environ, logs_dir, on_tools_changed).proxy()
        client.status().get()    # {"name", "scope", "state", "protocol_version", "tools", ...}
        client.snapshot().get()  # (revision, tools, session) for the tools offered to models
        client.session().get()   # the live McpSession, or None
    """

    def __init__(self, server: McpServerConfig, scope: str, loop: AsyncioGreenlet, environ: Mapping[str, str],
                 logs_dir: Path | None, on_tools_changed: Callable[[McpServerConfig, str], None],
                 retry: Callable[[int], tuple[float, bool]] = retry_after):
        super().__init__()
        self.retry = retry
        self.server = server
        self.scope = scope
        self.loop = loop
        self.environ = dict(environ)
        self.logs_dir = logs_dir
        self.on_tools_changed = on_tools_changed
        self.state = "connecting"
        self.generation = 0
        self.failures = 0
        self.revision = 0
        self.tools: tuple[ToolInfo, ...] = ()
        self.handshake: Handshake | None = None
        self.live: McpSession | None = None
        self.last_error = ""
        self.connects = 0
        self.timer: gevent.Greenlet | None = None
        self.errlog: IO[str] | None = None

    def on_start(self) -> None:
        self.actor_ref.tell(_Attempt(self.generation))

    def on_stop(self) -> None:
        self._shut()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        self._shut()

    def on_receive(self, message: Any) -> None:
        try:
            self._handle(message)
        except Exception as exc:  # noqa: BLE001 - a failed step retries; it must not stop the actor
            log.error("MCP client step failed", server=self.server.name, scope=self.scope, error=repr(exc))
            self._lost(f"internal error: {exc!r}")

    # --- queries (through the proxy) ---------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The server's state for status reports."""
        handshake = self.handshake
        return {"name": self.server.name, "scope": self.scope or "global", "transport": self.server.transport,
                "state": self.state, "protocol_version": handshake.protocol_version if handshake else "",
                "server": handshake.server_name if handshake else "", "tools": len(self.tools),
                "connects": self.connects, "last_error": self.last_error}

    def snapshot(self) -> tuple[int, tuple[ToolInfo, ...], McpSession | None]:
        """(revision, tools, live session or None): the revision changes whenever the offered tools do."""
        return self.revision, self.tools, self.live

    def session(self) -> McpSession | None:
        """The live connection for a tool call, or None while the server is not connected."""
        return self.live

    # --- the connection's life ---------------------------------------------------------------

    def _handle(self, message: Any) -> None:
        if getattr(message, "generation", None) != self.generation:
            return  # from a connection or timer that is over
        if isinstance(message, _Attempt):
            self.state = "connecting" if self.state != "down" else "down"
            gevent.spawn(self._connect, self.generation)
        elif isinstance(message, _Connected):
            self._up(message.session, message.handshake)
        elif isinstance(message, _Failed):
            self._lost(message.error)
        elif isinstance(message, _Tools):
            self._set_tools(message.tools)

    def _connect(self, generation: int) -> None:
        """Open a session on the loop (a green thread: the actor keeps answering meanwhile)."""
        me = self.actor_ref
        session = McpSession(self.server, self.environ, self._stderr() if self.server.transport == STDIO else None,
                             on_tools=lambda tools: _tell(me, _Tools(generation, tools)),
                             on_closed=lambda reason: _tell(me, _Failed(generation, reason)))
        try:
            handshake = self.loop.submit(session.open(), timeout=CONNECT_SECONDS + 5)
        except Exception as exc:  # noqa: BLE001 - every failure to connect is retried
            _tell(me, _Failed(generation, f"connect failed: {describe(exc)}"))
            return
        if not _tell(me, _Connected(generation, session, handshake)):
            self._close_later(session)

    def _up(self, session: McpSession, handshake: Handshake) -> None:
        self.live, self.handshake = session, handshake
        self.state, self.failures, self.last_error = "up", 0, ""
        self.connects += 1
        log.info("MCP server connected", server=self.server.name, scope=self.scope or "global",
                 transport=self.server.transport, protocol_version=handshake.protocol_version,
                 server_name=handshake.server_name, server_version=handshake.server_version,
                 tools=len(handshake.tools))
        self._set_tools(handshake.tools)

    def _lost(self, error: str) -> None:
        """The connection ended or could not be made: retry after 1, 2, 4 s, then every 60 s (down)."""
        session, self.live = self.live, None
        if session is not None:
            self._close_later(session)
        self.generation += 1
        self.failures += 1
        self.last_error = error
        delay, down = self.retry(self.failures)
        self.state = "down" if down else "retrying"
        log.warn("MCP server unavailable; retrying", server=self.server.name, scope=self.scope or "global",
                 error=error, state=self.state, retry_in_seconds=delay, failures=self.failures)
        if down:
            self._set_tools(())
        self._schedule(delay)

    def _set_tools(self, tools: tuple[ToolInfo, ...]) -> None:
        if tools == self.tools:
            return
        self.tools = tools
        self.revision += 1
        self.on_tools_changed(self.server, self.scope)

    def _schedule(self, delay: float) -> None:
        if self.timer is not None:
            self.timer.kill(block=False)
        me, generation = self.actor_ref, self.generation
        self.timer = gevent.spawn_later(delay, lambda: _tell(me, _Attempt(generation)))

    def _close_later(self, session: McpSession) -> None:
        gevent.spawn(self._close, session)

    def _close(self, session: McpSession) -> None:
        try:
            self.loop.submit(session.close(), timeout=CLOSE_SECONDS)
        except Exception as exc:  # noqa: BLE001 - closing is best effort; the loop kills what is left on stop
            log.warn("MCP connection did not close cleanly", server=self.server.name, error=describe(exc))

    def _shut(self) -> None:
        self.generation += 1
        if self.timer is not None:
            self.timer.kill(block=False)
        session, self.live = self.live, None
        if session is not None:
            self._close(session)
        if self.errlog is not None:
            self.errlog.close()
            self.errlog = None

    def _stderr(self) -> IO[str]:
        """Where a stdio server's stderr goes: `logs/mcp-[<agent>-]<name>.log` (0600), else /dev/null."""
        if self.errlog is not None:
            return self.errlog
        if self.logs_dir is None:
            self.errlog = open(os.devnull, "w")
            return self.errlog
        path = self.logs_dir / ("mcp-" + (f"{self.scope}-" if self.scope else "") + f"{self.server.name}.log")
        try:
            if path.exists() and path.stat().st_size > MAX_STDERR_BYTES:
                path.replace(path.with_suffix(".log.1"))
            self.errlog = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a")
        except OSError as exc:
            log.warn("MCP server stderr log unavailable", path=str(path), error=str(exc))
            self.errlog = open(os.devnull, "w")
        return self.errlog


def _tell(ref: pykka.ActorRef, message: Any) -> bool:
    try:
        ref.tell(message)
        return True
    except pykka.ActorDeadError:
        return False
