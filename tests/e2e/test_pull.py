"""`goclaw pull <url>` against a local HTTP server (SPEC §8.6): what is installed, what is refused and how, and
a running daemon starting the pulled agent through its config hot reload."""

import subprocess
import sys

import pytest
import yaml

from goclaw_actors.ops.agent_pull import MAX_DEFINITION_BYTES
from goclaw_actors.processor import FALLBACK_REPLY
from supervisors.commands import pull
from tests.brain.fake_server import FakeServer, Reply
from tests.e2e.delegation_fixtures import enqueue
from tests.e2e.tool_fixtures import query, wait_task
from tests.helpers import wait_until

SCOUT = {"id": "scout", "soul": "You scout ahead.", "display_name": "Scout", "capabilities": ["recon"],
         "worker_count": 3, "task_timeout_seconds": 120, "model": "gpt-test", "mcp_servers": [{"command": "rm"}]}
PAGES = {
    "/scout.yaml": Reply(body=yaml.safe_dump(SCOUT).encode(), headers={"Content-Type": "application/yaml"}),
    "/plain.yaml": Reply(body=b"id: plain\nsoul: Plain soul.\n", headers={"Content-Type": "text/plain"}),
    "/nosoul.yaml": Reply(body=b"id: ghost\n", headers={"Content-Type": "text/yaml"}),
    "/page.html": Reply(body=b"id: web\nsoul: x\n", headers={"Content-Type": "text/html; charset=utf-8"}),
    "/huge.yaml": Reply(body=b"id: huge\nsoul: " + b"x" * MAX_DEFINITION_BYTES + b"\n"),
    "/badid.yaml": Reply(body=b"id: under_score\nsoul: x\n"),
    "/narrow.yaml": Reply(body=b"id: narrow\nsoul: x\nworker_count: 1\n"),
    "/default.yaml": Reply(body=b"id: default\nsoul: x\n"),
    "/list.yaml": Reply(body=b"- id: x\n"),
}
CONFIG = {"worker_count": 2, "api_keys": {"brave_api_key": "kept-value"}, "unknown_key": [1, 2],
          "agents": [{"agent_id": "helper", "soul": "Helps.", "worker_count": 2}]}


@pytest.fixture(scope="module")
def site():
    with FakeServer(handler=lambda seen: PAGES.get(seen.path, Reply(404, b"not found"))) as server:
        yield server


@pytest.fixture
def cli_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    monkeypatch.setenv("GOCLAW_HOME", str(home))
    monkeypatch.chdir(tmp_path)  # no .env
    return home


def run_pull(capsys, *argv):
    code = pull.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_good_definition_is_appended_to_agents_keeping_everything_else(cli_home, site, capsys):
    code, out, err = run_pull(capsys, site.url + "/scout.yaml")
    assert (code, out) == (0, "Installed agent @scout\n")
    assert "ignored field 'mcp_servers'" in err  # a definition from the network brings no commands along
    written = yaml.safe_load((cli_home / "config.yaml").read_text())
    assert {key: value for key, value in written.items() if key != "agents"} == {
        key: value for key, value in CONFIG.items() if key != "agents"}
    assert written["agents"] == [CONFIG["agents"][0], {
        "agent_id": "scout", "display_name": "Scout", "soul": "You scout ahead.", "model": "gpt-test",
        "capabilities": ["recon"], "worker_count": 3, "task_timeout_seconds": 120}]
    assert run_pull(capsys, site.url + "/plain.yaml")[0] == 0  # display_name defaults to the id
    assert yaml.safe_load((cli_home / "config.yaml").read_text())["agents"][-1] == {
        "agent_id": "plain", "display_name": "plain", "soul": "Plain soul."}


@pytest.mark.parametrize("path, error", [
    ("/nosoul.yaml", "the agent definition has no soul"),
    ("/page.html", "is an HTML page (text/html), not an agent definition"),
    ("/huge.yaml", "the agent definition is larger than 1 MiB"),
    ("/badid.yaml", 'id must match [A-Za-z0-9][A-Za-z0-9-]*'),
    ("/narrow.yaml", "not installed: the default delegation_max_hops (1) must be at most worker_count - 1 (0) of "
                     "agent 'narrow'"),
    ("/default.yaml", "agent @default already exists"),
    ("/list.yaml", "the agent definition must hold a mapping at the top level, not list"),
    ("/missing.yaml", "answered HTTP 404"),
])
def test_a_bad_definition_exits_1_and_changes_nothing(cli_home, site, capsys, path, error):
    before = (cli_home / "config.yaml").read_text()
    code, out, err = run_pull(capsys, site.url + path)
    assert (code, out) == (1, "")
    assert err.startswith("goclaw pull: ") and error in err, err
    assert (cli_home / "config.yaml").read_text() == before


def test_a_duplicate_id_is_refused(cli_home, site, capsys):
    assert run_pull(capsys, site.url + "/scout.yaml")[0] == 0
    written = (cli_home / "config.yaml").read_text()
    code, out, err = run_pull(capsys, site.url + "/scout.yaml")
    assert (code, out, err) == (1, "", "goclaw pull: agent @scout already exists\n")
    assert (cli_home / "config.yaml").read_text() == written


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/agent.yaml", "file:///etc/passwd", "scout.yaml"])
def test_only_http_and_https_urls_are_fetched(cli_home, capsys, url):
    code, out, err = run_pull(capsys, url)
    assert code == 1 and "unsupported URL scheme" in err


def test_usage_errors_exit_2(cli_home, capsys):
    assert run_pull(capsys)[0] == 2
    assert run_pull(capsys, "a", "b")[0] == 2
    code, out, _ = run_pull(capsys, "--help")
    assert code == 0 and out.startswith("usage: goclaw pull <url>")


def test_the_running_daemon_starts_the_pulled_agent(home, daemons, site):
    daemon = daemons(home).start().wait_healthy()
    done = subprocess.run([sys.executable, "-m", "supervisors.cli", "pull", site.url + "/scout.yaml"], cwd=home.parent,
                          env=daemon.env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "Installed agent @scout\n"), done.stderr
    wait_until(lambda: query(daemon.db_path, "SELECT status FROM agents WHERE agent_id = 'scout'") == [
        {"status": "active"}], timeout=10, what="the daemon to start @scout")
    task = wait_task(daemon.db_path, enqueue(daemon.db_path, "hello scout", agent_id="scout"))
    assert (task["status"], task["reply"]) == ("SUCCEEDED", FALLBACK_REPLY)
    row = query(daemon.db_path, "SELECT worker_count, soul FROM agents WHERE agent_id = 'scout'")[0]
    assert (row["worker_count"], row["soul"]) == (3, "You scout ahead.")
