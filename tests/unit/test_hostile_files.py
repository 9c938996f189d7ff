"""Hostile config.yaml and policy.yaml files: every code path of load_config and load_policy ends in a
ConfigError / PolicyError naming the field (E_CONFIG_LOAD / E_POLICY_LOAD at start), never another
exception. Hand-picked files plus a bounded hypothesis run over generated YAML documents."""

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import ConfigError, PolicyError
from goclaw_actors.policy.policy_file import DEFAULT_POLICY_YAML, load_policy

CONFIG_CASES = [
    (b"worker_count: 4\nagent_name: \xff\xfe\n", "cannot read"),
    (b'llm:\n  gemini_model: "\\ud800"\n', "llm.gemini_model is not valid Unicode text"),
    (b'agents:\n  - agent_id: a\n    soul: "x\\udc80"\n', r"agents\[0\]\.soul is not valid Unicode text"),
    (b'api_keys:\n  "\\ud800": v\n', "api_keys.'\\\\ud800' is not valid Unicode text"),
    (b"worker_count: .nan\n", "worker_count must be a finite number"),
    (b"lease_seconds: .inf\n", "lease_seconds must be a finite number"),
    (b"task_timeout_seconds: 1" + b"0" * 400 + b"\n", "task_timeout_seconds must be at most"),
    (b"max_queue_depth: !!binary aGk=\n", "max_queue_depth must be a whole number"),
    (b"heartbeat_interval_minutes: 2001-01-01\n", "heartbeat_interval_minutes must be a whole number"),
    (b"1: one\n", "top-level key 1 is not a string"),
    (b"? [a, b]\n: 1\n", "not valid YAML"),
    (b"[" * 1000 + b"]" * 1000, "nested too deeply|not valid YAML"),
    (b"gateway:\n", None),  # an empty section is the default
    (b"gateway: [1]\n", "gateway must be a mapping"),
    (b"gateway: {auth: {keys: [{key: k, rate_limit: 1e30}]}}\n", r"gateway.auth.keys\[0\].rate_limit"),
    (b"context_limits: {m: -1}\n", "context_limits.m must be at least 1"),
    (b"allow_origins: [1]\n", r"allow_origins\[0\] must be a string"),
    (b"bind_addr: [1]\n", "bind_addr must be a string"),
    (b"log_level: {a: 1}\n", "log_level"),
    (b"agent_name: \"a\\x00b\"\n", "agent_name must not contain control characters"),
    (b"llm: {embedded_model: /etc/passwd}\n", "llm.embedded_model must be"),
    (b"llm: {provider: [x]}\n", "llm.provider must be a string"),
    (b"agents: [{agent_id: a, worker_count: 1000000}]\n", r"agents\[0\] \(a\)\.worker_count must be at most 64"),
    (b"agents: [{agent_id: a, model: \"m\\x1b[31m\"}]\n", r"agents\[0\] \(a\)\.model"),
    (b"a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b]\n"
     b"d: [*c, *c, *c, *c, *c, *c, *c, *c]\n", None),  # aliases: unknown keys, walked once each
]


@pytest.mark.parametrize("raw,fragment", CONFIG_CASES)
def test_hostile_config_files(tmp_path, raw, fragment):
    (tmp_path / "config.yaml").write_bytes(raw)
    if fragment is None:
        load_config(tmp_path, {})
        return
    with pytest.raises(ConfigError, match=fragment):
        load_config(tmp_path, {})


def test_oversized_config_is_refused(tmp_path):
    (tmp_path / "config.yaml").write_bytes(b"# " + b"x" * (5 * 2**20) + b"\n")
    with pytest.raises(ConfigError, match="larger than 4 MiB"):
        load_config(tmp_path, {})


def test_environment_text_is_checked_too(tmp_path):
    (tmp_path / "config.yaml").write_text("agents: []\n")
    with pytest.raises(ConfigError, match=r"llm.embedded_model \(from GOCLAW_EMBEDDED_MODEL\)"):
        load_config(tmp_path, {"GOCLAW_EMBEDDED_MODEL": "/tmp/evil.gguf"})
    with pytest.raises(ConfigError, match=r"agent_name \(from GOCLAW_AGENT_NAME\) is not valid Unicode"):
        load_config(tmp_path, {"GOCLAW_AGENT_NAME": "bad\udcff"})  # undecodable bytes in os.environ


POLICY_CASES = [
    (b"allow_domains: [\"\\ud800.com\"]\n", r"allow_domains\[0\] is not valid Unicode text"),
    (b"allow_domains: [\"https://x.com/\"]\n", r"allow_domains\[0\] must be a host name"),
    (b"allow_domains: [\"a.com\", \"b.com\\x00.c\"]\n", r"allow_domains\[1\] must not contain control"),
    (b"allow_paths: [\"/tmp\\x00/x\"]\n", r"allow_paths\[0\] must not contain control"),
    (b"allow_capabilities: [1]\n", "allow_capabilities must be a list"),
    (b"allow_capabilities: [acp.read, root]\n", "unknown capability: root"),
    (b"allow_loopback: 1\n", "allow_loopback must be true or false"),
    (b"mcp: {default: [x]}\n", "mcp.default must be deny or allow"),
    (b"mcp: {rules: [{agent: [1]}]}\n", r"mcp.rules\[0\].agent must be a string"),
    (b"mcp: {rules: [{tools: [\"\\x07\"]}]}\n", r"mcp.rules\[0\].tools\[0\] must not contain control"),
    (b"1: 2\n", "top-level key 1 is not a string"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[" * 1000 + b"]" * 1000, "nested too deeply|not valid YAML"),
    (b"- a\n", "mapping at the top level"),
]


@pytest.mark.parametrize("raw,fragment", POLICY_CASES)
def test_hostile_policy_files(tmp_path, raw, fragment):
    path = tmp_path / "policy.yaml"
    path.write_bytes(raw)
    with pytest.raises(PolicyError, match=fragment):
        load_policy(path)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(),
    st.text(max_size=12), st.sampled_from(["\ud800", "a\x00b", "1e999", "nan", "-0", "64", "/etc/passwd",
                                           "127.0.0.1:0", "*.x.com", "debug"]),
)
KEYS = st.one_of(st.sampled_from(["worker_count", "task_timeout_seconds", "lease_seconds", "engine_tick_seconds",
                                  "gateway", "llm", "agents", "api_keys", "context_limits", "allow_origins",
                                  "bind_addr", "log_level", "agent_id", "soul", "loop", "max_steps",
                                  "embedded_model", "provider", "rate_limit", "keys", "max_request_size",
                                  "allow_domains", "allow_paths", "allow_capabilities", "mcp", "rules",
                                  "allow_loopback", "default"]), st.text(max_size=6))
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(KEYS, inner, max_size=5)),
                         max_leaves=25)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(KEYS, DOCUMENTS, max_size=6))
def test_generated_files_only_ever_raise_config_or_policy_errors(tmp_path, document):
    text = yaml.safe_dump(document, allow_unicode=False)
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    try:
        load_config(tmp_path, {})
    except ConfigError:
        pass
    try:
        load_policy(tmp_path / "policy.yaml")
    except PolicyError:
        pass


def test_the_default_policy_still_loads(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULT_POLICY_YAML)
    assert "github.com" in load_policy(path).domains
