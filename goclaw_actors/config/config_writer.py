"""Changing a few keys of config.yaml in place (SPEC §2.3): every other key and value is kept,
defaults the user did not set are never written, the file is replaced atomically (mode 0600, it may hold
API keys), and only a file the daemon would start with is ever written.
"""

from pathlib import Path
from typing import Any

import yaml

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.config.loader import config_from_data, parse_config_text, read_config_file


def set_config_keys(path: Path, values: dict[str, Any]) -> dict[str, Any]:
    """Set each dotted key of `values` (e.g. `api_keys.brave_api_key`) in the file's mapping and write
    it back; returns the new mapping. Raises ConfigError when the current file is invalid or the new one
    would be (naming the key), OSError on write.
    """
    data = read_config_file(path)
    config_from_data(data, {})  # never build on an invalid file
    for dotted, value in values.items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[leaf] = value
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    written = parse_config_text(text)
    config_from_data(written, {})  # the file as it will be read at the next start
    write_atomic(path, text)
    return written
