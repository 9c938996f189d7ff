"""GOCLAW_HOME is private: directories 0700, files 0600 (SQLite's -wal/-shm and the logs included);
`mode_problems` lists what is not, `tighten_modes` fixes it."""

import os
import stat

import pytest

from goclaw_actors.file_modes import ensure_private_file, mode_problems, tighten_modes
from goclaw_actors.home import bootstrap_home
from goclaw_actors.logs.audit_log import AuditLog
from goclaw_actors.logs.system_log import configure_logging
from goclaw_actors.policy.policy_file import ensure_policy_file
from goclaw_actors.store.database import open_database


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def loose_umask():
    """Create files as a default login shell would (umask 022), so the modes come from the code."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)
    configure_logging(None, "info", to_stdout=False)


def test_a_fresh_home_is_private(tmp_path):
    home = tmp_path / "home"
    bootstrap_home(home, {})
    ensure_policy_file(home / "policy.yaml")
    configure_logging(home, "info", to_stdout=False)
    AuditLog(home / "logs" / "audit.jsonl").close()
    db = open_database(home / "goclaw.db")
    db.connection().execute("INSERT INTO kv_store (key, value, updated_at) VALUES ('k', 'v', 'now')")
    assert (home / "goclaw.db-wal").exists() and (home / "goclaw.db-shm").exists()
    assert mode_problems(home) == []
    for name in ("config.yaml", "policy.yaml", "auth.token", "goclaw.db", "goclaw.db-wal", "goclaw.db-shm",
                 "logs/system.jsonl", "logs/audit.jsonl", "workspace/HEARTBEAT.md"):
        assert mode(home / name) == 0o600, name
    for name in ("", "logs", "skills", "installed", "workspace", "models"):
        assert mode(home / name) == 0o700, name
    db.close()


def test_loose_modes_are_reported_then_tightened(tmp_path):
    home = tmp_path / "home"
    bootstrap_home(home, {})
    (home / "logs").mkdir()
    (home / "logs" / "system.jsonl").write_text("")
    for path, loose in ((home, 0o755), (home / "config.yaml", 0o644), (home / "auth.token", 0o640),
                        (home / "logs", 0o777), (home / "logs" / "system.jsonl", 0o666), (home / "models", 0o750)):
        os.chmod(path, loose)
    (home / "SOUL.md").write_text("soul")
    os.chmod(home / "SOUL.md", 0o400)  # owner-only already: not a problem
    problems = mode_problems(home)
    assert {(p.path.name, p.mode, p.expected) for p in problems} == {
        ("home", 0o755, 0o700), ("config.yaml", 0o644, 0o600), ("auth.token", 0o640, 0o600),
        ("logs", 0o777, 0o700), ("system.jsonl", 0o666, 0o600), ("models", 0o750, 0o700)}
    config = next(problem for problem in problems if problem.path.name == "config.yaml")
    assert config.describe(home) == "config.yaml is 0644 (group/other can access it); expected 0600"
    fixed, failed = tighten_modes(home)
    assert len(fixed) == 6 and failed == []
    assert mode_problems(home) == [] and mode(home / "logs" / "system.jsonl") == 0o600
    assert mode(home / "SOUL.md") == 0o400  # owner bits are left alone


def test_a_symlinked_file_is_not_followed(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    outside = tmp_path / "shared.yaml"
    outside.write_text("x")
    os.chmod(outside, 0o644)
    (home / "config.yaml").symlink_to(outside)
    assert mode_problems(home) == []
    tighten_modes(home)
    assert mode(outside) == 0o644


def test_ensure_private_file_creates_or_tightens(tmp_path):
    path = tmp_path / "f"
    ensure_private_file(path)
    assert mode(path) == 0o600 and path.read_bytes() == b""
    os.chmod(path, 0o664)
    path.write_text("kept")
    ensure_private_file(path)
    assert mode(path) == 0o600 and path.read_text() == "kept"
