"""Configuration: precedence env > config.yaml > defaults, validation errors, agents, fingerprint."""

import pytest

from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import ConfigError


def write(home, text):
    (home / "config.yaml").write_text(text, encoding="utf-8")


def test_defaults_when_no_file(tmp_path):
    config = load_config(tmp_path, {})
    assert (config.worker_count, config.task_timeout_seconds, config.bind_addr, config.log_level) == \
        (16, 600, "127.0.0.1:18789", "info")
    assert (config.max_queue_depth, config.drain_timeout_seconds, config.lease_seconds,
            config.engine_tick_seconds) == (100, 5, 30, 10)
    assert [agent.agent_id for agent in config.agents] == ["default", "coder", "researcher", "writer"]
    assert config.delegation_max_hops == 2
    assert config.get("gateway.max_request_size") == 10 * 1024 * 1024


@pytest.mark.parametrize("key,file_value,env_var,env_value,expected", [
    ("worker_count", 3, "GOCLAW_WORKER_COUNT", "7", 7),
    ("task_timeout_seconds", 30, "GOCLAW_TASK_TIMEOUT_SECONDS", "45", 45),
    ("bind_addr", "127.0.0.1:1000", "GOCLAW_BIND_ADDR", "127.0.0.1:2000", "127.0.0.1:2000"),
    ("log_level", "debug", "GOCLAW_LOG_LEVEL", "error", "error"),
    ("drain_timeout_seconds", 2, "GOCLAW_DRAIN_TIMEOUT_SECONDS", "9", 9),
    ("heartbeat_interval_minutes", 5, "GOCLAW_HEARTBEAT_INTERVAL_MINUTES", "6", 6),
])
def test_precedence_env_over_file_over_default(tmp_path, key, file_value, env_var, env_value, expected):
    write(tmp_path, f"{key}: {file_value}\n")
    assert getattr(load_config(tmp_path, {}), key) == file_value
    assert getattr(load_config(tmp_path, {env_var: env_value}), key) == expected
    assert getattr(load_config(tmp_path, {env_var: "  "}), key) == file_value  # blank env is unset


def test_worker_count_zero_or_negative_means_four(tmp_path):
    write(tmp_path, "worker_count: 0\n")
    assert load_config(tmp_path, {}).worker_count == 4
    assert load_config(tmp_path, {"GOCLAW_WORKER_COUNT": "-3"}).worker_count == 4


def test_default_agent_takes_top_level_settings(tmp_path):
    write(tmp_path, "worker_count: 5\nmax_queue_depth: 7\nagent_name: Ada\n")
    default = load_config(tmp_path, {}).agents[0]
    assert (default.agent_id, default.worker_count, default.max_queue_depth, default.display_name) == \
        ("default", 5, 7, "Ada")


def test_unknown_keys_warn_and_are_ignored(tmp_path):
    write(tmp_path, "worker_count: 2\nfrobnicate: true\n")
    config = load_config(tmp_path, {})
    assert config.worker_count == 2
    assert any("frobnicate" in warning for warning in config.warnings)


def test_agent_entries_skip_invalid_and_duplicate_ids(tmp_path):
    write(tmp_path, """
delegation_max_hops: 1
agents:
  - {agent_id: a, worker_count: 2, max_queue_depth: 3}
  - {agent_id: ""}
  - {agent_id: "bad id!"}
  - {agent_id: a}
  - not-a-mapping
  - {agent_id: default, display_name: Main, worker_count: 6}
""")
    config = load_config(tmp_path, {})
    assert [agent.agent_id for agent in config.agents] == ["default", "a"]
    assert config.agents[0].display_name == "Main" and config.agents[0].worker_count == 6
    assert config.agent("a").worker_count == 2 and config.agent("a").max_queue_depth == 3
    assert len(config.warnings) == 4


def test_empty_agents_list_means_only_default(tmp_path):
    write(tmp_path, "agents: []\n")
    assert [agent.agent_id for agent in load_config(tmp_path, {}).agents] == ["default"]


@pytest.mark.parametrize("text,env,fragment", [
    ("worker_count: [1\n", {}, "not valid YAML"),
    ("- a\n- b\n", {}, "mapping at the top level"),
    ("worker_count: many\n", {}, "worker_count"),
    ("", {"GOCLAW_WORKER_COUNT": "lots"}, "worker_count"),
    ("bind_addr: nowhere\n", {}, "bind_addr"),
    ("log_level: loud\n", {}, "log_level"),
    ("task_timeout_seconds: -1\n", {}, "task_timeout_seconds"),
    ("lease_seconds: 5\nengine_tick_seconds: 10\n", {}, "lease_seconds"),
    ("gateway: 5\n", {}, "gateway"),
    ("gateway: {max_request_size: 0}\n", {}, "max_request_size"),
    ("agents: {a: 1}\n", {}, "agents must be a list"),
    ("agents: [{agent_id: a, worker_count: 0}]\n", {}, "worker_count"),
    ("worker_count: 2\ndelegation_max_hops: 2\n", {}, "delegation_max_hops"),
    ("worker_count: 1\n", {}, r"the default delegation_max_hops \(1\)"),
    ("agents: [{agent_id: a, worker_count: 2}]\n", {}, r"the default delegation_max_hops \(2\).* agent 'a'"),
])
def test_invalid_values_raise_config_error_naming_the_key(tmp_path, text, env, fragment):
    write(tmp_path, text)
    with pytest.raises(ConfigError, match=fragment):
        load_config(tmp_path, env)


def test_delegation_hops_default_follows_worker_count(tmp_path):
    write(tmp_path, "worker_count: 2\nagents: []\n")
    assert load_config(tmp_path, {}).delegation_max_hops == 1


def test_config_hash_changes_with_fingerprint_fields_only(tmp_path):
    base = load_config(tmp_path, {}).config_hash
    assert base.startswith("cfg-") and len(base) == 20
    assert load_config(tmp_path, {"GOCLAW_WORKER_COUNT": "3"}).config_hash != base
    assert load_config(tmp_path, {"GOCLAW_DRAIN_TIMEOUT_SECONDS": "9"}).config_hash == base
