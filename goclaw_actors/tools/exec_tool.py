"""`exec{command, working_dir?, timeout_sec?}` (SPEC §5.2): a checked shell command in a scrubbed environment.

The command is checked (command_check.py), runs via `sh -c` in the working directory (path policy;
default the workspace) or in the Docker sandbox, in its own process group that is killed on timeout;
the shell gets SIGKILL when the daemon dies (PR_SET_PDEATHSIG), so a crash does not leave it to finish a
side effect behind a retried call (a command it put in the background may outlive it).
stdout and stderr are each kept to 8 KB and redacted.
"""

import ctypes
import functools
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gevent

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.redaction import redact_text
from goclaw_actors.tools.command_check import check_command
from goclaw_actors.tools.docker_sandbox import SandboxSettings, client_environment, docker_command, docker_problem
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.path_jail import allowed_roots, jail
from goclaw_actors.tools.shell_env import child_environment, env_allow_names
from goclaw_actors.tools.tool_env import ToolEnv

DEFAULT_TIMEOUT_SECONDS = 30
MAX_TIMEOUT_SECONDS = 120
OUTPUT_CAP_BYTES = 8 * 1024
TRUNCATED = "\n... (truncated)"
READ_CHUNK = 64 * 1024
PIPE_GRACE_SECONDS = 2.0  # after the process ends, how long its output pipes may stay open
SCHEMA = {"type": "object", "properties": {
    "command": {"type": "string", "minLength": 1},
    "working_dir": {"type": "string"},
    "timeout_sec": {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_SECONDS}},
    "required": ["command"], "additionalProperties": False}

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent(parent_pid: int) -> None:  # runs in the child between fork and exec: C calls only
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the daemon died before prctl: no signal will come, so stop here
            os._exit(137)


@dataclass
class Captured:
    """One output stream: its first bytes and whether more was produced."""

    data: bytes = b""
    truncated: bool = False

    def text(self) -> str:
        """Decoded, redacted, with the truncation marker."""
        return redact_text(self.data.decode("utf-8", errors="replace")) + (TRUNCATED if self.truncated else "")


@dataclass
class Completed:
    """How a process ended."""

    exit_code: int | None
    stdout: Captured
    stderr: Captured
    timed_out: bool


def _drain(stream: Any, captured: Captured, cap: int) -> None:
    """Read a pipe to its end, keeping the first `cap` bytes (the rest is read and dropped)."""
    while True:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            return
        room = cap - len(captured.data)
        if room > 0:
            captured.data += chunk[:room]
        if len(chunk) > room:
            captured.truncated = True


def run_process(argv: list[str], cwd: Path, env: dict[str, str], timeout: float, cap: int = OUTPUT_CAP_BYTES,
                on_timeout: Callable[[], None] = lambda: None) -> Completed:
    """Run argv in its own process group with capped output; the group is killed at the timeout."""
    try:
        proc = subprocess.Popen(argv, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True,
                                preexec_fn=functools.partial(_die_with_parent, os.getpid()))
    except OSError as exc:
        raise ToolError(f"command could not be started: {exc}") from exc
    out, err = Captured(), Captured()
    readers = [gevent.spawn(_drain, proc.stdout, out, cap), gevent.spawn(_drain, proc.stderr, err, cap)]
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        on_timeout()
        _kill_group(proc)
        proc.wait()
    finally:
        if proc.poll() is None:  # interrupted (task canceled or timed out): nothing may outlive the call
            _kill_group(proc)
        gevent.joinall(readers, timeout=PIPE_GRACE_SECONDS)
        gevent.killall(readers, block=False)
        for stream in (proc.stdout, proc.stderr):
            stream.close()
    return Completed(proc.returncode, out, err, timed_out)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def working_directory(env: ToolEnv, raw: str | None) -> Path:
    """The checked working directory: the workspace by default, else a path inside the allowed roots."""
    if not raw:
        return env.workspace
    roots = allowed_roots(env.policy().paths, env.workspace) + allowed_roots([], env.workspace)
    path = jail(raw, roots, env.workspace).path
    if not path.is_dir():
        raise ToolError(f"working_dir {raw!r} is not a directory")
    return path


def format_result(result: Completed) -> str:
    """What the model sees: the exit code, then stdout and stderr (each only when not empty)."""
    parts = [f"exit code: {result.exit_code}"]
    for name, captured in (("stdout", result.stdout), ("stderr", result.stderr)):
        if captured.data:
            parts.append(f"{name}:\n{captured.text()}")
    return "\n".join(parts)


def sandboxed(env: ToolEnv, settings: SandboxSettings, command: str, cwd: Path,
              child_env: dict[str, str]) -> tuple[list[str], dict[str, str], Callable[[], None]]:
    """argv, environment and timeout action of a command run in the Docker sandbox; raises ToolError
    (and runs nothing) when Docker does not answer."""
    problem = docker_problem(env.environ)
    if problem:
        raise ToolError(f"docker sandbox unavailable: {problem} (tools.shell.sandbox is on, so the command was "
                        f"not run)")
    name = f"goclaw-exec-{uuid.uuid4().hex[:12]}"
    process_env = client_environment(child_env, env.environ)

    def kill_container() -> None:
        subprocess.run(["docker", "kill", name], env=process_env, capture_output=True, timeout=10)

    return docker_command(settings, command, env.workspace, cwd, child_env, name), process_env, kill_container


def run_exec(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """The tool: check, run (sandboxed when configured), and report the outcome."""
    command = arguments["command"]
    check_command(command)
    cwd = working_directory(env, arguments.get("working_dir"))
    timeout = min(int(arguments.get("timeout_sec") or DEFAULT_TIMEOUT_SECONDS), MAX_TIMEOUT_SECONDS)
    env_allow = env_allow_names(env.config("tools.shell.env_allow", None))
    child_env = child_environment(env.environ, env.workspace, env_allow, env.secrets)
    settings = SandboxSettings.from_config(env.config)
    if settings.enabled:
        argv, process_env, on_timeout = sandboxed(env, settings, command, cwd, child_env)
        cwd = env.workspace  # the docker client's own directory; the command's is set with -w
    else:
        argv, process_env, on_timeout = ["sh", "-c", command], child_env, (lambda: None)
    result = run_process(argv, cwd, process_env, timeout, on_timeout=on_timeout)
    if result.timed_out:
        raise ToolError(f"command timed out after {timeout}s\n" + format_result(result))
    return format_result(result)
