"""GOCLAW_HOME bootstrap, .env loading, policy.yaml and the JSON system log."""

import json
import os
import stat

import pytest

from goclaw_actors.config.dotenv_loader import load_dotenv_file
from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import PolicyError, StartupError
from goclaw_actors.home import bootstrap_home, read_auth_token, resolve_home
from goclaw_actors.logs.audit_log import AuditLog
from goclaw_actors.logs.system_log import configure_logging, get_logger, write_startup_failure
from goclaw_actors.policy.policy_file import DEFAULT_POLICY_YAML, ensure_policy_file, load_policy, parse_policy
from goclaw_actors.redaction import redact_text


@pytest.fixture(autouse=True)
def quiet_logging():
    """Leave the goclaw logger without handlers after each test."""
    yield
    configure_logging(None, "info", to_stdout=False)


def test_first_run_creates_layout_and_token(tmp_path):
    home = tmp_path / "home"
    token = bootstrap_home(home, {})
    for name in ("skills", "installed", "workspace", "models"):
        assert (home / name).is_dir()
    assert (home / "workspace" / "HEARTBEAT.md").is_file()
    assert (home / "auth.token").read_text() == token + "\n"
    assert stat.S_IMODE(os.stat(home / "auth.token").st_mode) == 0o600
    assert bootstrap_home(home, {}) == token  # stable across restarts
    config = load_config(home, {})
    assert [agent.agent_id for agent in config.agents] == ["default", "coder", "researcher", "writer"]
    assert config.get("llm.provider") == ""


def test_token_from_environment_writes_no_file(tmp_path):
    assert bootstrap_home(tmp_path, {"GOCLAW_AUTH_TOKEN": "from-env"}) == "from-env"
    assert not (tmp_path / "auth.token").exists() and read_auth_token(tmp_path) == ""


def test_user_config_is_never_overwritten(tmp_path):
    (tmp_path / "config.yaml").write_text("worker_count: 3\n")
    bootstrap_home(tmp_path, {})
    assert (tmp_path / "config.yaml").read_text() == "worker_count: 3\n"


@pytest.mark.parametrize("blocker,code", [
    ("skills", "E_SKILL_DIR_CREATE"),
    ("installed", "E_SKILL_DIR_CREATE"),
    ("workspace", "E_WORKSPACE_CREATE"),
    ("auth.token", "E_AUTH_TOKEN_WRITE"),
])
def test_bootstrap_failures_have_reason_codes(tmp_path, blocker, code):
    if blocker == "auth.token":
        (tmp_path / blocker).mkdir()  # a directory where the token file belongs
    else:
        (tmp_path / blocker).write_text("a file where a directory belongs")
    with pytest.raises(StartupError) as info:
        bootstrap_home(tmp_path, {})
    assert info.value.reason_code == code


def test_home_not_writable_is_config_write(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StartupError) as info:
        bootstrap_home(tmp_path / "file" / "home", {})
    assert info.value.reason_code == "E_CONFIG_WRITE"


def test_resolve_home(tmp_path):
    assert resolve_home({"GOCLAW_HOME": str(tmp_path)}) == tmp_path
    assert resolve_home({}).name == ".goclaw"


def test_dotenv_never_overrides_environment(tmp_path):
    (tmp_path / ".env").write_text("GOCLAW_WORKER_COUNT=3\nGOCLAW_LOG_LEVEL=debug\n")
    environ = {"GOCLAW_LOG_LEVEL": "error"}
    assert load_dotenv_file(tmp_path, environ) == ["GOCLAW_WORKER_COUNT"]
    assert environ == {"GOCLAW_LOG_LEVEL": "error", "GOCLAW_WORKER_COUNT": "3"}


def test_default_policy_and_version(tmp_path):
    path = tmp_path / "policy.yaml"
    assert ensure_policy_file(path) is True and ensure_policy_file(path) is False
    policy = load_policy(path)
    assert policy.capabilities == {"acp.read", "acp.mutate", "tools.web_search", "tools.read_url"}
    assert "wikipedia.org" in policy.domains and policy.allow_loopback is False
    assert policy.version.startswith("policy-") and len(policy.version) == 23
    reordered = parse_policy("allow_capabilities: [tools.read_url, tools.web_search, acp.mutate, acp.read]\n"
                             "allow_domains: " + json.dumps(sorted(policy.domains, reverse=True)) + "\n")
    assert reordered.version == policy.version  # order does not matter, only meaning
    assert parse_policy(DEFAULT_POLICY_YAML + "allow_loopback: true\n").version != policy.version


