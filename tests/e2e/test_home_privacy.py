"""What the real daemon keeps private: GOCLAW_HOME is 0700 with 0600 files (SQLite's -wal/-shm and the logs
included, loose ones tightened at start), and runtime agents' keys are honoured from `api_key_env` or kept
in secrets.yaml (0600), never in the database, an answer or a log."""

import contextlib
import json
import os
import sqlite3
import stat

from goclaw_actors.file_modes import mode_problems
from tests.brain.fake_server import FakeServer, json_reply
from tests.e2e.test_brain_daemon import completion, task_row
from tests.gateway.acp_client import AcpClient
from tests.helpers import insert_task, wait_until

TOKEN = "privacy-token"
GLOBAL_KEY = "sk-global-key-000000"
ENV_KEY = "sk-from-env-111111"
LITERAL_KEY = "sk-literal-key-222222"
LEGACY_KEY = "sk-legacy-kv-key-333333"
KEY_NAMES = {GLOBAL_KEY: "global", ENV_KEY: "env", LITERAL_KEY: "literal", LEGACY_KEY: "legacy"}


def answer_with_key_name(seen):
    """The provider's reply names the key it was called with (never the key: replies are stored)."""
    key = seen.headers["authorization"].removeprefix("Bearer ")
    return json_reply(completion(f"key {KEY_NAMES.get(key, 'unknown')}"))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@contextlib.contextmanager
