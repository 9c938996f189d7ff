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

C, P = "config.yaml", "policy.yaml"
HOSTILE_FILES = [
    (C, b"worker_count: 4\nagent_name: \xff\xfe\n", "cannot read"),
    (C, b'llm:\n  gemini_model: "\\ud800"\n', "llm.gemini_model is not valid Unicode text"),
    (C, b'agents:\n  - agent_id: a\n    soul: "x\\udc80"\n', r"agents\[0\]\.soul is not valid Unicode text"),
    (C, b'api_keys:\n  "\\ud800": v\n', "api_keys.'\\\\ud800' is not valid Unicode text"),
    (C, b"worker_count: .nan\n", "worker_count must be a finite number"),
    (C, b"lease_seconds: .inf\n", "lease_seconds must be a finite number"),
    (C, b"task_timeout_seconds: 1" + b"0" * 400 + b"\n", "task_timeout_seconds must be at most"),
    (C, b"max_queue_depth: !!binary aGk=\n", "max_queue_depth must be a whole number"),
    (C, b"heartbeat_interval_minutes: 2001-01-01\n", "heartbeat_interval_minutes must be a whole number"),
    (C, b"1: one\n", "top-level key 1 is not a string"),
    (C, b"? [a, b]\n: 1\n", "not valid YAML"),
    (C, b"[" * 1000 + b"]" * 1000, "nested too deeply|not valid YAML"),
    (C, b"gateway:\n", None),  # an empty section is the default
    (C, b"gateway: [1]\n", "gateway must be a mapping"),
    (C, b"gateway: {auth: {keys: [{key: k, rate_limit: 1e30}]}}\n", r"gateway.auth.keys\[0\].rate_limit"),
    (C, b"context_limits: {m: -1}\n", "context_limits.m must be at least 1"),
    (C, b"allow_origins: [1]\n", r"allow_origins\[0\] must be a string"),
    (C, b"bind_addr: [1]\n", "bind_addr must be a string"),
    (C, b"log_level: {a: 1}\n", "log_level"),
    (C, b"agent_name: \"a\\x00b\"\n", "agent_name must not contain control characters"),
    (C, b"llm: {embedded_model: /etc/passwd}\n", "llm.embedded_model must be"),
    (C, b"llm: {provider: [x]}\n", "llm.provider must be a string"),
    (C, b"agents: [{agent_id: a, worker_count: 1000000}]\n", r"agents\[0\] \(a\)\.worker_count must be at most 64"),
    (C, b"agents: [{agent_id: a, model: \"m\\x1b[31m\"}]\n", r"agents\[0\] \(a\)\.model"),
    (C, b"a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b]\n"
     b"d: [*c, *c, *c, *c, *c, *c, *c, *c]\n", None),  # aliases: unknown keys, walked once each
    (P, b"allow_domains: [\"\\ud800.com\"]\n", r"allow_domains\[0\] is not valid Unicode text"),
    (P, b"allow_domains: [\"https://x.com/\"]\n", r"allow_domains\[0\] must be a host name"),
    (P, b"allow_domains: [\"a.com\", \"b.com\\x00.c\"]\n", r"allow_domains\[1\] must not contain control"),
    (P, b"allow_paths: [\"/tmp\\x00/x\"]\n", r"allow_paths\[0\] must not contain control"),
    (P, b"allow_capabilities: [1]\n", "allow_capabilities must be a list"),
    (P, b"allow_capabilities: [acp.read, root]\n", "unknown capability: root"),
    (P, b"allow_loopback: 1\n", "allow_loopback must be true or false"),
    (P, b"mcp: {default: [x]}\n", "mcp.default must be deny or allow"),
    (P, b"mcp: {rules: [{agent: [1]}]}\n", r"mcp.rules\[0\].agent must be a string"),
    (P, b"mcp: {rules: [{tools: [\"\\x07\"]}]}\n", r"mcp.rules\[0\].tools\[0\] must not contain control"),
    (P, b"1: 2\n", "top-level key 1 is not a string"),
    (P, b"\xff\xfe", "not UTF-8"),
    (P, b"[" * 1000 + b"]" * 1000, "nested too deeply|not valid YAML"),
    (P, b"- a\n", "mapping at the top level"),
]


def load(home, name):
    """Load config.yaml or policy.yaml of `home` as the daemon does at start."""
    return load_config(home, {}) if name == C else load_policy(home / name)


@pytest.mark.parametrize("name,raw,fragment", HOSTILE_FILES)
def test_hostile_files(tmp_path, name, raw, fragment):
    (tmp_path / name).write_bytes(raw)
    if fragment is None:
        load(tmp_path, name)
        return
    with pytest.raises(ConfigError if name == C else PolicyError, match=fragment):
        load(tmp_path, name)


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
    for name, error in ((C, ConfigError), (P, PolicyError)):
        try:
            load(tmp_path, name)
        except error:
            pass


def test_the_default_policy_still_loads(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULT_POLICY_YAML)
    assert "github.com" in load_policy(path).domains
