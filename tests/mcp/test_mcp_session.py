"""The SDK session on the asyncio greenlet against real servers (SPEC §8.4): server-everything over stdio and
streamable HTTP, the SDK's Python server over SSE; handshake versions, tools/list, tools/call, tool errors,
timeouts, list changes, the MCP-Protocol-Version header and a server that dies."""

import os
import signal
import sys
import time

import psutil
import pytest

from goclaw_actors.mcp.asyncio_greenlet import AsyncioGreenlet
from goclaw_actors.mcp.server_config import parse_server
from goclaw_actors.mcp.session import McpSession
from goclaw_actors.mcp.tool_output import McpToolFailed, result_text
from tests.helpers import wait_until
from tests.mcp.servers import everything_http, everything_stdio, python_server

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")


@pytest.fixture(scope="module")
def loop():
    running = AsyncioGreenlet().start()
    yield running
    running.stop()


class Events:
    """What a session reported through its callbacks."""

    def __init__(self):
        self.tools: list[list[str]] = []
        self.closed: list[str] = []

    def session(self, entry: dict) -> McpSession:
        return McpSession(parse_server(entry, "test"), os.environ, sys.stderr,
                          on_tools=lambda tools: self.tools.append([tool.name for tool in tools]),
                          on_closed=self.closed.append)


def test_stdio_server_everything_lists_and_calls_tools(loop):
    events = Events()
    session = events.session(everything_stdio())
    handshake = loop.submit(session.open(), timeout=30)
    try:
        assert handshake.protocol_version in HANDSHAKE_VERSIONS
        assert handshake.server_name == "mcp-servers/everything"
        names = {tool.name: tool for tool in handshake.tools}
        assert {"echo", "get-sum"} <= set(names)
        assert names["echo"].input_schema["properties"]["message"]["type"] == "string"
        assert result_text(loop.submit(session.call_tool("echo", {"message": "hi"}), timeout=10)) == "Echo: hi"
        assert "5" in result_text(loop.submit(session.call_tool("get-sum", {"a": 2, "b": 3}), timeout=10))
    finally:
        loop.submit(session.close(), timeout=10)
    assert events.closed == []  # a requested close is not reported as a loss


def test_streamable_http_server_everything_lists_and_calls_tools(loop):
    with everything_http() as server:
        session = Events().session({"name": "everything", "url": server.url})
        handshake = loop.submit(session.open(), timeout=30)
        try:
            assert handshake.protocol_version in HANDSHAKE_VERSIONS
            assert "echo" in [tool.name for tool in handshake.tools]
            assert result_text(loop.submit(session.call_tool("echo", {"message": "over http"}), timeout=10)) == \
                "Echo: over http"
        finally:
            loop.submit(session.close(), timeout=10)


def test_sse_python_server_calls_errors_list_changes_and_protocol_header(loop, tmp_path):
    headers = tmp_path / "headers.log"
    with python_server("sse", headers) as server:
        events = Events()
        session = events.session({"name": "py", "url": server.url, "transport": "sse"})
        handshake = loop.submit(session.open(), timeout=30)
        try:
            assert handshake.protocol_version == "2026-07-28"  # the SDK's newest, stateless revision
            assert [tool.name for tool in handshake.tools] == ["add", "fail", "slow", "grow"]
            assert result_text(loop.submit(session.call_tool("add", {"a": 2, "b": 40}), timeout=10)) == "42"
            with pytest.raises(McpToolFailed, match="this tool always fails"):
                result_text(loop.submit(session.call_tool("fail", {}), timeout=10))
            loop.submit(session.call_tool("grow", {"name": "extra"}), timeout=10)
            wait_until(lambda: events.tools and events.tools[-1][-1] == "extra", timeout=10, what="tools refresh")
        finally:
            loop.submit(session.close(), timeout=10)
        sent = headers.read_text().split()
        assert sent.count("2026-07-28") >= 3 and set(sent) <= {"-", "2026-07-28"}  # "-": before negotiation


def test_a_call_past_the_server_timeout_fails_and_the_session_stays_usable(loop):
    with python_server("streamable-http") as server:
        session = Events().session({"name": "py", "url": server.url, "timeout": 0.5})
        loop.submit(session.open(), timeout=30)
        try:
            started = time.monotonic()
            with pytest.raises(Exception, match="(?i)timed out|timeout"):
                loop.submit(session.call_tool("slow", {"seconds": 5}), timeout=10)
            assert time.monotonic() - started < 3
            assert result_text(loop.submit(session.call_tool("add", {"a": 1, "b": 1}), timeout=10)) == "2"
        finally:
            loop.submit(session.close(), timeout=10)


def test_a_killed_stdio_server_is_reported_closed(loop):
    events = Events()
    session = events.session(everything_stdio())
    loop.submit(session.open(), timeout=30)
    children = [child for child in psutil.Process().children(recursive=True) if "node" in child.name()]
    assert children
    for child in children:
        os.kill(child.pid, signal.SIGKILL)
    wait_until(lambda: events.closed, timeout=10, what="the session to report its end")
    assert events.closed == ["the server closed the connection"]
    with pytest.raises(ConnectionError, match="not connected"):
        loop.submit(session.call_tool("echo", {"message": "x"}), timeout=10)
    loop.submit(session.close(), timeout=10)
