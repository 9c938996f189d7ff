"""Every numeric setting has a range, checked the same way in config.yaml, the environment, agent entries
and stored agent rows: out of range, NaN, infinite, fractional or non-numeric values name the key."""

import math

import pytest
import yaml

from goclaw_actors.config.agent_entry import agent_from_entry, agent_from_row
from goclaw_actors.config.bounds import AGENT_BOUNDS, SETTING_BOUNDS, Bound, number
from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import ConfigError


def write(home, data):
    (home / "config.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


def nested(dotted, value):
    """{"a": {"b": value}} for "a.b"; `keys[]` becomes a one-item list."""
    head, _, rest = dotted.partition(".")
    if head.endswith("[]"):
        return {head[:-2]: [nested(rest, value) if rest else value]}
    return {head: nested(rest, value) if rest else value}


@pytest.mark.parametrize("value,expected", [(4, 4), ("4", 4), (" 12 ", 12), (4.0, 4), ("1e1", 10)])
def test_numbers_and_numeric_text_are_accepted(value, expected):
    assert number(value, "n", Bound(1, 64)) == expected


@pytest.mark.parametrize("value,message", [
    (0, "n must be at least 1"), (65, "n must be at most 64"), (10**100, "n must be at most 64"),
    (-(10**100), "n must be at least 1"), (1.5, "n must be a whole number"), (math.nan, "finite"),
    (math.inf, "finite"), ("nan", "finite"), ("1e999", "finite"), (True, "whole number"), ("x", "whole number"),
    ("9" * 5000, "whole number"), ([4], "whole number"), ({"a": 1}, "whole number"), (None, "whole number"),
])
def test_bad_numbers_are_refused_naming_the_key(value, message):
    with pytest.raises(ConfigError, match=message):
        number(value, "n", Bound(1, 64))


def test_fractions_allowed_where_seconds_may_be_fractional():
    assert number("0.25", "s", Bound(0, 10, whole=False)) == 0.25
    with pytest.raises(ConfigError, match="at most 10"):
        number(10.5, "s", Bound(0, 10, whole=False))


@pytest.mark.parametrize("dotted", sorted(SETTING_BOUNDS))
def test_every_setting_is_bounded_at_load(tmp_path, dotted):
    bound = SETTING_BOUNDS[dotted]
    extra = {"gateway": {"auth": {"keys": [{"key": "k", "rate_limit": bound.maximum * 10 + 1}]}}} \
        if dotted == "gateway.auth.keys[].rate_limit" else nested(dotted, bound.maximum * 10 + 1)
    write(tmp_path, {"agents": [], **extra})
    with pytest.raises(ConfigError, match=r"at most") as raised:
        load_config(tmp_path, {})
    assert dotted.replace("[]", "[0]") in str(raised.value)
    for bad in (math.nan, math.inf, "lots", [1]):
        write(tmp_path, {"agents": [], **nested(dotted, bad)})
        with pytest.raises(ConfigError, match=dotted.split("[]")[0].split(".")[0]):
            load_config(tmp_path, {})


def test_worker_count_keeps_zero_or_less_means_four_but_is_capped(tmp_path):
    write(tmp_path, {"worker_count": -(10**30), "agents": []})
    assert load_config(tmp_path, {}).worker_count == 4
    write(tmp_path, {"worker_count": 1_000_000, "agents": []})
    with pytest.raises(ConfigError, match="worker_count must be at most 64"):
        load_config(tmp_path, {})


@pytest.mark.parametrize("variable,value,fragment", [
    ("GOCLAW_WORKER_COUNT", "1000000", "worker_count (from GOCLAW_WORKER_COUNT) must be at most 64"),
    ("GOCLAW_TASK_TIMEOUT_SECONDS", "nan", "task_timeout_seconds (from GOCLAW_TASK_TIMEOUT_SECONDS)"),
    ("GOCLAW_DRAIN_TIMEOUT_SECONDS", "1e400", "drain_timeout_seconds (from GOCLAW_DRAIN_TIMEOUT_SECONDS)"),
    ("GOCLAW_HEARTBEAT_INTERVAL_MINUTES", "-5", "heartbeat_interval_minutes (from GOCLAW_HEARTBEAT"),
])
def test_environment_values_are_bounded_and_named(tmp_path, variable, value, fragment):
    write(tmp_path, {"agents": []})
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path, {variable: value})
    assert fragment in str(raised.value)


