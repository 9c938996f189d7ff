"""Test helpers: waiting with a deadline, free ports, and the daemon as a real subprocess."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import requests

ROOT = Path(__file__).resolve().parent.parent
PROVIDER_KEYS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY",
                 "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01, what: str = "") -> Any:
    """Poll `predicate` until it returns a truthy value (returned) or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def db_now(offset_seconds: float = 0.0) -> str:
    """UTC now in the database's timestamp format."""
    from goclaw_actors.timeutil import db_now as now
    return now(offset_seconds)


def insert_task(conn: sqlite3.Connection, content: str, agent_id: str = "default", max_attempts: int = 3,
                priority: int = 0) -> str:
    """Enqueue a task by SQL, as an external producer would: session, task and its task.enqueued event."""
    task_id, session_id, now = str(uuid.uuid4()), str(uuid.uuid4()), db_now()
    conn.execute("INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)", (session_id, now, now))
    conn.execute(
        "INSERT INTO tasks (id, session_id, agent_id, type, status, priority, attempt, max_attempts, available_at, "
        "payload, created_at, updated_at) VALUES (?, ?, ?, 'chat', 'QUEUED', ?, 0, ?, ?, ?, ?, ?)",
        (task_id, session_id, agent_id, priority, max_attempts, now, json.dumps({"content": content}), now, now))
    conn.execute(
        "INSERT INTO task_events (task_id, session_id, run_id, trace_id, event_type, state_from, state_to, "
        "payload_json, created_at) VALUES (?, ?, '', ?, 'task.enqueued', NULL, 'QUEUED', ?, ?)",
        (task_id, session_id, session_id, json.dumps({"reason": "create_task"}), now))
    return task_id


def statuses(db_path: Path) -> dict[str, str]:
    """task id -> status, read on a fresh connection."""
    with sqlite3.connect(db_path, timeout=5) as conn:
        return dict(conn.execute("SELECT id, status FROM tasks"))


class DaemonProcess:
    """`goclaw daemon` in a subprocess with its own GOCLAW_HOME and port; stdout captured to a file."""

    def __init__(self, home: Path, port: int | None = None, env: dict[str, str] | None = None):
        self.home = home
        self.port = port or free_port()
        inherited = {k: v for k, v in os.environ.items() if k not in PROVIDER_KEYS}  # tests choose their keys
        self.env = {**inherited, "GOCLAW_HOME": str(home), "GOCLAW_BIND_ADDR": f"127.0.0.1:{self.port}",
                    "GOCLAW_NO_TUI": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.stdout_path = home.parent / f"{home.name}-daemon-{uuid.uuid4().hex[:6]}.out"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.home / "goclaw.db"

    def start(self, *args: str) -> "DaemonProcess":
        """Start the process (does not wait)."""
        self.stdout_file = open(self.stdout_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "supervisors.cli", "daemon", *args], cwd=self.home.parent,
                                     env=self.env, stdout=self.stdout_file, stderr=subprocess.STDOUT)
        return self

    def healthy(self) -> bool:
        """True once /healthz answers 200."""
        try:
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def wait_healthy(self, timeout: float = 20.0) -> "DaemonProcess":
        """Wait until /healthz answers (fails early if the process exits)."""
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.output()}")
            return self.healthy()
        wait_until(ready, timeout, interval=0.02, what="daemon /healthz")
        return self

    def kill9(self) -> None:
        """SIGKILL, no cleanup."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def wait_exit(self, timeout: float = 20.0) -> int:
        """Wait for the process to exit by itself."""
        return self.proc.wait(timeout=timeout)

    def output(self) -> str:
        """Everything the daemon printed so far."""
        self.stdout_file.flush()
        return self.stdout_path.read_text(errors="replace")

    def json_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines the daemon printed."""
        lines = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass
        return lines

    def stop(self) -> None:
        """Make sure the process is gone (test teardown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if hasattr(self, "stdout_file"):
            self.stdout_file.close()
