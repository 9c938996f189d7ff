"""One connection to an MCP server through the official SDK, run on the asyncio greenlet (SPEC §8.4).

    session = McpSession(server, environ, errlog, on_tools=..., on_closed=...)
    handshake = loop.submit(session.open(), timeout=CONNECT_SECONDS)  # protocol version, server, tools
    result = loop.submit(session.call_tool("echo", {"message": "hi"}), timeout=server.timeout + 1)
    loop.submit(session.close())

`open` negotiates the protocol with the SDK's `auto` mode: a `server/discover` probe at the stateless
2026-07-28 revision, falling back to `initialize` (offering 2025-11-25, accepting servers down to
2024-11-05) and `notifications/initialized`; HTTP transports send `MCP-Protocol-Version` on every request.
It then lists the tools (5 s). The connection then lives in its own task until the server closes it
(end of its output stream, e.g. a stdio server that died), a ping every PING_SECONDS goes unanswered,
or `close` is called; `on_closed(reason)` reports an end that was not asked for. A
`notifications/tools/list_changed` lists the tools again and reports them with `on_tools`.

Every coroutine here runs on the loop; the callbacks run there too and must not block (they tell actors).
"""

import asyncio
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import IO, Any, AsyncIterator, Callable, Mapping

import anyio
import mcp_types as types
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.subscriptions import ListenNotSupportedError
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import CONNECTION_CLOSED
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from goclaw_actors.mcp.server_config import SSE, STDIO, McpServerConfig
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.version import __version__

CONNECT_SECONDS = 30.0  # starting the server (npx may download it), handshake and the first tools/list
LIST_SECONDS = 5.0  # each tools/list
PING_SECONDS = 30.0  # how often an idle connection is checked
PING_TIMEOUT_SECONDS = 5.0
MAX_TOOL_PAGES = 50
PROTOCOL_HEADER = "MCP-Protocol-Version"
CLIENT_INFO = types.Implementation(name="goclaw", version=__version__)

log = get_logger("mcp")