@pytest.mark.parametrize("text,fragment", [
    ("allow_capabilities: [tools.teleport]\n", "unknown capability"),
    ("allow_capabilities: tools.exec\n", "allow_capabilities"),
    ("allow_loopback: maybe\n", "allow_loopback"),
    ("mcp: {default: sometimes}\n", "mcp.default"),
    ("[1, 2\n", "YAML"),
    ("- a\n", "mapping"),
])
def test_invalid_policy_is_rejected(text, fragment):
    with pytest.raises(PolicyError, match=fragment):
        parse_policy(text)


def test_policy_bootstrap_failure(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StartupError) as info:
        ensure_policy_file(tmp_path / "file" / "policy.yaml")
    assert info.value.reason_code == "E_POLICY_BOOTSTRAP"


def read_lines(home):
    return [json.loads(line) for line in (home / "logs" / "system.jsonl").read_text().splitlines()]


def test_system_log_shape_and_redaction(tmp_path):
    configure_logging(tmp_path, "info", to_stdout=False)
    log = get_logger("queue")
    log.info("claimed", task_id="t1", api_key="sk-should-not-appear", trace_id="tr-1")
    log.debug("hidden at info level")
    log.warn("header", value="Authorization: Bearer abcdefghijklmnopqrstuvwxyz")
    lines = read_lines(tmp_path)
    assert len(lines) == 2
    first = lines[0]
    assert set(first) >= {"timestamp", "level", "msg", "component", "trace_id"}
    assert first["timestamp"].endswith("Z") and first["level"] == "INFO" and first["component"] == "queue"
    assert first["trace_id"] == "tr-1" and first["task_id"] == "t1" and first["api_key"] == "[REDACTED]"
    assert lines[1]["level"] == "WARN" and lines[1]["value"] == "[REDACTED]"


def test_startup_failure_line(tmp_path):
    configure_logging(tmp_path, "info", to_stdout=False)
    write_startup_failure("E_STORE_OPEN", "database is newer", tmp_path)
    last = read_lines(tmp_path)[-1]
    assert (last["msg"], last["reason_code"], last["error"], last["level"]) == \
        ("startup failure", "E_STORE_OPEN", "database is newer", "ERROR")


def test_logger_init_failure(tmp_path):
    (tmp_path / "logs").write_text("not a directory")
    with pytest.raises(StartupError) as info:
        configure_logging(tmp_path, "info", to_stdout=False)
    assert info.value.reason_code == "E_LOGGER_INIT"


def test_audit_log(tmp_path):
    audit = AuditLog(tmp_path / "logs" / "audit.jsonl")
    audit.write("deny", "tools.exec", "missing_capability", "policy-0", subject="coder", trace_id="t1")
    audit.close()
    entry = json.loads((tmp_path / "logs" / "audit.jsonl").read_text())
    assert entry["decision"] == "deny" and entry["trace_id"] == "t1" and entry["subject"] == "coder"
    (tmp_path / "blocked").write_text("x")
    with pytest.raises(StartupError) as info:
        AuditLog(tmp_path / "blocked" / "audit.jsonl")
    assert info.value.reason_code == "E_AUDIT_INIT"


@pytest.mark.parametrize("text,expected", [
    ('api_key="abcdefghijklmnopqrstu"', 'api_key="[REDACTED]"'),
    ("Bearer abcdefghijklmnopqrstu", "Bearer [REDACTED]"),
    ("key AIza" + "x" * 35, "key [REDACTED]"),
    ("token=123e4567-e89b-12d3-a456-426614174000", "token=[REDACTED]"),
    ("short api_key=abc", "short api_key=abc"),
    ('{"api_key": "sk-abcdefghijklmnopqrstu"}', '{"api_key": "[REDACTED]"}'),
    ('"{\\"auth_token\\":\\"abcdefghijklmnopqrstu\\"}"', '"{\\"auth_token\\":\\"[REDACTED]\\"}"'),
])
def test_redaction(text, expected):
    assert redact_text(text) == expected