def database(db_path):
    """A connection that commits and is closed on exit: an open one would lose its locks when home_bytes
    opens and closes the same files (POSIX advisory locks are per process)."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=5)) as conn, conn:
        yield conn


def home_bytes(home):
    """Every byte of the database files and logs (read with no connection of this process open)."""
    names = ["goclaw.db", "goclaw.db-wal", "goclaw.db-shm", "logs/system.jsonl", "logs/audit.jsonl"]
    return b"".join((home / name).read_bytes() for name in names if (home / name).exists())


def test_home_files_are_private_and_loose_ones_are_tightened_at_start(home, daemons):
    os.chmod(home, 0o755)
    os.chmod(home / "config.yaml", 0o644)
    daemon = daemons(home, env={"GOCLAW_AUTH_TOKEN": TOKEN}).start().wait_healthy()
    with database(daemon.db_path) as conn:
        task_id = insert_task(conn, "hello")
    wait_until(lambda: task_row(daemon.db_path, task_id)["status"] == "SUCCEEDED", timeout=15)
    assert (home / "goclaw.db-wal").exists() and (home / "goclaw.db-shm").exists()
    assert mode_problems(home) == []
    for name in ("config.yaml", "policy.yaml", "goclaw.db", "goclaw.db-wal", "goclaw.db-shm", "logs/system.jsonl",
                 "logs/audit.jsonl", "workspace/HEARTBEAT.md"):
        assert mode(home / name) == 0o600, name
    for name in ("", "logs", "skills", "installed", "workspace", "models"):
        assert mode(home / name) == 0o700, name
    tightened = {line["path"]: (line["mode"], line["now"]) for line in daemon.json_lines()
                 if line["msg"] == "file permissions tightened"}
    assert tightened == {str(home): ("0755", "0700"), str(home / "config.yaml"): ("0644", "0600")}
    assert daemon.terminate() == 0
    assert mode_problems(home) == []


def test_runtime_agents_use_their_own_keys_which_never_reach_the_database(home, daemons):
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\nllm: {provider: openai}\n")
    with FakeServer(handler=answer_with_key_name) as server:
        env = {"GOCLAW_AUTH_TOKEN": TOKEN, "OPENAI_BASE_URL": server.url + "/v1", "OPENAI_API_KEY": GLOBAL_KEY,
               "HELPER_KEY": ENV_KEY}
        daemon = daemons(home, env=env).start().wait_healthy()
        acp = AcpClient(daemon.port, token=TOKEN).hello()
        assert acp.call("agent.create", {"agent_id": "envkeyed", "api_key_env": "HELPER_KEY", "worker_count": 1})
        assert acp.call("agent.create", {"agent_id": "literal", "api_key": LITERAL_KEY, "worker_count": 1})
        assert acp.error("agent.create", {"agent_id": "both", "api_key": LITERAL_KEY, "api_key_env": "HELPER_KEY"}) \
            == (1000, "give api_key or api_key_env, not both")
        assert acp.error("agent.create", {"agent_id": "spaced", "api_key": "sk key"})[0] == 1000
        views = json.dumps([acp.call("agent.list"), acp.call("system.status"),
                            acp.call("agent.status", {"agent_id": "literal"})])
        with database(daemon.db_path) as conn:
            tasks = {agent: insert_task(conn, "which key?", agent_id=agent) for agent in ("envkeyed", "literal")}
        for agent, key in (("envkeyed", "env"), ("literal", "literal")):
            wait_until(lambda: task_row(daemon.db_path, tasks[agent])["status"] == "SUCCEEDED", timeout=15)
            assert json.loads(task_row(daemon.db_path, tasks[agent])["result"])["reply"] == f"key {key}"
        assert LITERAL_KEY not in views
        secrets = home / "secrets.yaml"
        assert mode(secrets) == 0o600 and LITERAL_KEY in secrets.read_text()
        assert LITERAL_KEY.encode() not in home_bytes(home) and ENV_KEY.encode() not in home_bytes(home)

        assert acp.call("agent.remove", {"agent_id": "literal"})["removed"] is True
        assert LITERAL_KEY not in secrets.read_text()
        assert acp.call("agent.create", {"agent_id": "literal", "worker_count": 1})  # re-created without a key
        acp.close()
        with database(daemon.db_path) as conn:
            again = insert_task(conn, "which key now?", agent_id="literal")
        wait_until(lambda: task_row(daemon.db_path, again)["status"] == "SUCCEEDED", timeout=15)
        assert json.loads(task_row(daemon.db_path, again)["result"])["reply"] == "key global"
        assert daemon.terminate() == 0


def test_keys_an_older_version_stored_in_the_database_are_moved_out_at_start(home, daemons):
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\nllm: {provider: openai}\n")
    first = daemons(home, env={"GOCLAW_AUTH_TOKEN": TOKEN}).start().wait_healthy()
    assert first.terminate() == 0
    with database(first.db_path) as conn:  # what agent.create wrote before keys left the database
        conn.execute("INSERT INTO agents (agent_id, display_name, worker_count, status, created_at, updated_at) "
                     "VALUES ('legacy', 'legacy', 1, 'active', '2026-01-01', '2026-01-01')")
        conn.execute("INSERT INTO kv_store (key, value, updated_at) VALUES ('agent_api_key:legacy', ?, '2026-01-01')",
                     (LEGACY_KEY,))
    assert LEGACY_KEY.encode() in home_bytes(home)

    with FakeServer(handler=answer_with_key_name) as server:
        env = {"GOCLAW_AUTH_TOKEN": TOKEN, "OPENAI_BASE_URL": server.url + "/v1", "OPENAI_API_KEY": GLOBAL_KEY}
        daemon = daemons(home, env=env).start().wait_healthy()
        assert any(line["msg"].startswith("agent API keys moved out") for line in daemon.json_lines())
        assert LEGACY_KEY.encode() not in home_bytes(home)
        assert LEGACY_KEY in (home / "secrets.yaml").read_text() and mode(home / "secrets.yaml") == 0o600
        with database(daemon.db_path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM kv_store WHERE key LIKE 'agent_api_key:%'").fetchone() == (0,)
            task_id = insert_task(conn, "which key?", agent_id="legacy")
        wait_until(lambda: task_row(daemon.db_path, task_id)["status"] == "SUCCEEDED", timeout=15)
        assert json.loads(task_row(daemon.db_path, task_id)["result"])["reply"] == "key legacy"
        assert daemon.terminate() == 0
