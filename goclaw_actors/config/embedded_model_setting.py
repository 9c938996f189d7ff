"""`llm.embedded_model` (SPEC §4.4): one of the known model names, or the name of a `.gguf` file in
`$GOCLAW_HOME/models`. Never a path: whatever file it names is handed to the native GGUF loader, so
only files the operator put into models/ (or symlinked there) can be loaded.
"""

import re
from typing import Any

from goclaw_actors.config.text_values import check_text
from goclaw_actors.errors import ConfigError

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
SMOLLM2 = "smollm2"
KNOWN_MODELS = (DEFAULT_MODEL, SMOLLM2)
MODELS_DIR = "models"
GGUF_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,195}\.gguf")


def check_embedded_model(value: Any, key: str = "llm.embedded_model") -> str:
    """The setting with the default applied (empty means the default model); ConfigError naming `key`
    when it is neither a known name nor the file name of a `.gguf` in models/."""
    if value is None:
        return DEFAULT_MODEL
    name = check_text(value, key, 200).strip() or DEFAULT_MODEL
    if name in KNOWN_MODELS or GGUF_NAME_RE.fullmatch(name):
        return name
    raise ConfigError(f"{key} must be {DEFAULT_MODEL}, {SMOLLM2} or the name of a .gguf file in "
                      f"$GOCLAW_HOME/{MODELS_DIR} (not a path)")
