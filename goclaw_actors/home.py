"""GOCLAW_HOME: where it is, and what a first run creates in it (SPEC §2.1, §2.2)."""

import os
import uuid
from pathlib import Path
from typing import Mapping

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.config.first_run import first_run_config
from goclaw_actors.errors import StartupError
from goclaw_actors.file_modes import make_private_dir

TOKEN_FILE = "auth.token"
TOKEN_ENV = "GOCLAW_AUTH_TOKEN"
HEARTBEAT_TEMPLATE = "# Heartbeat\n\n<!-- Tasks listed here are run every heartbeat interval. -->\n"


def resolve_home(environ: Mapping[str, str]) -> Path:
    """GOCLAW_HOME, or ~/.goclaw."""
    value = environ.get("GOCLAW_HOME", "").strip()
    return Path(value).expanduser().absolute() if value else Path.home() / ".goclaw"


def _mkdir(path: Path, reason_code: str) -> None:
    try:
        make_private_dir(path)
    except OSError as exc:
        raise StartupError(reason_code, f"cannot create {path}: {exc}") from exc
    if not path.is_dir():
        raise StartupError(reason_code, f"{path} exists and is not a directory")


def bootstrap_home(home: Path, environ: Mapping[str, str]) -> str:
    """Create what is missing (config.yaml, dirs, auth.token; directories 0700, files 0600); returns the
    gateway token."""
    _mkdir(home, "E_CONFIG_WRITE")
    config = home / "config.yaml"
    if not config.exists():
        try:
            write_atomic(config, first_run_config())
        except OSError as exc:
            raise StartupError("E_CONFIG_WRITE", f"cannot write {config}: {exc}") from exc
    for name in ("skills", "installed"):
        _mkdir(home / name, "E_SKILL_DIR_CREATE")
    _mkdir(home / "workspace", "E_WORKSPACE_CREATE")
    _mkdir(home / "models", "E_WORKSPACE_CREATE")
    heartbeat = home / "workspace" / "HEARTBEAT.md"
    if not heartbeat.exists():
        try:
            write_atomic(heartbeat, HEARTBEAT_TEMPLATE)
        except OSError as exc:
            raise StartupError("E_WORKSPACE_CREATE", f"cannot write {heartbeat}: {exc}") from exc
    return ensure_auth_token(home, environ)


def ensure_auth_token(home: Path, environ: Mapping[str, str]) -> str:
    """GOCLAW_AUTH_TOKEN if set (no file written), else auth.token, created as UUIDv4 + newline, 0600."""
    from_env = environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    existing = read_auth_token(home)
    if existing:
        return existing
    token = str(uuid.uuid4())
    path = home / TOKEN_FILE
    try:
        write_atomic(path, token + "\n")
    except OSError as exc:
        raise StartupError("E_AUTH_TOKEN_WRITE", f"cannot write {path}: {exc}") from exc
    return token


def read_auth_token(home: Path) -> str:
    """The token in auth.token, or "" if there is none."""
    try:
        return (home / TOKEN_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return ""
    except OSError as exc:
        raise StartupError("E_AUTH_TOKEN_WRITE", f"cannot read {home / TOKEN_FILE}: {exc}") from exc


def token_file_mode(home: Path) -> int:
    """Permission bits of auth.token (for tests and `goclaw doctor`)."""
    return os.stat(home / TOKEN_FILE).st_mode & 0o777