def test_numbers_are_normalised_for_their_readers(tmp_path):
    write(tmp_path, {"agents": [], "gateway": {"replay_max_events": "50", "rate_limit": {"burst_size": 3.0}},
                     "lease_seconds": "40"})
    config = load_config(tmp_path, {})
    assert config.get("gateway.replay_max_events") == 50 and config.get("gateway.rate_limit.burst_size") == 3
    assert config.lease_seconds == 40


@pytest.mark.parametrize("field", sorted(AGENT_BOUNDS))
def test_agent_entry_numbers_are_bounded_everywhere(tmp_path, field):
    too_big = AGENT_BOUNDS[field].maximum + 1
    with pytest.raises(ConfigError, match=f"{field} must be at most"):
        agent_from_entry({"agent_id": "a", field: too_big})
    write(tmp_path, {"agents": [{"agent_id": "a", field: too_big}]})
    with pytest.raises(ConfigError, match=rf"agents\[0\] \(a\)\.{field} must be at most"):
        load_config(tmp_path, {})
    with pytest.raises(ConfigError, match=f"agents row a.{field} must be at most"):
        agent_from_row({"agent_id": "a", field: too_big})


@pytest.mark.parametrize("entry,fragment", [
    ({"loop": {"max_steps": 10**9}}, "loop.max_steps must be at most"),
    ({"loop": {"max_tokens": -1}}, "loop.max_tokens must be at least 0"),
    ({"loop": {"max_duration": "nan"}}, "loop.max_duration"),
    ({"loop": {"max_duration": 10**400}}, "loop.max_duration"),
    ({"loop": {"max_duration": "99999h"}}, "loop.max_duration must be at most"),
    ({"loop": {"enabled": "yes"}}, "loop.enabled"),
    ({"loop": [1]}, "loop must be a mapping"),
    ({"structured_output": {"max_retries": 1000}}, "structured_output.max_retries must be at most"),
    ({"structured_output": {"strict_mode": "no"}}, "structured_output.strict_mode"),
    ({"skills_filter": ["web"] * 300}, "skills_filter must have at most"),
    ({"skills_filter": [3]}, r"skills_filter\[0\] must be a string"),
    ({"display_name": "x" * 500}, "display_name must be at most"),
    ({"soul": "line\nnext\tok\x07bell"}, "soul must not contain control characters"),
    ({"model": "../../etc/passwd"}, "model must be a model name"),
    ({"api_key_env": "NOT-A-VAR"}, "api_key_env must be the name of an environment variable"),
    ({"provider": ["google"]}, "provider must be a string"),
])
def test_agent_entry_fields_are_checked(entry, fragment):
    with pytest.raises(ConfigError, match=fragment):
        agent_from_entry({"agent_id": "a", **entry})


def test_a_valid_entry_and_row_round_trip():
    agent = agent_from_entry({"agent_id": "helper", "display_name": "Helper", "provider": "Gemini",
                              "model": "gemini-2.5-flash", "api_key_env": "HELPER_KEY", "worker_count": "2",
                              "task_timeout_seconds": 30, "max_queue_depth": 5, "skills_filter": ["web"],
                              "soul": "You help.\nAlways.", "loop": {"enabled": True, "max_duration": "30m"}})
    assert (agent.provider, agent.worker_count, agent.api_key_env, agent.skills_filter) == (
        "google", 2, "HELPER_KEY", ["web"])
    assert agent.extra == {"loop": {"enabled": True, "max_duration": "30m"}}
    again = agent_from_row({"agent_id": "helper", **agent.to_row()})
    assert (again.display_name, again.model, again.worker_count, again.skills_filter, again.api_key_env) == (
        "Helper", "gemini-2.5-flash", 2, ["web"], "HELPER_KEY")
    with pytest.raises(ConfigError, match="skills_filter is not a JSON list"):
        agent_from_row({"agent_id": "x", "skills_filter": "{not json"})


def test_the_readme_states_every_range():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    listed = {**{key: bound for key, bound in SETTING_BOUNDS.items() if key != "worker_count"},
              **{f"agents[].{key}": bound for key, bound in AGENT_BOUNDS.items()}}
    for key, bound in listed.items():
        assert f"`{key}` {bound.describe()}" in readme, key
    assert "`worker_count` | ≤ 64 (≤ 0 means 4)" in readme
