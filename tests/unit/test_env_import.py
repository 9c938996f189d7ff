"""`goclaw import`: the five known keys from a .env into config.yaml, every other key kept, --force to replace."""

import os
import stat

import pytest
import yaml

from goclaw_actors.errors import ConfigError
from goclaw_actors.ops.env_import import ImportFailed, import_env

CONFIG = """\
# my settings
worker_count: 3
api_keys:
  brave_api_key: brave-old
  custom_key: keep-me
agents:
  - agent_id: coder
    soul: careful
"""


def write_env(path, text):
    path.write_text(text)
    return path


def test_imports_missing_keys_keeps_set_ones_and_every_other_key(tmp_path):
    env = write_env(tmp_path / ".env", "GEMINI_API_KEY=g-123\nBRAVE_API_KEY=brave-new\nPERPLEXITY_API_KEY=\n"
                                       "OPENROUTER_API_KEY='or-456'\nUNRELATED=x\n")
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    config.chmod(0o640)
    lines = [str(line) for line in import_env(env, config)]
    assert lines == ["imported: GEMINI_API_KEY", "skipped: GEMINI_MODEL (not in .env)",
                     "skipped: BRAVE_API_KEY (api_keys.brave_api_key is already set; --force replaces it)",
                     "skipped: PERPLEXITY_API_KEY (empty in .env)", "imported: OPENROUTER_API_KEY"]
    data = yaml.safe_load(config.read_text())
    assert data == {"worker_count": 3, "gemini_api_key": "g-123",
                    "api_keys": {"brave_api_key": "brave-old", "custom_key": "keep-me", "openrouter_api_key": "or-456"},
                    "agents": [{"agent_id": "coder", "soul": "careful"}]}
    assert "worker_count" in config.read_text() and "retention" not in config.read_text()  # no defaults written
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600  # written private, like every file of the home
    forced = [str(line) for line in import_env(env, config, force=True)]
    assert forced[0] == "skipped: GEMINI_API_KEY (gemini_api_key already has this value)"
    assert forced[2] == "imported: BRAVE_API_KEY"
    assert yaml.safe_load(config.read_text())["api_keys"]["brave_api_key"] == "brave-new"


def test_a_new_config_file_is_private(tmp_path):
    env = write_env(tmp_path / "keys.env", "GEMINI_MODEL=gemini-2.5-flash\n")
    config = tmp_path / "home" / "config.yaml"
    assert str(import_env(env, config)[1]) == "imported: GEMINI_MODEL"
    assert yaml.safe_load(config.read_text()) == {"gemini_model": "gemini-2.5-flash"}
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600


def test_missing_env_and_broken_config_are_errors_that_change_nothing(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("agents: [\n")
    with pytest.raises(ImportFailed, match="not found"):
        import_env(tmp_path / "absent.env", config)
    env = write_env(tmp_path / ".env", "GEMINI_API_KEY=g\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        import_env(env, config)
    assert config.read_text() == "agents: [\n"
