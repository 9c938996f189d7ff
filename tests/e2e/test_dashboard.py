"""The dashboard as a person uses it: `goclaw` in a real terminal (tmux) attached to a daemon with a fake
provider, in-process when no daemon runs, its layout at 80×24 and 200×50, the line mode, and `goclaw`
without a terminal still running the daemon headless."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.dashboard.fake_provider import echo_provider, provider_env
from tests.dashboard.tmux_session import TmuxSession
from tests.gateway.acp_client import AcpClient
from tests.helpers import DaemonProcess, free_port, wait_until

LAYOUTS = Path(__file__).resolve().parent.parent / "dashboard" / "layouts"
GOCLAW = [sys.executable, "-m", "supervisors.cli"]


@pytest.fixture
def terminals(tmp_path):
    made: list[TmuxSession] = []

    def make(argv, env, width=100, height=30):
        session = TmuxSession(tmp_path, argv, env, width, height)
        made.append(session)
        return session

    yield make
    for session in made:
        session.kill()


def test_chat_queue_approval_resize_and_quit(home, daemons, terminals):
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\n")
    with echo_provider(pause=0.8) as server:
        daemon = daemons(home, env=provider_env(server)).start().wait_healthy()
        term = terminals(GOCLAW, {"GOCLAW_HOME": str(home), "GOCLAW_BIND_ADDR": f"127.0.0.1:{daemon.port}"},
                         120, 30)
        term.wait_for(rf"GoClaw v\S+ \| SQLite WAL \| 1 workers \| 127\.0\.0\.1:{daemon.port}")
        term.wait_for(r"agent @default \| model auto \(openai/\S+\) \| session [0-9a-f]{8}")
        term.type("hello dashboard")
        term.send("Enter")
        task = term.wait_for(r"\[task queued\] id=([0-9a-f]{8})[0-9a-f-]{28} status=QUEUED").group(1)
        term.wait_for(rf"│{task} @default RUNNING")
        term.wait_for(r"@default: you said: hello dashboard")
        term.wait_for(rf"│{task} @default SUCCEEDED")
        term.wait_for(r"\[task succeeded\] id=" + task)
        term.wait_for(r"succeeded 1")

        acp = AcpClient(daemon.port, token=(home / "auth.token").read_text().strip()).hello()
        approval = acp.call("approval.request", {"action": "exec", "details": "ls /srv"})["approval_id"]
        term.wait_for(r"Approve exec\? ls /srv \[y\]es / \[n\]o")
        term.send("y")
        term.wait_for(r"\[approval\] exec: APPROVED")
        assert {i["approval_id"]: i["status"] for i in acp.call("approval.list")["items"]} == {approval: "APPROVED"}
        acp.close()

        term.resize(80, 24)
        wait_until(lambda: _is_layout(term.screen(), 80, 24), timeout=10, what="the 80x24 layout")
        term.send("C-c")
        assert term.exit_status() == 0
        assert "─ Queue ─" not in term.screen()  # the terminal's own screen is back
        assert daemon.healthy()  # the dashboard only attached
        assert daemon.terminate() == 0


def _is_layout(screen: str, width: int, height: int) -> bool:
    lines = screen.split("\n")[:height]
    return (len(lines) == height and lines[-1].startswith("Enter send") and lines[2][47:48] == "│"
            and all(len(line) <= width for line in lines))


def normalise(screen: str, port: int) -> str:
    """The screen with its variable parts replaced: port, version, session id."""
    text = screen.replace(f"127.0.0.1:{port}", "127.0.0.1:<port>")
    text = re.sub(r"GoClaw v\S+", "GoClaw <version>", text)
    text = re.sub(r"session [0-9a-f]{8}", "session <session>", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n") + "\n"


def _check_layout(screen: str, name: str) -> None:
    """Compare with the kept layout; GOCLAW_UPDATE_LAYOUTS=1 rewrites it instead (review the diff: the
    supervision pane lists the tree, so a new service changes the kept text)."""
    if os.environ.get("GOCLAW_UPDATE_LAYOUTS"):
        (LAYOUTS / name).write_text(screen, encoding="utf-8")
    expected = (LAYOUTS / name).read_text(encoding="utf-8")
    assert screen == expected, f"layout {name} changed:\n{screen}"


def test_in_process_daemon_and_the_layouts_at_80x24_and_200x50(home, terminals):
    port = free_port()
    term = terminals(GOCLAW + ["dashboard"], {"GOCLAW_HOME": str(home), "GOCLAW_BIND_ADDR": f"127.0.0.1:{port}"},
                     80, 24)
    term.wait_for(r"─ Queue ─")
    term.wait_for(r"root rest_for_one ↻0")
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    _check_layout(normalise(term.screen(), port), "80x24.txt")
    term.resize(200, 50)
    term.wait_for(r"worker ×4 alive 4/4 ↻0")
    _check_layout(normalise(term.screen(), port), "200x50.txt")
    assert '"level"' not in term.screen()  # the daemon's log stays off the screen
    term.type("/quit")
    term.send("Enter")
    assert term.exit_status() == 0
    with pytest.raises(requests.RequestException):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    assert "shutdown complete" in (home / "logs" / "system.jsonl").read_text()


def test_line_mode_streams_the_reply_to_stdout(home, daemons):
    with echo_provider() as server:
        daemon = daemons(home, env=provider_env(server)).start().wait_healthy()
        env = {**daemon.env, "GOCLAW_NO_TUI": "1"}
        done = subprocess.run(GOCLAW + ["dashboard"], input="hi there\n@nobody x\n/quit\n", env=env,
                              capture_output=True, text=True, timeout=60, cwd=home.parent)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "GoClaw v" in out and f"127.0.0.1:{daemon.port}" in out
    assert "@default: you said: hi there\n" in out
    assert re.search(r"\[task queued\] id=[0-9a-f-]{36} status=QUEUED", out)
    assert "\nUnknown agent: @nobody. Available: @default\n" in out  # the daemon answered the line
    assert daemon.terminate() == 0


def test_goclaw_without_a_terminal_runs_the_daemon(home):
    daemon = DaemonProcess(home)
    daemon.env.pop("GOCLAW_NO_TUI")
    daemon.stdout_file = open(daemon.stdout_path, "wb")
    daemon.proc = subprocess.Popen(GOCLAW, cwd=home.parent, env=daemon.env, stdin=subprocess.DEVNULL,
                                   stdout=daemon.stdout_file, stderr=subprocess.STDOUT)
    try:
        daemon.wait_healthy()
        assert any(line.get("phase") == "acp_listener_bound" for line in daemon.json_lines())
        assert daemon.terminate() == 0
    finally:
        daemon.stop()
