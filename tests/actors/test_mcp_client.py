"""The McpClient actor (SPEC §8.4): connects, keeps the tools while retrying a lost server, marks it down
(its tools gone) after the retries, keeps trying, and comes back with its tools; every change of the tool
list is announced. The retry delays are shortened here; their real values are tested in tests/unit."""

import os
import stat

import psutil
import pytest

from actors.mcp_client import McpClient
from goclaw_actors.mcp.asyncio_greenlet import AsyncioGreenlet
from goclaw_actors.mcp.server_config import parse_server
from tests.helpers import wait_until
from tests.mcp.servers import everything_js


@pytest.fixture
def loop():
    running = AsyncioGreenlet().start()
    yield running
    running.stop()


def fast_retry(failures: int) -> tuple[float, bool]:
    """0.05 s twice, then down and tried every 0.3 s."""
    return (0.05, False) if failures <= 2 else (0.3, True)


def test_a_lost_server_is_retried_marked_down_without_tools_and_brought_back(loop, tmp_path):
    flag = tmp_path / "refuse"
    script = tmp_path / "server.sh"  # refuses to start while `flag` exists
    script.write_text(f'#!/bin/sh\n[ -e "{flag}" ] && exit 1\nexec node "{everything_js()}" stdio\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    announced = []
    client = McpClient.start(parse_server({"name": "ev", "command": str(script)}, "test"), "agent-a", loop,
                             os.environ, tmp_path, lambda server, scope: announced.append((server.name, scope)),
                             fast_retry).proxy()
    try:
        wait_until(lambda: client.status().get()["state"] == "up", timeout=20, what="connected")
        assert client.snapshot().get()[1] and announced[0] == ("ev", "agent-a")
        assert client.session().get() is not None

        flag.touch()
        for child in psutil.Process().children(recursive=True):
            if "stdio" in child.cmdline():
                child.kill()
        wait_until(lambda: client.status().get()["state"] == "down", timeout=10, what="marked down")
        status = client.status().get()
        assert status["tools"] == 0 and client.snapshot().get()[1] == () and client.session().get() is None
        assert status["last_error"].startswith("connect failed")
        down_announcements = len(announced)

        flag.unlink()
        wait_until(lambda: client.status().get()["state"] == "up", timeout=20, what="back up")
        assert client.status().get()["connects"] == 2 and client.snapshot().get()[1]
        assert len(announced) > down_announcements  # the tools came back: announced again
        assert (tmp_path / "mcp-agent-a-ev.log").exists()  # the server's stderr
    finally:
        client.actor_ref.stop()
    assert not [child for child in psutil.Process().children(recursive=True) if "stdio" in child.cmdline()]
