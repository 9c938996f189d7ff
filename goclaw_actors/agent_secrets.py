"""Literal API keys of agents created at runtime (ACP `agent.create` `api_key`, SPEC §9.3).

They are never stored in the database, returned or logged: they live in `$GOCLAW_HOME/secrets.yaml`
(mode 0600) under `agent_api_keys.<agent_id>`, the agent's row names no key, and the agent's provider
reads its key from there by the agent's id. `agent.create` without `api_key` and `agent.remove` drop the
entry, so a re-created agent never inherits an old key. Earlier versions kept these keys in `kv_store`
(`agent_api_key:<id>`); the daemon moves them here at start (`LEGACY_KV_PREFIX`).

File reads and writes here do not yield to gevent, so a read-modify-write is never interleaved.
"""

from pathlib import Path
from typing import Any

import yaml

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.config.text_values import check_secret_value
from goclaw_actors.errors import ConfigError

SECRETS_FILE = "secrets.yaml"
SECTION = "agent_api_keys"
LEGACY_KV_PREFIX = "agent_api_key:"
HEADER = ("# API keys of agents created at runtime (ACP agent.create api_key), by agent id.\n"
          "# Written by goclaw; keep this file private (mode 0600).\n")


def _read(home: Path) -> dict[str, Any]:
    path = Path(home) / SECRETS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        raise ConfigError(f"cannot read {path}: {type(exc).__name__}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get(SECTION) or {}, dict):
        raise ConfigError(f"{path} must hold a mapping {SECTION}: {{<agent id>: <key>}}")
    return data


def agent_api_key(home: Path, agent_id: str) -> str:
    """The key kept for `agent_id`, or "" when there is none; ConfigError when the file is unreadable."""
    value = (_read(home).get(SECTION) or {}).get(agent_id)
    return value.strip() if isinstance(value, str) else ""


def set_agent_api_key(home: Path, agent_id: str, key: str | None) -> None:
    """Keep `key` for `agent_id` (checked: printable ASCII, no spaces), or drop the entry when `key` is
    None. The file is rewritten atomically with mode 0600; nothing is written when nothing changes."""
    data = _read(home)
    keys = dict(data.get(SECTION) or {})
    if key is None:
        if agent_id not in keys:
            return
        del keys[agent_id]
    else:
        keys[agent_id] = check_secret_value(key, "api_key")
    data[SECTION] = keys
    write_atomic(Path(home) / SECRETS_FILE, HEADER + yaml.safe_dump(data, sort_keys=True))
