"""Loads `.env` from the working directory without overriding variables already set (SPEC §2.1)."""

from pathlib import Path
from typing import MutableMapping

from dotenv import dotenv_values

from goclaw_actors.errors import StartupError


def load_dotenv_file(cwd: Path, environ: MutableMapping[str, str]) -> list[str]:
    """Add the variables of `cwd/.env` missing from `environ`; returns the names added."""
    path = cwd / ".env"
    if not path.is_file():
        return []
    try:
        values = dotenv_values(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise StartupError("E_CONFIG_LOAD", f"cannot read {path}: {exc}") from exc
    added = []
    for name, value in values.items():
        if value is not None and name not in environ:
            environ[name] = value
            added.append(name)
    return added
