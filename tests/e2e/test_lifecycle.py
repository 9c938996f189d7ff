"""Daemon lifecycle: start-up phases, SIGTERM drain, start-up failures with reason codes, the CLI."""

import json
import socket
import sqlite3
import subprocess
import sys

import pytest

from goclaw_actors.store.migrations import LATEST_VERSION
from goclaw_actors.version import VERSION_LABEL
from tests.helpers import ROOT, DaemonProcess, insert_task, wait_until

PHASES = ["config_loaded", "schema_migrated", "recovery_scan_completed", "policy_loaded", "acp_listener_bound",
          "scheduler_started"]


def system_log(home):
    return [json.loads(line) for line in (home / "logs" / "system.jsonl").read_text().splitlines() if line]


def task_rows(db_path):
    with sqlite3.connect(db_path, timeout=5) as conn:
        return conn.execute("SELECT id, status, attempt FROM tasks").fetchall()


def test_first_start_creates_home_logs_phases_in_order_and_serves_healthz(home, daemons):
    daemon = daemons(home).start().wait_healthy()
    # the last phase is logged once the cron scheduler answers, just after the listener serves
    wait_until(lambda: any(line.get("phase") == "scheduler_started" for line in daemon.json_lines()), timeout=10)
    for name in ("config.yaml", "policy.yaml", "auth.token", "goclaw.db", "logs/system.jsonl", "logs/audit.jsonl",
                 "skills", "installed", "workspace/HEARTBEAT.md", "models"):
        assert (home / name).exists(), name
    health = daemon.json_lines()
    phases = [line["phase"] for line in system_log(home) if "phase" in line]
    assert phases == PHASES
    assert [line["phase"] for line in health if "phase" in line] == PHASES  # stdout mirrors the file
    import requests
    body = requests.get(daemon.url + "/healthz", timeout=2).json()
    assert body["healthy"] is True and body["db_ok"] is True and body["version"] == VERSION_LABEL
    assert body["policy_version"].startswith("policy-") and body["agent_count"] == 1
    assert daemon.terminate() == 0
    assert system_log(home)[-1]["msg"] == "shutdown complete"


def test_sigterm_lets_short_tasks_finish(home, daemons):
    daemon = daemons(home, env={"GOCLAW_DEBUG_TASK_DELAY_MS": "400"}).start().wait_healthy()
    with sqlite3.connect(daemon.db_path) as conn:
        for i in range(3):
            insert_task(conn, f"short {i}")
    wait_until(lambda: any(status == "RUNNING" for _, status, _ in task_rows(daemon.db_path)), timeout=10)
    assert daemon.terminate() == 0
    assert {status for _, status, _ in task_rows(daemon.db_path)} == {"SUCCEEDED"}


def test_sigterm_requeues_what_outlasts_the_drain_without_spending_an_attempt(home, daemons):
    env = {"GOCLAW_DEBUG_TASK_DELAY_MS": "20000", "GOCLAW_DRAIN_TIMEOUT_SECONDS": "0.3"}
    daemon = daemons(home, env=env).start().wait_healthy()
    with sqlite3.connect(daemon.db_path) as conn:
        insert_task(conn, "long")
    wait_until(lambda: [status for _, status, _ in task_rows(daemon.db_path)] == ["RUNNING"], timeout=10)
    assert daemon.terminate(timeout=15) == 0
    [(task_id, status, attempt)] = task_rows(daemon.db_path)
    assert (status, attempt) == ("QUEUED", 0)
    with sqlite3.connect(daemon.db_path) as conn:
        last = conn.execute("SELECT event_type, payload_json FROM task_events WHERE task_id = ? "
                            "ORDER BY event_id DESC LIMIT 1", (task_id,)).fetchone()
    assert last[0] == "task.requeued" and json.loads(last[1])["reason"] == "shutdown_drain"
    assert "drain timeout" in daemon.output()


def newer_schema(home):
    with sqlite3.connect(home / "goclaw.db") as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, checksum TEXT, applied_at TEXT)")
        conn.execute("INSERT INTO schema_migrations VALUES (?, 'x', '2026-01-01')", (LATEST_VERSION + 1,))


def occupy(port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1)
    return sock


