"""`goclaw doctor` checks of settings and surroundings, each outcome on real files, PATHs and sockets."""

import socket
import stat

import pytest

from goclaw_actors.config.loader import load_config
from goclaw_actors.ops.doctor import ModelSource, any_failed, render_json, render_text, run_doctor
from goclaw_actors.ops.doctor_checks import (FAIL, PASS, SKIP, WARN, api_key_check, config_check,
                                             external_tools_check, network_check)
from tests.brain.fake_server import FakeServer, Reply
from tests.gateway.rest_fixtures import TOKEN, running_daemon
from tests.helpers import free_port


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    return path


def config_of(home, text):
    (home / "config.yaml").write_text(text)
    return load_config(home, {})


def test_config_pass_warn_and_fail(home):
    check, config = config_check(home, {})
    assert (check.status, config is not None) == (WARN, True) and "defaults apply" in check.detail
    assert "goclaw daemon" in check.fix
    (home / "config.yaml").write_text("agents: []\nfrobnicate: 1\n")
    check, _ = config_check(home, {})
    assert check.status == WARN and "unknown key frobnicate" in check.detail and check.fix
    (home / "config.yaml").write_text("agents: []\n")
    check, _ = config_check(home, {})
    assert check.status == PASS and "1 agents (default)" in check.detail and not check.fix
    check, config = config_check(home, {"GOCLAW_LOG_LEVEL": "loud"})
    assert (check.status, config) == (FAIL, None) and "log_level" in check.detail
    assert str(home / "config.yaml") in check.fix


def test_a_config_failure_fails_the_report_and_skips_what_needs_it(home):
    (home / "config.yaml").write_text("log_level: loud\n")
    checks = run_doctor(home, {"PATH": ""})
    assert [c.name for c in checks] == ["Config", "API Key", "Embedded Model", "Database", "Permissions",
                                        "External Tools", "Network"]
    statuses = {c.name: c.status for c in checks}
    assert statuses["Config"] == FAIL and any_failed(checks)
    assert all(statuses[name] == SKIP for name in ("API Key", "Embedded Model", "External Tools", "Network"))
    assert "FAIL  Config" in render_text(checks) and '"status": "SKIP"' in render_json(checks)


def test_api_key_outcomes(home):
    auto = config_of(home, "agents: []\n")
    assert api_key_check(auto, {"OPENAI_API_KEY": "sk-123456"}, False).status == PASS
    check = api_key_check(auto, {}, False)
    assert check.status == WARN and "No API key configured" in check.detail and "GEMINI_API_KEY" in check.fix
    check = api_key_check(auto, {}, True)
    assert check.status == WARN and "embedded model answers" in check.detail
    explicit = config_of(home, "agents: []\nllm: {provider: openai}\n")
    check = api_key_check(explicit, {}, True)
    assert check.status == FAIL and "OPENAI_API_KEY" in check.fix
    embedded = config_of(home, "agents: []\nllm: {provider: embedded}\n")
    assert api_key_check(embedded, {}, False).status == FAIL
    assert api_key_check(embedded, {}, True).status == PASS
    unknown = config_of(home, "agents: []\nllm: {provider: nosuch}\n")
    assert api_key_check(unknown, {}, False).status == FAIL
    compatible = config_of(home, "agents: []\nllm: {provider: openai_compatible}\n")
    assert api_key_check(compatible, {}, False).status == FAIL
    nothing = config_of(home, "agents: []\nllm: {provider: none}\n")
    assert api_key_check(nothing, {}, True).status == WARN
    keyed = config_of(home, "agents: [{agent_id: coder, api_key_env: CODER_KEY}]\n")
    check = api_key_check(keyed, {"GEMINI_API_KEY": "g-123456"}, False)
    assert check.status == WARN and "CODER_KEY" in check.detail and "CODER_KEY" in check.fix
    assert api_key_check(keyed, {"GEMINI_API_KEY": "g-1", "CODER_KEY": "c-1"}, False).status == PASS


