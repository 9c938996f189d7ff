"""Changing a few keys of config.yaml in place (SPEC §2.3): every other key and value is kept,
defaults the user did not set are never written, and the file is replaced atomically.
"""

import os
from pathlib import Path
from typing import Any

import yaml

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.config.loader import read_config_file

NEW_FILE_MODE = 0o600  # config.yaml may hold API keys


def set_config_keys(path: Path, values: dict[str, Any]) -> dict[str, Any]:
    """Set each dotted key of `values` (e.g. `api_keys.brave_api_key`) in the file's mapping and write
    it back; returns the new mapping. Raises ConfigError when the file is unreadable, OSError on write.
    """
    data = read_config_file(path)
    for dotted, value in values.items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[leaf] = value
    mode = os.stat(path).st_mode & 0o777 if path.exists() else NEW_FILE_MODE
    write_atomic(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False), mode)
    return data
