"""Backlog benchmark: the daemon started on a queue already holding `--backlog` QUEUED tasks (100,000 by default)
against the same daemon on an empty queue, both measured in this run.

    scripts/bench_backlog [--backlog 100000] [--tasks 2000]

For each run it prints the time from spawn to /healthz, resident memory once healthy (the queue is never loaded
into memory: it must stay near the empty daemon's), the seconds to finish the first `--tasks` tasks (claims
through the index, no-op fallback processor), and how long a new priority-10 chat, enqueued over ACP while the
backlog waits, takes to succeed (median of 5). Ratios are backlog / empty.
"""

import argparse
import json
import shutil
import statistics
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import requests
import websocket

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_daemon import ROOT, free_port  # noqa: E402

TOKEN = "backlog-token-2e9c51"
URGENT_CHATS = 5  # the median of this many priority-10 chats is reported


def prepare_home(home: Path) -> None:
    """A home with the default agent only (4 lanes, no queue cap); the schema is created by one short daemon run."""
    home.mkdir(parents=True)
    (home / "config.yaml").write_text("agents: []\nworker_count: 4\nmax_queue_depth: 0\n", encoding="utf-8")
    proc, _ = spawn(home)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def make_backlog(db_path: Path, count: int, created_at: str = "2026-01-01 00:00:00.000000") -> None:
    """Insert `count` QUEUED chat tasks (one session each, with their task.enqueued events) in one transaction."""
    rows, sessions, events = [], [], []
    for index in range(count):
        task_id, session_id = str(uuid.uuid4()), str(uuid.uuid4())
        sessions.append((session_id, created_at, created_at))
        rows.append((task_id, session_id, created_at, json.dumps({"content": f"backlog {index}"}), created_at,
                     created_at))
        events.append((task_id, session_id, session_id, created_at))
    with sqlite3.connect(db_path, timeout=30) as conn:
        conn.executemany("INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)", sessions)
        conn.executemany(
            "INSERT INTO tasks (id, session_id, agent_id, type, status, priority, attempt, max_attempts, "
            "available_at, payload, created_at, updated_at) VALUES (?, ?, 'default', 'chat', 'QUEUED', 0, 0, 3, "
            "?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT INTO task_events (task_id, session_id, run_id, trace_id, event_type, state_from, state_to, "
            "payload_json, created_at) VALUES (?, ?, '', ?, 'task.enqueued', NULL, 'QUEUED', "
            "'{\"reason\":\"create_task\"}', ?)", events)


def spawn(home: Path, timeout: float = 120.0) -> tuple[subprocess.Popen, str]:
    """`goclaw daemon` on `home`, waited for until /healthz answers; returns (process, base URL)."""
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "GOCLAW_HOME": str(home), "GOCLAW_BIND_ADDR": f"127.0.0.1:{port}",
           "GOCLAW_NO_TUI": "1", "GOCLAW_AUTH_TOKEN": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "supervisors.cli", "daemon"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited with {proc.returncode}")
        time.sleep(0.01)
    proc.kill()
    raise RuntimeError("daemon did not become healthy")


def succeeded(db_path: Path) -> int:
    with sqlite3.connect(db_path, timeout=30) as conn:
        return conn.execute("SELECT COUNT(*) FROM tasks WHERE status = 'SUCCEEDED'").fetchone()[0]


def urgent_chat_seconds(url: str, db_path: Path) -> float:
    """Seconds from sending a priority-10 `agent.chat` over ACP until its task has SUCCEEDED."""
    ws = websocket.create_connection(url.replace("http", "ws") + "/ws", header=[f"Authorization: Bearer {TOKEN}"],
                                     suppress_origin=True, timeout=30)
    try:
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "system.hello"}))
        ws.recv()
        asked = time.monotonic()
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "agent.chat", "params": {
            "session_id": str(uuid.uuid4()), "content": "urgent", "priority": 10}}))
        answer = json.loads(ws.recv())
        if "result" not in answer:
            raise RuntimeError(f"agent.chat refused: {answer}")
        task_id = answer["result"]["task_id"]
    finally:
        ws.close()
    while True:
        with sqlite3.connect(db_path, timeout=30) as conn:
            status = conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()[0]
        if status == "SUCCEEDED":
            return time.monotonic() - asked
        time.sleep(0.002)


def measure(backlog: int, tasks: int) -> dict[str, float]:
    """One run: a home with `backlog + tasks` queued tasks (the first `tasks` are the oldest)."""
    base = Path(tempfile.mkdtemp(prefix="goclaw-backlog-"))
    try:
        home = base / "home"
        prepare_home(home)
        make_backlog(home / "goclaw.db", tasks, "2025-01-01 00:00:00.000000")  # claimed first (oldest)
        make_backlog(home / "goclaw.db", backlog)
        started = time.monotonic()
        proc, url = spawn(home)
        ready_s = time.monotonic() - started
        rss_mb = psutil.Process(proc.pid).memory_info().rss / 1e6
        while succeeded(home / "goclaw.db") < tasks:
            time.sleep(0.01)
        drain_s = time.monotonic() - started - ready_s
        chat_s = statistics.median(urgent_chat_seconds(url, home / "goclaw.db") for _ in range(URGENT_CHATS))
        peak_mb = psutil.Process(proc.pid).memory_info().rss / 1e6
        proc.kill()
        proc.wait(timeout=30)
        return {"ready_s": ready_s, "rss_mb": rss_mb, "rss_after_mb": peak_mb, "drain_s": drain_s,
                "tasks_per_s": tasks / drain_s, "chat_s": chat_s}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlog", type=int, default=100_000, help="QUEUED tasks waiting at start (100000)")
    parser.add_argument("--tasks", type=int, default=2000, help="tasks whose completion is timed (2000)")
    args = parser.parse_args()
    empty = measure(0, args.tasks)
    full = measure(args.backlog, args.tasks)
    print(f"{'':24}{'empty queue':>14}{f'{args.backlog} queued':>16}{'ratio':>8}")
    for key, label in (("ready_s", "spawn to healthy (s)"), ("rss_mb", "RSS when healthy (MB)"),
                       ("rss_after_mb", f"RSS after {args.tasks} (MB)"), ("drain_s", f"first {args.tasks} done (s)"),
                       ("tasks_per_s", "tasks/s"), ("chat_s", "priority-10 chat (s)")):
        print(f"{label:24}{empty[key]:>14.3f}{full[key]:>16.3f}{full[key] / empty[key]:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
