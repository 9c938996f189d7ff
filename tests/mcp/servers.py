"""The MCP servers the client's tests talk to: the real `@modelcontextprotocol/server-everything` (installed
by ./scripts/test into .mcp-servers/, pinned) over stdio or streamable HTTP, and tests/mcp/python_server.py
(the `mcp` SDK's own server) over SSE or streamable HTTP, each on a free port of 127.0.0.1."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import ROOT, free_port

EVERYTHING_JS = ROOT / ".mcp-servers/node_modules/@modelcontextprotocol/server-everything/dist/index.js"


def everything_js() -> str:
    """The server's entry point; fails the test with what to do when it is not installed."""
    if not EVERYTHING_JS.exists():
        pytest.fail(f"{EVERYTHING_JS} is missing: ./scripts/test installs it with npm")
    return str(EVERYTHING_JS)


def everything_stdio(name: str = "everything", **extra) -> dict:
    """A config entry running server-everything over stdio."""
    return {"name": name, "command": "node", "args": [everything_js(), "stdio"], **extra}


class HttpServer:
    """An MCP server process listening on 127.0.0.1:`port`; `url` is its MCP endpoint."""

    def __init__(self, argv: list[str], url_path: str, env: dict | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}{url_path}"
        self.argv = [part.replace("{port}", str(self.port)) for part in argv]
        self.env = {key: value.replace("{port}", str(self.port)) for key, value in env.items()} if env else None
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> "HttpServer":
        """Start the process and wait until it accepts connections."""
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return self
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.argv} exited with {self.process.returncode}")
                time.sleep(0.05)
        raise AssertionError(f"{self.argv} did not listen on port {self.port}")

    def kill(self) -> None:
        """SIGKILL the process and reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> "HttpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()


def everything_http(port: int | None = None) -> HttpServer:
    """server-everything over streamable HTTP (endpoint /mcp)."""
    import os

    return HttpServer(["node", everything_js(), "streamableHttp"], "/mcp", env={**os.environ, "PORT": "{port}"},
                      port=port)


def python_server(transport: str, headers_log: Path | None = None, port: int | None = None) -> HttpServer:
    """tests/mcp/python_server.py over `sse` (endpoint /sse) or `streamable-http` (endpoint /mcp)."""
    argv = [sys.executable, "-m", "tests.mcp.python_server", transport, "{port}"]
    if headers_log is not None:
        argv.append(str(headers_log))
    return HttpServer(argv, "/sse" if transport == "sse" else "/mcp", port=port)
