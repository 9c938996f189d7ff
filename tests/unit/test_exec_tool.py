"""exec (SPEC §5.2): refused metacharacters and commands, timeout, output caps, redaction, scrubbed env, sandbox."""

import os
import shutil
import time
from pathlib import Path

import pytest

from goclaw_actors.tools.command_check import COMMAND_DENIED, DENIED_COMMANDS
from goclaw_actors.tools.docker_sandbox import SandboxSettings, docker_command
from goclaw_actors.tools.errors import PolicyDenied, ToolError
from goclaw_actors.tools.exec_tool import OUTPUT_CAP_BYTES, TRUNCATED, run_exec
from tests.unit.tool_fixtures import context, make_env

PATH = os.environ.get("PATH", "/usr/bin:/bin")


@pytest.fixture
def env(tmp_path):
    return make_env(tmp_path / "home", environ={"PATH": PATH})


def run(env, command, **arguments):
    return run_exec(env, {"command": command, **arguments}, context())


@pytest.mark.parametrize("command", ["touch made; ls", "echo $(touch made)", "echo `touch made`",
                                     "touch made\nls", "ls\r\ntouch made"])
def test_metacharacters_are_refused_and_nothing_runs(env, command):
    with pytest.raises(PolicyDenied) as refused:
        run(env, command)
    assert refused.value.reason == COMMAND_DENIED and "is not allowed" in str(refused.value)
    assert not (env.workspace / "made").exists()


@pytest.mark.parametrize("word", sorted(DENIED_COMMANDS))
def test_every_deny_listed_command_word_is_refused_in_any_segment(env, word):
    for command in (f"{word} x", f"touch made && {word} x", f"echo a | {word} x", f"false || /usr/bin/{word} x",
                    f"A=1 {word} x", f"env {word} x", f"sh -c '{word} x'", f"touch made & {word} x"):
        with pytest.raises(PolicyDenied, match=f'"{word}" is not allowed'):
            run(env, command)
    assert not (env.workspace / "made").exists()


def test_allowed_pipelines_run_in_the_workspace(env):
    assert run(env, "echo hello | tr a-z A-Z && pwd") == f"exit code: 0\nstdout:\nHELLO\n{env.workspace}\n"
    assert run(env, "ls nothing-here").startswith("exit code: 2\nstderr:\n")
    (env.workspace / "sub").mkdir()
    assert run(env, "pwd", working_dir="sub").endswith(f"{env.workspace / 'sub'}\n")
    with pytest.raises(PolicyDenied, match="path denied"):
        run(env, "pwd", working_dir="/etc")


def test_a_command_past_its_timeout_is_killed_with_its_children(env):
    started = time.monotonic()
    with pytest.raises(ToolError, match="timed out after 1s") as error:
        run(env, "echo before && sleep 30 | cat && echo finished", timeout_sec=1)
    assert time.monotonic() - started < 5
    assert "before" in str(error.value) and "finished" not in str(error.value)


def test_stdout_and_stderr_are_each_capped_at_8_kb(env):
    out = run(env, "head -c 20000 /dev/zero | tr '\\0' a && head -c 9000 /dev/zero | tr '\\0' b >&2")
    stdout = out.split("stdout:\n")[1].split("\nstderr:\n")[0]
    stderr = out.split("\nstderr:\n")[1]
    assert stdout == "a" * OUTPUT_CAP_BYTES + TRUNCATED and stderr == "b" * OUTPUT_CAP_BYTES + TRUNCATED
    with pytest.raises(ToolError, match="timed out") as endless:
        run(env, "yes", timeout_sec=1)
    assert str(endless.value).count("y\n") <= OUTPUT_CAP_BYTES // 2 + 1


def test_output_is_redacted(env):
    out = run(env, "echo api_key=sk0123456789abcdefXYZ && echo Bearer abcdefghijklmnopqrstuvwxyz")
    assert "sk0123456789abcdefXYZ" not in out and "abcdefghijklmnopqrstuvwxyz" not in out
    assert "api_key=[REDACTED]" in out and "Bearer [REDACTED]" in out


def test_the_child_environment_is_scrubbed(tmp_path):
    token = "3f0c8a56-0b9e-4c62-9d0a-5d0c1b2a3e4f"
    environ = {"PATH": PATH, "OPENAI_API_KEY": "sk-openai-secret-value-1", "GOCLAW_AUTH_TOKEN": token,
               "GOCLAW_HOME": "/home/goclaw-home-value", "MY_SERVICE_TOKEN": "service-token-value-2",
               "DB_SECRET": "db-secret-value-3", "X_API_KEY": "x-api-key-value-4", "SNEAKY": f"url?t={token}",
               "ALLOWED_VAR": "visible-value", "LANG": "C.UTF-8", "UNLISTED": "unlisted-value"}
    env = make_env(tmp_path / "home", environ=environ, secrets=frozenset({token, "sk-openai-secret-value-1"}),
                   config={"tools": {"shell": {"env_allow": ["ALLOWED_VAR", "SNEAKY", "OPENAI_API_KEY",
                                                             "MY_SERVICE_TOKEN", "GOCLAW_HOME", "DB_SECRET"]}}})
    printed = run(env, "env")
    for name, value in environ.items():
        if name in ("PATH", "ALLOWED_VAR", "LANG"):
            continue
        assert value not in printed, name
        assert f"{name}=" not in printed, name
    assert "ALLOWED_VAR=visible-value" in printed and f"HOME={env.workspace}\n" in printed
    assert "TZ=" in printed and "PATH=" in printed


def test_the_sandbox_command_line(tmp_path):
    settings = SandboxSettings(enabled=True, image="alpine:3", memory_mb=256, network="none")
    workspace = tmp_path / "ws"
    argv = docker_command(settings, "ls -la", workspace, workspace / "sub", {"PATH": "/bin", "HOME": "/x",
                                                                             "LANG": "C", "FOO": "bar"}, "goclaw-1")
    assert argv == ["docker", "run", "--rm", "--name", "goclaw-1", "--network", "none", "--memory", "256m",
                    "-v", f"{workspace}:/workspace", "-w", "/workspace/sub", "-e", "HOME=/workspace",
                    "-e", "FOO", "-e", "LANG", "alpine:3", "sh", "-c", "ls -la"]
    assert "bar" not in argv  # values travel in the client's environment, not on its command line
    with pytest.raises(ToolError, match="inside the workspace"):
        docker_command(settings, "ls", workspace, Path("/elsewhere"), {}, "goclaw-2")


def test_sandbox_defaults_follow_the_spec():
    assert SandboxSettings.from_config(lambda key, default: default) == SandboxSettings(
        False, "golang:alpine", 512, "none")


def test_with_the_sandbox_on_and_no_docker_nothing_runs(tmp_path):
    config = {"tools": {"shell": {"sandbox": True}}}
    no_docker = make_env(tmp_path / "a", environ={"PATH": str(tmp_path / "empty-bin")}, config=config)
    with pytest.raises(ToolError, match="docker sandbox unavailable: the docker command is not installed"):
        run(no_docker, "touch made")
    assert not (no_docker.workspace / "made").exists()


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker command on this machine")
def test_with_the_sandbox_on_and_no_engine_answering_nothing_runs(tmp_path):
    environ = {"PATH": PATH, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    env = make_env(tmp_path / "b", environ=environ, config={"tools": {"shell": {"sandbox": True}}})
    with pytest.raises(ToolError, match="docker sandbox unavailable: the Docker engine did not answer"):
        run(env, "touch made")
    assert not (env.workspace / "made").exists()