CASES = {
    "E_CONFIG_LOAD": lambda home: (home / "config.yaml").write_text("worker_count: [oops\n"),
    "E_POLICY_LOAD": lambda home: (home / "policy.yaml").write_text("allow_capabilities: [tools.teleport]\n"),
    "E_STORE_OPEN": newer_schema,
    "E_AUTH_TOKEN_WRITE": lambda home: (home / "auth.token").mkdir(),
    "E_WORKSPACE_CREATE": lambda home: (home / "workspace").write_text("not a dir"),
    "E_SKILL_DIR_CREATE": lambda home: (home / "skills").write_text("not a dir"),
    "E_LOGGER_INIT": lambda home: (home / "logs").write_text("not a dir"),
    "E_OTEL_INIT": lambda home: (home / "config.yaml").write_text("telemetry: {enabled: true, exporter: kafka}\n"),
}


@pytest.mark.parametrize("reason_code", sorted(CASES))
def test_startup_failures_exit_1_with_their_reason_code(home, daemons, reason_code):
    CASES[reason_code](home)
    daemon = daemons(home).start()
    assert daemon.wait_exit() == 1
    failures = [line for line in daemon.json_lines() if line.get("msg") == "startup failure"]
    assert len(failures) == 1 and failures[0]["reason_code"] == reason_code and failures[0]["error"]
    assert failures[0]["level"] == "ERROR"


def test_address_in_use_is_acp_listener_bind(home, daemons):
    daemon = daemons(home)
    blocker = occupy(daemon.port)
    try:
        daemon.start()
        assert daemon.wait_exit() == 1
    finally:
        blocker.close()
    [failure] = [line for line in daemon.json_lines() if line.get("msg") == "startup failure"]
    assert failure["reason_code"] == "E_ACP_LISTENER_BIND" and "in use" in failure["error"]


def test_bad_debug_delay_is_config_load(home, daemons):
    daemon = daemons(home, env={"GOCLAW_DEBUG_TASK_DELAY_MS": "soon"}).start()
    assert daemon.wait_exit() == 1
    assert '"reason_code": "E_CONFIG_LOAD"' in daemon.output()


def test_one_worker_needs_delegation_max_hops_0(home, daemons):
    """The default hop limit is at least 1, which one lane cannot serve (SPEC §2.3): refused at start,
    naming the key; with `delegation_max_hops: 0` the same configuration starts."""
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\n")
    refused = daemons(home).start()
    assert refused.wait_exit() == 1
    assert '"reason_code": "E_CONFIG_LOAD"' in refused.output()
    assert "the default delegation_max_hops (1) must be at most worker_count - 1 (0)" in refused.output()
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\n")
    started = daemons(home).start().wait_healthy()
    assert started.terminate() == 0


def goclaw(*args, env=None, timeout=20):
    return subprocess.run([sys.executable, "-m", "supervisors.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_cli_version_status_and_usage(home, daemons):
    for flag in ("--version", "-version"):
        assert goclaw(flag).stdout.strip() == VERSION_LABEL
    daemon = daemons(home).start().wait_healthy()
    up = goclaw("status", env=daemon.env)
    assert up.returncode == 0 and json.loads(up.stdout)["healthy"] is True
    assert daemon.terminate() == 0
    down = goclaw("status", env=daemon.env)
    assert down.returncode == 1 and "not reachable" in down.stdout + down.stderr
    extra = goclaw("daemon", "--frobnicate", env=daemon.env)
    assert extra.returncode == 2 and "usage: goclaw daemon" in extra.stderr
    unknown = goclaw("frobnicate", env=daemon.env)
    assert unknown.returncode == 2 and "usage: goclaw" in unknown.stderr
    assert goclaw("help").returncode == 0


def test_daemon_help_does_not_start(home):
    result = goclaw("daemon", "--help", env={"GOCLAW_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and "usage: goclaw daemon" in result.stdout
    assert not (home / "goclaw.db").exists()


def test_restart_after_clean_stop_recovers_nothing(home, daemons):
    daemons(home).start().wait_healthy().terminate()
    second = daemons(home).start().wait_healthy()
    [scan] = [line for line in second.json_lines() if line.get("phase") == "recovery_scan_completed"]
    assert scan["recovered"] == 0
    assert second.terminate() == 0


def test_daemon_process_helper_reports_early_exit(home):
    (home / "config.yaml").write_text("log_level: loud\n")
    daemon = DaemonProcess(home).start()
    try:
        with pytest.raises(AssertionError, match="exited with 1"):
            daemon.wait_healthy(timeout=10)
    finally:
        daemon.stop()
