"""One agent entry (SPEC §2.4), checked the same way wherever it comes from: `agents[]` of config.yaml,
ACP `agent.create`, a stored `agents` row at start-up, and `goclaw pull`.

    agent = agent_from_entry({"agent_id": "helper", "worker_count": 2}, "agents[0]")  # or ConfigError
    agent.to_row()                                                                   # the `agents` columns

Nothing that fails here may be persisted: the daemon would refuse it at the next start.
"""

import json
import re
from typing import Any, Mapping

from goclaw_actors.brain.agent_loop import parse_duration
from goclaw_actors.config.bounds import (AGENT_BOUNDS, LOOP_BOUNDS, MAX_LOOP_DURATION_SECONDS,
                                         STRUCTURED_OUTPUT_RETRIES, number)
from goclaw_actors.config.model import AgentConfig
from goclaw_actors.config.provider_names import check_provider_name
from goclaw_actors.config.text_values import (MAX_NAME, MAX_PROMPT, check_env_var_name, check_model_name,
                                              check_text, field_label)
from goclaw_actors.errors import ConfigError
from goclaw_actors.mcp.server_config import parse_servers

AGENT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
NEW_AGENT_ID_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?")  # SPEC: not ending in "-"
NEW_AGENT_ID_ERROR = ('{key} must match [A-Za-z0-9][A-Za-z0-9-]*, be at most 64 characters and not end '
                      'with "-"')
DEFAULT_WORKERS = 4
DEFAULT_TIMEOUT_SECONDS = 600
MAX_LIST_ITEMS = 256
# Plain text fields: (maximum length, line breaks allowed).
TEXT_FIELDS = {"display_name": (MAX_NAME, False), "soul": (MAX_PROMPT, True), "agent_emoji": (16, False),
               "preferred_search": (32, False)}


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def check_agent_id(value: Any, key: str = "agent_id") -> str:
    """An agent id: a letter or digit, then up to 63 letters, digits, `_`, `.` or `-`."""
    if not isinstance(value, str) or not AGENT_ID_RE.fullmatch(value.strip()):
        raise ConfigError(f"{key} must be 1 to 64 letters, digits, _, . or - starting with a letter or digit")
    return value.strip()


def check_new_agent_id(value: Any, key: str = "agent_id") -> str:
    """The id of an agent being added (ACP agent.create, `goclaw pull`), in SPEC's agent id syntax."""
    if not isinstance(value, str) or not NEW_AGENT_ID_RE.fullmatch(value.strip()):
        raise ConfigError(NEW_AGENT_ID_ERROR.format(key=key))
    return value.strip()