@dataclass(frozen=True)
class ToolInfo:
    """A tool as the server lists it."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class Handshake:
    """What connecting learned: the negotiated protocol version, who the server is, its tools."""

    protocol_version: str
    server_name: str
    server_version: str
    tools: tuple[ToolInfo, ...]


class McpSession:
    """One connection's lifetime on the asyncio loop (see the module docstring)."""

    def __init__(self, server: McpServerConfig, environ: Mapping[str, str], errlog: IO[str] | None,
                 on_tools: Callable[[tuple[ToolInfo, ...]], None], on_closed: Callable[[str], None]):
        self.server = server
        self._environ = environ
        self._errlog = errlog
        self._on_tools = on_tools
        self._on_closed = on_closed
        self._client: Client | None = None
        self._task: asyncio.Task | None = None
        self._stop: asyncio.Event | None = None
        self._stop_reason = ""
        self._version = ""
        self._background: set[asyncio.Task] = set()

    async def open(self) -> Handshake:
        """Connect and list the tools; raises what made connecting fail (the connection is then closed)."""
        self._stop = asyncio.Event()
        ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._hold(ready))
        try:
            return await asyncio.wait_for(asyncio.shield(ready), CONNECT_SECONDS)
        except BaseException:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            raise

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        """`tools/call`, answered within the server's `timeout`; a connection found closed is reported."""
        client = self._client
        if client is None:
            raise ConnectionError(f"MCP server {self.server.name!r} is not connected")
        try:
            return await client.call_tool(name, arguments, read_timeout_seconds=self.server.timeout)
        except Exception as exc:
            if _connection_lost(exc):
                self._end(f"connection lost: {describe(exc)}")
            raise

    async def ping(self) -> None:
        """A `ping` (`server/discover` at 2026-07-28, which has no ping) answered within PING_TIMEOUT_SECONDS."""
        client = self._client
        if client is None:
            raise ConnectionError(f"MCP server {self.server.name!r} is not connected")
        with anyio.fail_after(PING_TIMEOUT_SECONDS):
            if self._version in MODERN_PROTOCOL_VERSIONS:
                await client.session.send_discover(self._version)
            else:
                await client.send_ping()

    async def close(self) -> None:
        """End the connection (a stdio server is asked to exit, then killed) and wait until it has ended."""
        self._end("")
        for task in list(self._background):
            task.cancel()
        for task in [self._task, *self._background]:
            if task is not None and task is not asyncio.current_task():
                await asyncio.gather(task, return_exceptions=True)

    def _end(self, reason: str) -> None:
        if self._stop is not None and not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    async def _hold(self, ready: asyncio.Future) -> None:
        """The connection's lifetime: connect, hand over the handshake, wait for its end, close."""
        reason = ""
        try:
            async with Client(self._transport(), mode="auto", client_info=CLIENT_INFO, cache=None,
                              message_handler=self._on_message) as client:
                self._client, self._version = client, client.protocol_version
                tools = await self._list_tools(client)
                info = client.server_info
                ready.set_result(Handshake(client.protocol_version, info.name if info else "",
                                           info.version if info else "", tools))
                if client.protocol_version in MODERN_PROTOCOL_VERSIONS:
                    self._start(self._listen(client))
                reason = await self._watch(client)
        except Exception as exc:  # noqa: BLE001 - reported to whoever waits for the handshake, or as the end
            if not ready.done():
                ready.set_exception(exc if not isinstance(exc, BaseExceptionGroup) else RuntimeError(describe(exc)))
                return
            reason = reason or f"connection failed: {describe(exc)}"
        finally:
            self._client = None
            for task in list(self._background):
                task.cancel()
        if reason:
            self._on_closed(reason)

    async def _watch(self, client: Client) -> str:
        """Wait until the connection ends; returns why ("" when `close` asked for it)."""
        assert self._stop is not None
        while not self._stop.is_set():
            with anyio.move_on_after(PING_SECONDS):
                await self._stop.wait()
            if self._stop.is_set():
                break
            try:
                await self.ping()
            except Exception as exc:  # noqa: BLE001 - an unanswered ping ends the connection
                return f"ping failed: {describe(exc)}"
        return self._stop_reason

    @asynccontextmanager
    async def _transport(self) -> AsyncIterator[tuple[Any, Any]]:
        """The SDK transport of the server's kind, whose read side reports the end of the server's output."""
        server = self.server
        if server.transport == STDIO:
            transport = stdio_client(StdioServerParameters(command=server.command, args=list(server.args),
                                                           env=server.environment(self._environ)),
                                     errlog=self._errlog or sys.stderr)
        elif server.transport == SSE:
            transport = sse_client(server.url, timeout=LIST_SECONDS, httpx_client_factory=self._versioned_http)
        else:
            transport = streamable_http_client(server.url)
        async with transport as (read, write):
            yield _EndWatch(read, lambda: self._end("the server closed the connection")), write

    async def _list_tools(self, client: Client) -> tuple[ToolInfo, ...]:
        tools: list[ToolInfo] = []
        cursor = None
        with anyio.fail_after(LIST_SECONDS):
            for _ in range(MAX_TOOL_PAGES):
                page = await client.list_tools(cursor=cursor)
                tools += [ToolInfo(tool.name, tool.description or tool.title or "", dict(tool.input_schema or {}))
                          for tool in page.tools]
                cursor = page.next_cursor
                if not cursor:
                    break
        return tuple(tools)

    def _versioned_http(self, headers: dict[str, str] | None = None, timeout: Any = None, auth: Any = None) -> Any:
        """The SDK's HTTP client for the legacy SSE transport, sending MCP-Protocol-Version once negotiated
        (the streamable HTTP transport of the SDK sends it itself)."""
        http = create_mcp_http_client(headers=headers, timeout=timeout, auth=auth)

        async def stamp(request: Any) -> None:
            if self._version and PROTOCOL_HEADER not in request.headers:
                request.headers[PROTOCOL_HEADER] = self._version

        http.event_hooks["request"].append(stamp)
        return http

    def _start(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self._start(self._refresh())
        elif isinstance(message, Exception):
            log.debug("MCP transport error", server=self.server.name, error=describe(message))

    async def _listen(self, client: Client) -> None:
        """On a 2026-07-28 connection, tool list changes come through `subscriptions/listen`; a lost
        subscription ends the connection (it is then made again and the tools listed anew)."""
        try:
            async with client.listen(tools_list_changed=True) as subscription:
                async for _ in subscription:
                    await self._refresh()
        except ListenNotSupportedError:
            return
        except MCPError as exc:
            log.info("MCP server does not announce tool changes", server=self.server.name, error=describe(exc))
            return
        except Exception as exc:  # noqa: BLE001 - reported as the connection's end
            self._end(f"tool subscription lost: {describe(exc)}")
            return
        self._end("the server closed its tool subscription")

    async def _refresh(self) -> None:
        client = self._client
        if client is None:
            return
        try:
            tools = await self._list_tools(client)
        except Exception as exc:  # noqa: BLE001 - the cached list stays until the next change
            if self._client is not None:
                log.warn("MCP tools/list after list_changed failed", server=self.server.name, error=describe(exc))
            return
        self._on_tools(tools)


class _EndWatch:
    """A transport's read stream that calls `on_end` once the stream has ended."""

    def __init__(self, stream: Any, on_end: Callable[[], None]):
        self._stream = stream
        self._on_end = on_end

    async def receive(self) -> Any:
        try:
            return await self._stream.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._on_end()
            raise

    def __aiter__(self) -> "_EndWatch":
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def __aenter__(self) -> "_EndWatch":
        await self._stream.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._stream.__aexit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)  # e.g. `last_context` of the SDK's context streams


def describe(exc: BaseException) -> str:
    """An error as one line, the first leaf of an exception group."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 500 else text[:500] + "…"


def _connection_lost(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionError, OSError)) or (isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED)
