"""The optional Docker sandbox for `exec` (`tools.shell.sandbox`, SPEC §5.2).

With the sandbox on, a command runs in an ephemeral container: `--rm`, image `sandbox_image`, the
workspace bind-mounted at `/workspace`, memory `sandbox_memory_mb`, network `sandbox_network`. When
Docker does not answer, exec fails with a clear error instead of running unsandboxed.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from goclaw_actors.tools.errors import ToolError

CONTAINER_WORKSPACE = "/workspace"
PROBE_TIMEOUT_SECONDS = 5.0
DOCKER_CLIENT_VARS = ("DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY")


@dataclass(frozen=True)
class SandboxSettings:
    """`tools.shell.sandbox*` with the SPEC defaults."""

    enabled: bool = False
    image: str = "golang:alpine"
    memory_mb: int = 512
    network: str = "none"

    @classmethod
    def from_config(cls, get: Callable[[str, Any], Any]) -> "SandboxSettings":
        """Read the settings through `get(dotted_key, default)`."""
        return cls(enabled=bool(get("tools.shell.sandbox", False)),
                   image=str(get("tools.shell.sandbox_image", "") or cls.image),
                   memory_mb=int(get("tools.shell.sandbox_memory_mb", 0) or cls.memory_mb),
                   network=str(get("tools.shell.sandbox_network", "") or cls.network))


def container_dir(workspace: Path, working_dir: Path) -> str:
    """Where `working_dir` (inside the workspace) is in the container."""
    try:
        relative = working_dir.relative_to(workspace)
    except ValueError:
        raise ToolError(f"in the sandbox the working directory must be inside the workspace ({workspace})") from None
    return str(Path(CONTAINER_WORKSPACE, relative)) if relative.parts else CONTAINER_WORKSPACE


def docker_command(settings: SandboxSettings, command: str, workspace: Path, working_dir: Path,
                   env: Mapping[str, str], name: str) -> list[str]:
    """The `docker run` argv for one command; variables are passed by name (values stay off the argv)."""
    argv = ["docker", "run", "--rm", "--name", name, "--network", settings.network,
            "--memory", f"{settings.memory_mb}m", "-v", f"{workspace}:{CONTAINER_WORKSPACE}",
            "-w", container_dir(workspace, working_dir), "-e", f"HOME={CONTAINER_WORKSPACE}"]
    for variable in sorted(env):
        if variable not in ("PATH", "HOME"):
            argv += ["-e", variable]
    return argv + [settings.image, "sh", "-c", command]


def client_environment(child_env: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """The docker CLI's own environment: the scrubbed child environment plus how to reach the engine."""
    return {**child_env, **{name: environ[name] for name in DOCKER_CLIENT_VARS if name in environ}}


def docker_problem(environ: Mapping[str, str], timeout: float = PROBE_TIMEOUT_SECONDS) -> str | None:
    """Why Docker cannot run a sandbox now (no CLI, engine not answering), or None when it answers."""
    try:
        probe = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                               text=True, timeout=timeout, env=client_environment({"PATH": environ.get("PATH", "")},
                                                                                  environ))
    except FileNotFoundError:
        return "the docker command is not installed"
    except subprocess.TimeoutExpired:
        return f"the Docker engine did not answer within {timeout:g}s"
    except OSError as exc:
        return f"docker could not be started: {exc}"
    if probe.returncode != 0 or not probe.stdout.strip():
        detail = (probe.stderr or probe.stdout).strip().splitlines()
        return "the Docker engine did not answer" + (f": {detail[-1]}" if detail else "")
    return None
