"""The client-conformance suite (marker `clients`): the real daemon as a subprocess, answering through a
deterministic fake upstream, driven by the real client libraries. One daemon and one upstream per module."""

import sqlite3

import pytest

from tests.clients.fake_upstream import MODEL, FakeUpstream
from tests.helpers import DaemonProcess

TOKEN = "clients-token"
UPSTREAM_KEY = "sk-fake-upstream-0123456789"
FAILOVER_THRESHOLD = 3  # low: a bad request counted as a provider failure would open the breaker at once
COOLDOWN_SECONDS = 120
CONFIG = f"""\
worker_count: 4
task_timeout_seconds: 30
llm:
  provider: openai
  openai_model: {MODEL}
  openai_compatible_base_url: {{base}}
  failover_threshold: {FAILOVER_THRESHOLD}
  failover_cooldown_seconds: {COOLDOWN_SECONDS}
agents:
  - agent_id: coder
  - agent_id: limited
    provider: openai_compatible
    model: {MODEL}
  - agent_id: slow
    task_timeout_seconds: 1
"""


@pytest.fixture(scope="module")
def upstream():
    """The fake upstream, shared by the module."""
    with FakeUpstream() as server:
        yield server


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, upstream):
    """`goclaw daemon` with the openai provider on the fake upstream (agents default, coder, slow with a 1 s
    timeout, and limited on openai_compatible, whose breaker is its own)."""
    home = tmp_path_factory.mktemp("clients") / "home"
    home.mkdir()
    (home / "config.yaml").write_text(CONFIG.format(base=upstream.url + "/v1"))
    process = DaemonProcess(home, env={"OPENAI_API_KEY": UPSTREAM_KEY, "OPENAI_BASE_URL": upstream.url + "/v1",
                                       "GOCLAW_AUTH_TOKEN": TOKEN})
    process.start().wait_healthy(timeout=60)
    yield process
    process.terminate()
    process.stop()


def query(daemon: DaemonProcess, sql: str, *args) -> list[tuple]:
    """Rows of a read-only query on the daemon's database."""
    with sqlite3.connect(daemon.db_path, timeout=5) as conn:
        return conn.execute(sql, args).fetchall()
