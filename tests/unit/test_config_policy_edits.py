"""Writing config.yaml and policy.yaml from the daemon: other keys kept, validation first, atomic files;
and cron expressions (5 fields, croniter, next fire time in local time)."""

import stat
from datetime import datetime, timezone

import pytest
import yaml

from goclaw_actors.config.config_writer import set_config_keys
from goclaw_actors.cron_schedule import InvalidCronExpr, next_fire_time, validate_cron_expr
from goclaw_actors.errors import ConfigError, PolicyError
from goclaw_actors.policy.policy_edit import add_domain
from goclaw_actors.policy.policy_file import DEFAULT_POLICY_YAML, parse_policy


def test_set_config_keys_keeps_everything_else(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("worker_count: 3\nllm:\n  gemini_model: g-1\nagents:\n  - agent_id: coder\n    soul: hi\n")
    path.chmod(0o640)
    set_config_keys(path, {"api_keys.brave_api_key": "BSA123", "llm.provider": "anthropic",
                           "llm.anthropic_model": "claude-x"})
    data = yaml.safe_load(path.read_text())
    assert data == {"worker_count": 3, "llm": {"gemini_model": "g-1", "provider": "anthropic",
                                               "anthropic_model": "claude-x"},
                    "agents": [{"agent_id": "coder", "soul": "hi"}], "api_keys": {"brave_api_key": "BSA123"}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it may hold API keys: never readable by others
    assert list(tmp_path.iterdir()) == [path]  # no temp file left


def test_set_config_keys_replaces_a_null_section_and_creates_the_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("llm:\n")
    set_config_keys(path, {"llm.provider": "google"})
    assert yaml.safe_load(path.read_text()) == {"llm": {"provider": "google"}}
    fresh = tmp_path / "new" / "config.yaml"
    set_config_keys(fresh, {"api_keys.x": "y"})
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_set_config_keys_refuses_an_unreadable_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("- a list\n")
    with pytest.raises(ConfigError):
        set_config_keys(path, {"api_keys.x": "y"})
    assert path.read_text() == "- a list\n"


def test_add_domain_appends_once_and_validates(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULT_POLICY_YAML)
    before = parse_policy(DEFAULT_POLICY_YAML)
    entry, policy = add_domain(path, "Example.COM")
    assert entry == "example.com" and "example.com" in policy.domains and policy.version != before.version
    assert parse_policy(path.read_text()) == policy
    assert add_domain(path, "example.com")[1].version == policy.version
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert add_domain(path, "*.Sub.Example.org")[0] == ".sub.example.org"
    assert add_domain(path, ".sub.example.org")[1].domains.count(".sub.example.org") == 1
    assert yaml.safe_load(path.read_text())["allow_domains"].count("example.com") == 1
    assert policy.capabilities == before.capabilities


def test_add_domain_never_builds_on_an_invalid_policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("allow_capabilities: [no.such.capability]\n")
    with pytest.raises(PolicyError):
        add_domain(path, "example.com")
    assert path.read_text() == "allow_capabilities: [no.such.capability]\n"


def test_cron_expressions():
    validate_cron_expr("*/5 * * * *")
    for bad, detail in (("* * *", "expected 5 fields, got 3"), ("* * * * * *", "expected 5 fields, got 6"),
                        ("61 * * * *", "out of range")):
        with pytest.raises(InvalidCronExpr, match=detail):
            validate_cron_expr(bad)
    start = datetime(2030, 1, 1, 10, 7, tzinfo=timezone.utc)
    fire = next_fire_time("*/15 * * * *", start)
    assert fire > start and fire.minute % 15 == 0 and (fire - start).total_seconds() <= 15 * 60