def agent_from_entry(entry: Mapping[str, Any], where: str = "") -> AgentConfig:
    """A new AgentConfig (defaults: 4 lanes, 600 s, unlimited queue) from a whole entry, its id included;
    errors name `<where>.<field>` (just `<field>` without `where`)."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where or 'agent entry'} must be a mapping")
    agent = AgentConfig(agent_id=check_agent_id(entry.get("agent_id"), _at(where, "agent_id")),
                        worker_count=DEFAULT_WORKERS, task_timeout_seconds=DEFAULT_TIMEOUT_SECONDS,
                        max_queue_depth=0)
    return apply_entry(agent, entry, where)


def apply_entry(agent: AgentConfig, entry: Mapping[str, Any], where: str) -> AgentConfig:
    """Check each field of `entry` and set it on `agent` (fields that are absent or null keep their value);
    other keys go to `agent.extra`. Raises ConfigError naming `<where>.<field>`."""
    for key, (limit, multiline) in TEXT_FIELDS.items():
        if entry.get(key) is not None:
            setattr(agent, key, check_text(entry[key], _at(where, key), limit, multiline))
    if entry.get("provider") is not None:
        agent.provider = check_provider_name(entry["provider"], _at(where, "provider"))
    if entry.get("model") not in (None, ""):
        agent.model = check_model_name(entry["model"], _at(where, "model"))
    if entry.get("api_key_env") not in (None, ""):
        agent.api_key_env = check_env_var_name(entry["api_key_env"], _at(where, "api_key_env"))
    for key, bound in AGENT_BOUNDS.items():
        if entry.get(key) is not None:
            setattr(agent, key, number(entry[key], _at(where, key), bound))
    if entry.get("skills_filter") is not None:
        agent.skills_filter = _names(entry["skills_filter"], _at(where, "skills_filter"))
    if entry.get("capabilities") is not None:
        _names(entry["capabilities"], _at(where, "capabilities"))
    if entry.get("loop") is not None:
        _check_loop(entry["loop"], _at(where, "loop"))
    if entry.get("structured_output") is not None:
        _check_structured_output(entry["structured_output"], _at(where, "structured_output"))
    parse_servers(entry.get("mcp_servers"), _at(where, "mcp_servers"))
    agent.extra = {str(k): v for k, v in entry.items() if k not in vars(agent)}
    return agent


def _names(value: Any, key: str) -> list[str]:
    if not isinstance(value, list):
        raise ConfigError(f"{key} must be a list of strings")
    if len(value) > MAX_LIST_ITEMS:
        raise ConfigError(f"{key} must have at most {MAX_LIST_ITEMS} items")
    return [check_text(item, f"{key}[{index}]").strip() for index, item in enumerate(value)]


def _check_loop(loop: Any, key: str) -> None:
    if not isinstance(loop, Mapping):
        raise ConfigError(f"{key} must be a mapping")
    if not isinstance(loop.get("enabled", False), bool):
        raise ConfigError(f"{key}.enabled must be true or false")
    for name, bound in LOOP_BOUNDS.items():
        if loop.get(name) is not None:
            number(loop[name], f"{key}.{name}", bound)
    try:
        seconds = parse_duration(loop.get("max_duration") if not isinstance(loop.get("max_duration"), str)
                                 else check_text(loop["max_duration"], f"{key}.max_duration", 32))
    except (ValueError, OverflowError):
        raise ConfigError(f"{key}.max_duration must be seconds or a duration such as 30m or 1h30m") from None
    if not seconds <= MAX_LOOP_DURATION_SECONDS:  # also refuses NaN
        raise ConfigError(f"{key}.max_duration must be at most {MAX_LOOP_DURATION_SECONDS} seconds")
    if loop.get("termination_keyword") is not None:
        check_text(loop["termination_keyword"], f"{key}.termination_keyword")


def _check_structured_output(spec: Any, key: str) -> None:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{key} must be a mapping")
    if spec.get("max_retries") is not None:
        number(spec["max_retries"], f"{key}.max_retries", STRUCTURED_OUTPUT_RETRIES)
    if spec.get("schema_file") is not None:
        check_text(spec["schema_file"], f"{key}.schema_file", 4096)
    if not isinstance(spec.get("strict_mode", False), bool):
        raise ConfigError(f"{key}.strict_mode must be true or false")


def agent_from_row(row: Mapping[str, Any]) -> AgentConfig:
    """The AgentConfig of a stored `agents` row (an agent created at runtime), checked like any entry;
    ConfigError names the row when a value is one the daemon must not run with."""
    entry = {key: row.get(key) for key in ("agent_id", "display_name", "provider", "model", "soul",
                                           "api_key_env", "worker_count", "task_timeout_seconds",
                                           "max_queue_depth", "agent_emoji", "preferred_search")}
    where = f"agents row {field_label(row.get('agent_id'))}"
    skills = row.get("skills_filter")
    if skills:
        try:
            entry["skills_filter"] = json.loads(skills)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}.skills_filter is not a JSON list") from None
    agent = agent_from_entry(entry, where)
    agent.display_name = agent.display_name or agent.agent_id
    return agent
