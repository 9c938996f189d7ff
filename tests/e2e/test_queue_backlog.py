"""A daemon started on a deep backlog (20,000 QUEUED tasks here; 100,000 in scripts/bench_backlog): its memory
stays near an empty daemon's (the queue lives in SQLite, not in memory) and a new urgent chat is claimed ahead of
the whole backlog through the lane index."""

import sqlite3
import sys
import uuid

import psutil

from goclaw_actors.store.database import open_database
from tests.gateway.acp_client import AcpClient
from tests.helpers import ROOT, wait_until

sys.path.insert(0, str(ROOT / "scripts"))
from bench_backlog import make_backlog  # noqa: E402

BACKLOG = 20_000
MIB = 1024 * 1024
TOKEN = "backlog-test-token-55e1"
ENV = {"GOCLAW_AUTH_TOKEN": TOKEN}


def queued(db_path) -> int:
    with sqlite3.connect(db_path, timeout=10) as conn:
        return conn.execute("SELECT COUNT(*) FROM tasks WHERE status = 'QUEUED'").fetchone()[0]


def status(db_path, task_id) -> str:
    with sqlite3.connect(db_path, timeout=10) as conn:
        return conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()[0]


def rss(daemon) -> int:
    return psutil.Process(daemon.proc.pid).memory_info().rss


def test_a_deep_backlog_costs_no_memory_and_an_urgent_chat_jumps_it(tmp_path, daemons):
    homes = []
    for name in ("empty", "backlog"):
        home = tmp_path / name
        home.mkdir()
        (home / "config.yaml").write_text("agents: []\nworker_count: 2\nmax_queue_depth: 0\n", encoding="utf-8")
        open_database(home / "goclaw.db").close()
        homes.append(home)
    make_backlog(homes[1] / "goclaw.db", BACKLOG)

    empty = daemons(homes[0], env=ENV).start().wait_healthy()
    baseline = rss(empty)
    assert empty.terminate() == 0
    daemon = daemons(homes[1], env=ENV).start().wait_healthy(timeout=60)
    grown = rss(daemon) - baseline
    assert grown < 16 * MIB, f"{BACKLOG} queued tasks cost {grown / MIB:.1f} MiB of resident memory"

    acp = AcpClient(daemon.port, token=TOKEN).hello()
    urgent = acp.call("agent.chat", {"session_id": str(uuid.uuid4()), "content": "urgent", "priority": 10})["task_id"]
    wait_until(lambda: status(daemon.db_path, urgent) == "SUCCEEDED", timeout=30, what="the urgent chat done")
    assert queued(daemon.db_path) > BACKLOG * 3 // 4  # it went ahead of nearly all of the backlog
    assert daemon.terminate() == 0
