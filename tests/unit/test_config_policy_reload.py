"""What a reload reads: the policy file (deny-all while it is missing, invalid kept out) and the difference
between the running and the edited configuration (SPEC §2.6, §2.7)."""

import pytest

from goclaw_actors.config.config_diff import config_changes
from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import PolicyError
from goclaw_actors.policy.policy_reload import DENY_ALL, current_policy_file

BASE = "worker_count: 2\nagents:\n  - {agent_id: coder}\n  - {agent_id: writer, model: m1}\n"


def config(tmp_path, text):
    (tmp_path / "config.yaml").write_text(text)
    return load_config(tmp_path, {})


def test_a_missing_policy_file_denies_everything_and_an_invalid_one_raises(tmp_path):
    path = tmp_path / "policy.yaml"
    policy, source = current_policy_file(path)
    assert policy is DENY_ALL and source.endswith("(missing: everything denied)")
    assert not any(DENY_ALL.allows(cap) for cap in ("acp.read", "acp.mutate", "tools.exec"))
    assert (DENY_ALL.domains, DENY_ALL.allow_loopback, DENY_ALL.mcp_default) == ((), False, "deny")
    path.write_text("allow_capabilities: [acp.read]\n")
    policy, source = current_policy_file(path)
    assert policy.allows("acp.read") and source == str(path)
    path.write_text("allow_capabilities: [acp.reed]\n")
    with pytest.raises(PolicyError, match="unknown capability"):
        current_policy_file(path)


def test_agents_added_removed_and_changed(tmp_path):
    running = config(tmp_path, BASE)
    edited = config(tmp_path, "worker_count: 3\nagents:\n  - {agent_id: writer, model: m2}\n  - {agent_id: new}\n")
    changes = config_changes(running, edited)
    assert [agent.agent_id for agent in changes.added] == ["new"]
    assert changes.removed == ("coder",)
    assert [agent.agent_id for agent in changes.changed] == ["default", "writer"]  # default: worker_count
    assert not changes.brains_changed and changes.restart_only == () and changes.agents_touched


def test_llm_settings_rebuild_every_brain_and_bind_addr_waits_for_a_restart(tmp_path):
    running = config(tmp_path, BASE)
    edited = config(tmp_path, BASE + "llm: {provider: openai, openai_model: gpt-x}\nbind_addr: 127.0.0.1:1\n")
    changes = config_changes(running, edited)
    assert changes.brains_changed and changes.restart_only == ("bind_addr",)
    assert (changes.added, changes.removed, changes.changed) == ((), (), ())


def test_plans_and_gateway_settings_touch_no_agent(tmp_path):
    running = config(tmp_path, BASE)
    edited = config(tmp_path, BASE + "approval_timeout_seconds: 5\ngateway: {rate_limit: {enabled: true}}\n")
    assert not config_changes(running, edited).agents_touched
