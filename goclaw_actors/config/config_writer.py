"""Changing a few keys of config.yaml in place (SPEC §2.3): every other key and value is kept,
defaults the user did not set are never written, the file is replaced atomically (mode 0600, it may hold
API keys), and only a file the daemon would start with is ever written.
"""

import copy
from pathlib import Path
from typing import Any, Callable

import yaml

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.config.loader import config_from_data, parse_config_text, read_config_file
from goclaw_actors.config.starter_agents import STARTER_AGENTS
from goclaw_actors.errors import ConfigError


def set_config_keys(path: Path, values: dict[str, Any]) -> dict[str, Any]:
    """Set each dotted key of `values` (e.g. `api_keys.brave_api_key`) in the file's mapping and write
    it back; returns the new mapping. Raises ConfigError when the current file is invalid or the new one
    would be (naming the key), OSError on write.
    """
    def change(data: dict[str, Any]) -> None:
        for dotted, value in values.items():
            node = data
            *parents, leaf = dotted.split(".")
            for part in parents:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
            node[leaf] = value

    return _rewrite(path, change)


def append_agent_entry(path: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Append `entry` to `agents` (when the file has no `agents`, the starter agents it stood for come first,
    so none disappears); returns the new mapping. Raises ConfigError when the current file is invalid or the
    new one would be, OSError on write."""
    def change(data: dict[str, Any]) -> None:
        agents = data.get("agents") if "agents" in data else copy.deepcopy(STARTER_AGENTS)
        if agents is not None and not isinstance(agents, list):
            raise ConfigError("agents in config.yaml must be a list")
        data["agents"] = [*(agents or []), entry]

    return _rewrite(path, change)


def _rewrite(path: Path, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply `change` to the file's mapping and write it back atomically, checking it before and after."""
    data = read_config_file(path)
    config_from_data(data, {})  # never build on an invalid file
    change(data)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    written = parse_config_text(text)
    config_from_data(written, {})  # the file as it will be read at the next start
    write_atomic(path, text)
    return written
