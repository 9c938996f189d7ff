"""`goclaw import` (SPEC §12): provider and search keys from a .env file into config.yaml.

Only the keys concerned are written (atomically, every other key kept); a value already in config.yaml
is kept unless `force`.
"""

from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from goclaw_actors.config.config_writer import set_config_keys
from goclaw_actors.config.loader import read_config_file
from goclaw_actors.config.model import dotted_get
from goclaw_actors.errors import GoclawError

# .env variable -> dotted config.yaml key, in the order they are reported.
IMPORTED_KEYS = (
    ("GEMINI_API_KEY", "gemini_api_key"),
    ("GEMINI_MODEL", "gemini_model"),
    ("BRAVE_API_KEY", "api_keys.brave_api_key"),
    ("PERPLEXITY_API_KEY", "api_keys.perplexity_api_key"),
    ("OPENROUTER_API_KEY", "api_keys.openrouter_api_key"),
)


class ImportFailed(GoclawError):
    """The .env file or config.yaml could not be read or written."""


@dataclass(frozen=True)
class ImportLine:
    """The outcome for one variable: imported, or skipped with the reason."""

    variable: str
    imported: bool
    why: str = ""

    def __str__(self) -> str:
        return f"imported: {self.variable}" if self.imported else f"skipped: {self.variable} ({self.why})"


def import_env(env_path: Path, config_path: Path, force: bool = False) -> list[ImportLine]:
    """Import the known variables of `env_path` into `config_path`; one line per known variable."""
    if not env_path.is_file():
        raise ImportFailed(f"{env_path} not found")
    try:
        values = dotenv_values(env_path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"cannot read {env_path}: {exc}") from exc
    existing = read_config_file(config_path)
    lines, updates = [], {}
    for variable, dotted in IMPORTED_KEYS:
        value = (values.get(variable) or "").strip()
        current = dotted_get(existing, dotted)
        if variable not in values:
            lines.append(ImportLine(variable, False, f"not in {env_path.name}"))
        elif not value:
            lines.append(ImportLine(variable, False, f"empty in {env_path.name}"))
        elif current == value:
            lines.append(ImportLine(variable, False, f"{dotted} already has this value"))
        elif current not in (None, "") and not force:
            lines.append(ImportLine(variable, False, f"{dotted} is already set; --force replaces it"))
        else:
            updates[dotted] = value
            lines.append(ImportLine(variable, True))
    if updates:
        try:
            set_config_keys(config_path, updates)
        except OSError as exc:
            raise ImportFailed(f"cannot write {config_path}: {exc}") from exc
    return lines
