"""The daemon's home on a small tmpfs that fills up, or is read-only when the daemon starts: requests get a clear
error in the contract's format, the daemon keeps running (or fails start-up with a logged reason), nothing
acknowledged is lost, and work goes on once the space or the write access is back. (Needs permission to mount a
tmpfs; skipped otherwise.)"""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from tests.gateway.acp_client import AcpClient
from tests.helpers import ROOT, wait_until

sys.path.insert(0, str(ROOT / "scripts"))
from chaos_checks import TERMINAL, connect, illegal, tasks  # noqa: E402

TOKEN = "storage-token-6a2f90"
SLOW = "800"  # ms each task runs, so that some are in flight when the disk fills


@pytest.fixture
def small_fs(tmp_path):
    """A 32 MiB tmpfs mounted at tmp_path/fs; skipped when mounting is not permitted."""
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def storage_home(mount: Path) -> tuple[Path, dict[str, str]]:
    """The mount itself is GOCLAW_HOME (the daemon's captured output stays outside it)."""
    home = mount
    config = {"agents": [], "worker_count": 2, "lease_seconds": 2, "engine_tick_seconds": 0.5}
    (home / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return home, {"GOCLAW_AUTH_TOKEN": TOKEN, "GOCLAW_DEBUG_TASK_DELAY_MS": SLOW}


def acp(daemon) -> AcpClient:
    return AcpClient(daemon.port, token=TOKEN, timeout=30).hello()


def chat(client: AcpClient, content: str) -> dict:
    """The whole answer to an `agent.chat` (result or error)."""
    return client.request("agent.chat", {"session_id": str(uuid.uuid4()), "content": content})


def v1_chat(daemon, content: str) -> requests.Response:
    return requests.post(daemon.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {TOKEN}"},
                         json={"model": "agent:default", "messages": [{"role": "user", "content": content}]},
                         timeout=30)


def fill(mount: Path) -> Path:
    """Write a file until the file system is full; returns it."""
    filler = mount / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * (1 << 20))
                out.flush()
        except OSError:
            pass
    return filler


def statuses(db_path: Path) -> dict[str, str]:
    with connect(db_path) as conn:
        return {task_id: row["status"] for task_id, row in tasks(conn).items()}


def all_done_and_legal(daemon, acked: list[str], timeout: float = 30) -> None:
    """Every acknowledged task ends SUCCEEDED and every event chain is legal."""
    wait_until(lambda: all(statuses(daemon.db_path).get(task_id) == "SUCCEEDED" for task_id in acked),
               timeout=timeout, what="every acknowledged task SUCCEEDED")
    wait_until(lambda: set(statuses(daemon.db_path).values()) <= TERMINAL, timeout=timeout, what="nothing open")
    with connect(daemon.db_path) as conn:
        assert illegal(conn, tasks(conn)) == []


def test_disk_full_refuses_new_work_clearly_and_loses_nothing(small_fs, daemons):
    home, env = storage_home(small_fs)
    daemon = daemons(home, env=env).start().wait_healthy()
    client = acp(daemon)
    acked = [chat(client, f"before {i}")["result"]["task_id"] for i in range(4)]
    wait_until(lambda: list(statuses(daemon.db_path).values()).count("RUNNING") == 2, timeout=10,
               what="two tasks in flight")
    filler = fill(small_fs)

    refused = chat(client, "while full")
    assert refused["error"] == {"code": 4000, "message": "store write failed: database or disk is full"}
    answer = v1_chat(daemon, "while full")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json() == {"error": {
        "message": "Failed to enqueue task: store write failed: database or disk is full",
        "type": "server_error", "param": None, "code": "storage_unavailable"}}
    wait_until(lambda: daemon.healthy(), timeout=5, what="healthz while the disk is full")
    assert daemon.proc.poll() is None

    filler.unlink()
    acked.append(chat(client, "after")["result"]["task_id"])
    assert v1_chat(daemon, "after").status_code == 200
    all_done_and_legal(daemon, acked)
    assert daemon.terminate() == 0


def test_a_read_only_database_fails_start_up_with_a_logged_reason_then_recovers(small_fs, daemons):
    """The file system turns read-only while the daemon is down (a crash): start-up fails at once with a
    `startup failure` line and exit 1, no hang; once it is writable again, every acknowledged task ends."""
    home, env = storage_home(small_fs)
    first = daemons(home, env=env).start().wait_healthy()
    client = acp(first)
    acked = [chat(client, f"before {i}")["result"]["task_id"] for i in range(2)]
    wait_until(lambda: "RUNNING" in statuses(first.db_path).values(), timeout=10, what="a task in flight")
    first.kill9()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        second = daemons(home, env=env).start()
        assert second.wait_exit(timeout=30) == 1
        failure = [line for line in second.json_lines() if line.get("msg") == "startup failure"]
        assert failure and failure[0]["reason_code"].startswith("E_") and failure[0]["error"], second.output()
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
    third = daemons(home, env=env).start().wait_healthy()
    all_done_and_legal(third, acked)
    assert third.terminate() == 0
