"""A small MCP server made with the `mcp` SDK, for the client's tests: `python -m tests.mcp.python_server
<sse|streamable-http> <port> [headers_log]`.

Tools: `add{a, b}`, `fail{}` (a tool error), `slow{seconds}` and `grow{name}`, which adds a tool `<name>`
(it answers `grown <name>`) and announces it (`notifications/tools/list_changed`, through
`subscriptions/listen` at 2026-07-28). With `headers_log`, the
`MCP-Protocol-Version` header of each HTTP request is appended to that file, one per line.
"""

import asyncio
import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("goclaw-test-server")


@server.tool()
def add(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


@server.tool()
def fail() -> str:
    """Always fails."""
    raise ToolError("this tool always fails")


@server.tool()
async def slow(seconds: float) -> str:
    """Sleep, then answer."""
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
async def grow(name: str, ctx: Context) -> str:
    """Add a tool called `name` and tell the client its tools changed."""
    def grown() -> str:
        return f"grown {name}"

    server.add_tool(grown, name=name, description=f"Added at run time: {name}")
    if ctx.protocol_version == "2026-07-28":
        await ctx.notify_tools_changed()  # to `subscriptions/listen` streams
    else:
        await ctx.session.send_tool_list_changed()
    return f"added {name}"


def app_with_header_log(app, path: str):
    """ASGI middleware appending each request's MCP-Protocol-Version header to `path`."""
    async def logged(scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            with open(path, "a", encoding="utf-8") as log:
                log.write(headers.get(b"mcp-protocol-version", b"-").decode() + "\n")
        await app(scope, receive, send)

    return logged


def main() -> None:
    import uvicorn

    transport, port = sys.argv[1], int(sys.argv[2])
    app = server.sse_app() if transport == "sse" else server.streamable_http_app()
    if len(sys.argv) > 3:
        app = app_with_header_log(app, sys.argv[3])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