def fake_tools(tmp_path, *names):
    """A PATH directory holding executables with these names."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in names:
        tool = bin_dir / name
        tool.write_text("#!/bin/sh\nexit 0\n")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return str(bin_dir)


def test_external_tools_warn_only_for_what_the_configuration_needs(home, tmp_path):
    path = fake_tools(tmp_path, "git")
    plain = config_of(home, "agents: []\n")
    check = external_tools_check(plain, home, {"PATH": path})
    assert check.status == PASS and "found: git" in check.detail and "docker" in check.detail
    sandboxed = config_of(home, "agents: []\ntools: {shell: {sandbox: true}}\n")
    check = external_tools_check(sandboxed, home, {"PATH": path})
    assert check.status == WARN and "docker (sandboxes exec" in check.detail and check.fix
    (home / "skills" / "rand").mkdir(parents=True)
    (home / "skills" / "rand" / "main.go").write_text("package main\n")
    check = external_tools_check(plain, home, {"PATH": path})
    assert check.status == WARN and "tinygo (builds .go skills" in check.detail
    assert external_tools_check(plain, home, {"PATH": fake_tools(tmp_path, "tinygo")}).status == PASS
    mcp = config_of(home, "agents: [{agent_id: fs, mcp_servers: [{name: fs, command: npx}]}]\n")
    check = external_tools_check(mcp, home, {"PATH": fake_tools(tmp_path, "tinygo")})
    assert check.status == WARN and "npx (starts a configured MCP server)" in check.detail
    assert external_tools_check(mcp, home, {"PATH": fake_tools(tmp_path, "npx")}).status == PASS


def test_network_free_port_passes(home):
    config = config_of(home, f"agents: []\nbind_addr: 127.0.0.1:{free_port()}\n")
    check = network_check(config, "token")
    assert check.status == PASS and "is free" in check.detail


def test_network_port_held_by_a_silent_socket_or_another_program_fails(home):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused, binding fails
        config = config_of(home, f"agents: []\nbind_addr: 127.0.0.1:{holder.getsockname()[1]}\n")
        check = network_check(config, "token")
        assert check.status == FAIL and "cannot listen" in check.detail and "bind_addr" in check.fix
    with FakeServer([Reply(404, b"not found")]) as other:  # answers HTTP, but not as goclaw
        config = config_of(home, f"agents: []\nbind_addr: 127.0.0.1:{other.port}\n")
        check = network_check(config, "token")
        assert check.status == FAIL and "another program" in check.detail


def test_network_tells_our_daemon_from_another_and_an_unhealthy_one(home, tmp_path):
    (tmp_path / "daemon").mkdir()
    with running_daemon(tmp_path / "daemon") as api:
        port = api.daemon.boot.listener.getsockname()[1]
        config = config_of(home, f"agents: []\nbind_addr: 127.0.0.1:{port}\n")
        check = network_check(config, TOKEN)
        assert check.status == PASS and "our daemon" in check.detail and "healthy" in check.detail
        check = network_check(config, "another-homes-token")
        assert check.status == WARN and "refuses this home's token" in check.detail and check.fix
        api.daemon.runtime.reads.close()  # its database connections are gone: /healthz says db_ok false
        check = network_check(config, TOKEN)
        assert check.status == FAIL and "unhealthy" in check.detail


def test_a_healthy_home_reports_no_failure(home, tmp_path):
    (home / "config.yaml").write_text(f"agents: []\nbind_addr: 127.0.0.1:{free_port()}\n")
    (home / "config.yaml").chmod(0o600)
    empty_site = tmp_path / "site"
    empty_site.mkdir()
    checks = run_doctor(home, {"PATH": fake_tools(tmp_path, "git"), "OPENAI_API_KEY": "sk-1",
                               "GOCLAW_AUTH_TOKEN": "t"}, ModelSource(search_path=[str(empty_site)]))
    statuses = {c.name: c.status for c in checks}
    assert not any_failed(checks), render_text(checks)
    assert statuses == {"Config": PASS, "API Key": PASS, "Embedded Model": SKIP, "Database": WARN,
                        "Permissions": PASS, "External Tools": PASS, "Network": PASS}
