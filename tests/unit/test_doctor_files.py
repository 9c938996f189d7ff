"""`goclaw doctor` checks of GOCLAW_HOME's files: Embedded Model, Database, Permissions, each outcome."""

import hashlib
import json
import sqlite3

import pytest

from goclaw_actors.brain.embedded.model_files import PartedModel, ensure_joined
from goclaw_actors.config.loader import load_config
from goclaw_actors.ops.doctor_checks import FAIL, PASS, SKIP, WARN
from goclaw_actors.ops.doctor_files import database_check, embedded_model_check, permissions_check
from goclaw_actors.store.database import open_database
from goclaw_actors.store.migrations import LATEST_CHECKSUM, LATEST_VERSION
from tests.brain.test_embedded_model_files import PART_BYTES, install_fake_parts


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    (path / "models").mkdir(parents=True, mode=0o700)
    path.chmod(0o700)
    return path


@pytest.fixture
def site(tmp_path):
    path = tmp_path / "site"
    path.mkdir()
    return path


def config_of(home, text="agents: []\n"):
    (home / "config.yaml").write_text(text)
    return load_config(home, {})


def fake_model(site, contents=PART_BYTES):
    dists = install_fake_parts(site, contents)
    whole = b"".join(contents)
    return PartedModel("fake.gguf", hashlib.sha256(whole).hexdigest(), len(whole), dists)


def check_model(home, model, site, needed=True, config_text="agents: []\n", progress=None):
    return embedded_model_check(config_of(home, config_text), home, needed, model, [str(site)], progress)


def test_parts_installed_and_a_verified_join_pass(home, site):
    model = fake_model(site)
    check = check_model(home, model, site)
    assert check.status == PASS and "3/3 parts installed" in check.detail and "on first use" in check.detail
    ensure_joined(model, home / "models", [str(site)], progress=lambda done, total: None)
    seen = []
    check = check_model(home, model, site, progress=lambda done, total: seen.append((done, total)))
    assert check.status == PASS and "sha256 ok" in check.detail and seen[-1] == (model.size, model.size)


def test_a_joined_file_of_the_wrong_size_or_hash_fails(home, site):
    model = fake_model(site)
    joined = home / "models" / "fake.gguf"
    joined.write_bytes(b"short")
    check = check_model(home, model, site)
    assert check.status == FAIL and "expected" in check.detail and f"delete {joined}" in check.fix
    joined.write_bytes(b"x" * model.size)
    check = check_model(home, model, site)
    assert check.status == FAIL and "does not match" in check.detail and f"delete {joined}" in check.fix


def test_parts_rejected_by_an_earlier_join_fail(home, site):
    dists = install_fake_parts(site, PART_BYTES)
    model = PartedModel("fake.gguf", "0" * 64, len(b"".join(PART_BYTES)), dists)
    with pytest.raises(Exception):
        ensure_joined(model, home / "models", [str(site)], progress=lambda done, total: None)
    check = check_model(home, model, site)
    assert check.status == FAIL and "failed the sha256 check" in check.detail and "reinstall" in check.fix


def test_missing_parts_warn_when_needed_and_are_skipped_otherwise(home, site):
    model = fake_model(site)
    missing = PartedModel(model.filename, model.sha256, model.size, model.part_dists + ("fake-part-absent",))
    check = check_model(home, missing, site)
    assert check.status == WARN and "3/4 parts installed" in check.detail and "scripts/run" in check.fix
    assert check_model(home, missing, site, needed=False).status == SKIP


def test_smollm2_and_custom_paths(home, site, tmp_path):
    model = fake_model(site)
    assert check_model(home, model, site, config_text="llm: {embedded_model: smollm2}\n").status == PASS
    check = check_model(home, model, site, config_text="llm: {embedded_model: absent.gguf}\n")
    assert check.status == FAIL and str(home / "models" / "absent.gguf") in check.detail and check.fix
    (home / "models").mkdir(exist_ok=True)
    (home / "models" / "mine.gguf").write_bytes(b"GGUF")
    assert check_model(home, model, site, config_text="llm: {embedded_model: mine.gguf}\n").status == PASS


def test_database_missing_sound_behind_newer_mismatched_and_corrupt(home):
    check = database_check(home)
    assert check.status == WARN and "no database" in check.detail and check.fix
    open_database(home / "goclaw.db").close()
    check = database_check(home)
    assert check.status == PASS and f"integrity ok; schema version {LATEST_VERSION}" in check.detail
    with sqlite3.connect(home / "goclaw.db") as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version = ?", (LATEST_VERSION,))
    check = database_check(home)
    assert check.status == WARN and f"schema version {LATEST_VERSION - 1}" in check.detail and "restart" in check.fix
    with sqlite3.connect(home / "goclaw.db") as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (?, 'gc-tampered', '2026-01-01 00:00:00')", (LATEST_VERSION,))
    check = database_check(home)
    assert check.status == FAIL and "checksum mismatch" in check.detail and "goclaw restore" in check.fix
    with sqlite3.connect(home / "goclaw.db") as conn:
        conn.execute("UPDATE schema_migrations SET checksum = ? WHERE version = ?", (LATEST_CHECKSUM, LATEST_VERSION))
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'gc-v99-future', '2026-01-01 00:00:00')")
    check = database_check(home)
    assert check.status == FAIL and f"newer than supported {LATEST_VERSION}" in check.detail and check.fix == "upgrade goclaw"
    (home / "goclaw.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    check = database_check(home)
    assert check.status == FAIL and check.fix.startswith("stop the daemon")


def test_a_sound_database_check_leaves_no_side_files(home):
    open_database(home / "goclaw.db").close()
    assert database_check(home).status == PASS
    assert sorted(p.name for p in home.iterdir() if p.name.startswith("goclaw.db")) == ["goclaw.db"]


def private(path, text=""):
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_permissions_pass_warn_and_fail(home):
    check = permissions_check(home, {})
    assert check.status == WARN and "no " in check.detail and "auth.token" in check.fix
    assert permissions_check(home, {"GOCLAW_AUTH_TOKEN": "t"}).status == PASS
    token = private(home / "auth.token", "t\n")
    private(home / "config.yaml", "agents: []\n")
    (home / "logs").mkdir(mode=0o700)
    log = private(home / "logs" / "system.jsonl")
    assert permissions_check(home, {}).status == PASS
    home.chmod(0o755)
    check = permissions_check(home, {})
    assert check.status == WARN and f"{home} is 0755 (group/other can access it); expected 0700" in check.detail
    assert f"chmod 700 {home}" in check.fix
    home.chmod(0o700)
    log.chmod(0o644)
    check = permissions_check(home, {})
    assert check.status == WARN and f"chmod 600 {log}" in check.fix
    token.chmod(0o644)
    check = permissions_check(home, {})
    assert check.status == FAIL and f"{token} is 0644 (group/other can access it); expected 0600" in check.detail
    assert check.fix == f"chmod 600 {token} && chmod 600 {log}"
    assert json.loads(json.dumps(check.as_json()))["status"] == FAIL
