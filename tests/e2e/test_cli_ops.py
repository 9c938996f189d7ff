"""Operator commands as a user runs them: backup under write load then restore into a stopped daemon's home,
restore refused while the daemon runs, backup progress on a terminal, doctor, import and help."""

import json
import os
import pty
import sqlite3
import stat
import subprocess
import sys
import uuid

import gevent
import requests

from goclaw_actors.store.database import open_database
from goclaw_actors.store.migrations import LATEST_VERSION
from tests.brain.fake_server import FakeServer, json_reply
from tests.gateway.acp_client import AcpClient
from tests.helpers import insert_task, wait_until

COMPLETION = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}


def goclaw(env, *args, cwd=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "supervisors.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def task_ids(db_path):
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM tasks")}
    finally:
        conn.close()


def test_backup_under_load_restores_every_acknowledged_task_into_a_stopped_daemons_home(tmp_path, daemons):
    source_home, target_home = tmp_path / "source", tmp_path / "target"
    for home in (source_home, target_home):
        home.mkdir()
        (home / "config.yaml").write_text("agents: []\nworker_count: 4\nmax_queue_depth: 0\n")
    with FakeServer([json_reply(COMPLETION)]) as server:
        env = {"OPENAI_API_KEY": "sk-test-0123456789", "OPENAI_BASE_URL": server.url + "/v1",
               "GOCLAW_AUTH_TOKEN": "ops-token"}
        source = daemons(source_home, env=env).start().wait_healthy()
        acked: list[str] = []
        stop = gevent.event.Event()

        def writer():
            client = AcpClient(source.port, token="ops-token").hello()
            try:
                while not stop.is_set():
                    result = client.call("agent.chat", {"session_id": str(uuid.uuid4()), "content": "load"})
                    acked.append(result["task_id"])
            finally:
                client.close()

        writers = [gevent.spawn(writer) for _ in range(2)]
        wait_until(lambda: len(acked) >= 30, timeout=30, what="30 acknowledged chats")
        before = set(acked)
        out = tmp_path / "under-load.db"
        backup = goclaw(source.env, "backup", "--out", str(out))
        during = len(acked) - len(before)
        stop.set()
        gevent.joinall(writers, timeout=10, raise_error=True)
        assert backup.returncode == 0, backup.stderr
        assert backup.stdout.strip() == str(out) and stat.S_IMODE(os.stat(out).st_mode) == 0o600
        assert during > 0, "the daemon kept acknowledging chats while the backup ran"
        assert before <= task_ids(out)

        refused = goclaw(source.env, "restore", str(out))
        assert refused.returncode == 1 and "stop it first" in refused.stderr
        assert source.terminate() == 0

        target = daemons(target_home, env=env).start().wait_healthy()
        assert target.terminate() == 0
        restored = goclaw(target.env, "restore", str(out))
        assert restored.returncode == 0, restored.stderr
        assert "previous database is kept at" in restored.stdout
        [kept] = (target_home / "backups").iterdir()
        assert kept.name.startswith("goclaw-pre-restore-")

        again = daemons(target_home, env=env).start().wait_healthy()
        assert before <= task_ids(again.db_path)
        for task_id in sorted(before)[:5]:
            response = requests.get(f"{again.url}/api/tasks/{task_id}", timeout=10,
                                    headers={"Authorization": "Bearer ops-token"})
            assert response.status_code == 200 and response.json()["id"] == task_id
        assert again.terminate() == 0


def test_backup_shows_progress_on_a_terminal_and_prints_only_the_path(home):
    db = open_database(home / "goclaw.db")
    with db.connection() as conn:
        for n in range(200):
            insert_task(conn, "x" * 2000)
    db.close()
    master, slave = pty.openpty()
    result = subprocess.run([sys.executable, "-m", "supervisors.cli", "backup"], cwd=home.parent, text=True,
                            stdout=subprocess.PIPE, stderr=slave, env={**os.environ, "GOCLAW_HOME": str(home)},
                            timeout=60)
    os.close(slave)
    os.set_blocking(master, False)
    terminal = b""
    while True:  # the command has exited: everything it wrote is buffered
        try:
            block = os.read(master, 4096)
        except OSError:  # EAGAIN (all read) or EIO (the other side is closed)
            break
        if not block:
            break
        terminal += block
    os.close(master)
    [path] = result.stdout.splitlines()
    assert result.returncode == 0 and path.startswith(str(home / "backups" / "goclaw-"))
    text = terminal.decode()
    assert "\rbacking up goclaw.db [" in text and "100%" in text
    assert f"verified: integrity ok, schema version {LATEST_VERSION}, 200 tasks" in text


def test_doctor_text_fails_on_an_exposed_token_and_json_lists_every_check(home, daemons):
    daemon = daemons(home).start().wait_healthy()
    (home / "auth.token").chmod(0o644)
    text = goclaw(daemon.env, "doctor", cwd=home.parent)
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert any(line.startswith("FAIL  Permissions") and "auth.token is 0644" in line for line in lines)
    assert any(line.startswith("PASS  Network") and "our daemon" in line for line in lines)
    for flag in ("--json", "-json"):
        result = goclaw(daemon.env, "doctor", flag, cwd=home.parent)
        assert result.returncode == 0
        checks = json.loads(result.stdout)["checks"]
        assert [c["name"] for c in checks] == ["Config", "API Key", "Embedded Model", "Database", "Permissions",
                                               "External Tools", "Network"]
        assert all({"name", "status", "detail"} <= set(c) and c["status"] in ("PASS", "WARN", "FAIL", "SKIP")
                   for c in checks)
    (home / "auth.token").chmod(0o600)
    assert daemon.terminate() == 0


def test_import_reports_each_key(home, tmp_path):
    env = {**os.environ, "GOCLAW_HOME": str(home)}
    (tmp_path / "keys.env").write_text("GEMINI_API_KEY=g-123\nBRAVE_API_KEY=b-456\n")
    result = goclaw(env, "import", "--path", str(tmp_path / "keys.env"), cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.splitlines()[0] == "imported: GEMINI_API_KEY"
    assert "imported: BRAVE_API_KEY" in result.stdout and "skipped: GEMINI_MODEL (not in keys.env)" in result.stdout
    assert "gemini_api_key: g-123" in (home / "config.yaml").read_text()
    missing = goclaw(env, "import", "--path", str(tmp_path / "absent.env"), cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.startswith("goclaw import: ") and "not found" in missing.stderr
    assert goclaw(env, "import", "--bogus", cwd=tmp_path).returncode == 2


def test_help_lists_every_command():
    usage = goclaw(dict(os.environ), "help").stdout
    for command in ("daemon", "chat", "status", "doctor", "backup", "restore", "import", "help", "--version"):
        assert f"\n  {command} " in usage
