"""Reads config.yaml, applies the environment and validates (precedence env > file > defaults)."""

import copy
import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from goclaw_actors.config.defaults import DEFAULT_AGENT_ID, DEFAULTS, ENV_OVERRIDES, KNOWN_KEYS, LOG_LEVELS
from goclaw_actors.config.model import AgentConfig, Config
from goclaw_actors.config.starter_agents import STARTER_AGENTS
from goclaw_actors.errors import ConfigError
from goclaw_actors.bind_addr import parse_bind_addr

CONFIG_FILE = "config.yaml"
AGENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
AGENT_DEFAULT_WORKERS = 4
AGENT_DEFAULT_TIMEOUT = 600


def read_config_file(path: Path) -> dict[str, Any]:
    """The mapping in config.yaml ({} when the file is empty); raises ConfigError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level, not {type(data).__name__}")
    return data


def load_config(home: Path, environ: Mapping[str, str]) -> Config:
    """The effective, validated configuration of `home`; raises ConfigError naming the bad key."""
    data = read_config_file(home / CONFIG_FILE)
    warnings = [f"config.yaml: unknown key {key!r} ignored" for key in sorted(data) if key not in KNOWN_KEYS]
    merged = _deep_merge(copy.deepcopy(DEFAULTS), {k: v for k, v in data.items() if k in KNOWN_KEYS})
    for variable, key in ENV_OVERRIDES.items():
        value = environ.get(variable, "").strip()
        if value:
            merged[key] = value
    for variable, (section, key) in {"GOCLAW_LLM_PROVIDER": ("llm", "provider"),
                                     "GOCLAW_EMBEDDED_MODEL": ("llm", "embedded_model")}.items():
        value = environ.get(variable, "").strip()
        if value:
            merged.setdefault("llm", {})
            if not isinstance(merged["llm"], dict):
                raise ConfigError("llm must be a mapping")
            merged["llm"][key] = value
    return _validate(merged, "agents" in data, warnings)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def _integer(raw: dict[str, Any], key: str, minimum: int | None = None) -> int:
    value = raw.get(key)
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be a whole number, got {value!r}")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ConfigError(f"{key} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, got {number}")
    return number


def _seconds(raw: dict[str, Any], key: str, positive: bool = True) -> float:
    value = raw.get(key)
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be a number of seconds, got {value!r}")
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ConfigError(f"{key} must be a number of seconds, got {value!r}") from None
    if number < 0 or (positive and number == 0) or number != number:
        raise ConfigError(f"{key} must be {'greater than' if positive else 'at least'} 0, got {value!r}")
    return number


def _validate(raw: dict[str, Any], agents_given: bool, warnings: list[str]) -> Config:
    worker_count = _integer(raw, "worker_count")
    if worker_count <= 0:
        worker_count = AGENT_DEFAULT_WORKERS
    task_timeout = int(_seconds(raw, "task_timeout_seconds"))
    bind_addr = str(raw.get("bind_addr") or "").strip()
    try:
        parse_bind_addr(bind_addr)
    except ValueError as exc:
        raise ConfigError(f"bind_addr: {exc}") from None
    log_level = str(raw.get("log_level")).strip().lower()
    if log_level == "warning":
        log_level = "warn"
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}, got {raw.get('log_level')!r}")
    tick = _seconds(raw, "engine_tick_seconds")
    lease = _seconds(raw, "lease_seconds")
    if lease <= tick:
        raise ConfigError(f"lease_seconds ({lease:g}) must be greater than engine_tick_seconds ({tick:g}), "
                          "or leases expire between heartbeats")
    for section in ("gateway", "llm", "api_keys", "providers", "skills", "tools", "channels", "mcp", "a2a",
                    "telemetry", "context_limits"):
        if section in raw and raw[section] is not None and not isinstance(raw[section], dict):
            raise ConfigError(f"{section} must be a mapping, got {type(raw[section]).__name__}")
    origins = raw.get("allow_origins") or []
    if not isinstance(origins, list) or not all(isinstance(item, str) for item in origins):
        raise ConfigError("allow_origins must be a list of strings")
    max_request = raw.get("gateway", {}).get("max_request_size")
    if not isinstance(max_request, int) or isinstance(max_request, bool) or max_request <= 0:
        raise ConfigError(f"gateway.max_request_size must be a positive number of bytes, got {max_request!r}")
    agents = _agents(raw, agents_given, worker_count, task_timeout, _integer(raw, "max_queue_depth", 0), warnings)
    hops = _hops(raw, agents)
    return Config(worker_count=worker_count, task_timeout_seconds=task_timeout, bind_addr=bind_addr,
                  log_level=log_level, max_queue_depth=_integer(raw, "max_queue_depth", 0),
                  drain_timeout_seconds=_seconds(raw, "drain_timeout_seconds", positive=False),
                  heartbeat_interval_minutes=_integer(raw, "heartbeat_interval_minutes", 0),
                  engine_tick_seconds=tick, lease_seconds=lease, delegation_max_hops=hops,
                  allow_origins=list(origins), agents=agents, raw=raw, warnings=warnings)


def _agents(raw: dict[str, Any], given: bool, worker_count: int, task_timeout: int, max_queue_depth: int,
            warnings: list[str]) -> list[AgentConfig]:
    """`default` first (from the top-level keys and an optional `default` entry), then the others."""
    entries = raw.get("agents") if given else STARTER_AGENTS
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise ConfigError(f"agents must be a list, got {type(entries).__name__}")
    default = AgentConfig(agent_id=DEFAULT_AGENT_ID, display_name=str(raw.get("agent_name") or "GoClaw"),
                          worker_count=worker_count, task_timeout_seconds=task_timeout,
                          max_queue_depth=max_queue_depth, agent_emoji=str(raw.get("agent_emoji") or ""),
                          preferred_search=str(raw.get("preferred_search") or ""))
    agents = [default]
    seen = {DEFAULT_AGENT_ID}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            warnings.append(f"agents[{index}] is not a mapping; skipped")
            continue
        agent_id = str(entry.get("agent_id") or "").strip()
        if not AGENT_ID_RE.match(agent_id):
            warnings.append(f"agents[{index}]: empty or invalid agent_id {agent_id!r}; skipped")
            continue
        if agent_id == DEFAULT_AGENT_ID:
            _apply_entry(default, entry, index)
            continue
        if agent_id in seen:
            warnings.append(f"agents[{index}]: duplicate agent_id {agent_id!r}; skipped")
            continue
        seen.add(agent_id)
        agent = AgentConfig(agent_id=agent_id, worker_count=AGENT_DEFAULT_WORKERS,
                            task_timeout_seconds=AGENT_DEFAULT_TIMEOUT, max_queue_depth=0)
        _apply_entry(agent, entry, index)
        agents.append(agent)
    return agents


def _apply_entry(agent: AgentConfig, entry: dict[str, Any], index: int) -> None:
    where = f"agents[{index}] ({agent.agent_id})"
    for key in ("display_name", "provider", "model", "soul", "api_key_env", "agent_emoji", "preferred_search"):
        if entry.get(key) is not None:
            if not isinstance(entry[key], str):
                raise ConfigError(f"{where}.{key} must be a string")
            setattr(agent, key, entry[key])
    for key, minimum in (("worker_count", 1), ("task_timeout_seconds", 1), ("max_queue_depth", 0)):
        if entry.get(key) is not None:
            setattr(agent, key, _integer({f"{where}.{key}": entry[key]}, f"{where}.{key}", minimum))
    if entry.get("skills_filter") is not None:
        if not isinstance(entry["skills_filter"], list):
            raise ConfigError(f"{where}.skills_filter must be a list")
        agent.skills_filter = [str(item) for item in entry["skills_filter"]]
    agent.extra = {k: v for k, v in entry.items() if k not in vars(agent)}


def _hops(raw: dict[str, Any], agents: list[AgentConfig]) -> int:
    """delegation_max_hops: default min(max(worker_count−1, 1), 2). The effective value, explicit or not,
    must be ≤ worker_count−1 of every agent, or a chain of delegations could hold every lane (SPEC §2.3)."""
    if raw.get("delegation_max_hops") is None:
        hops = min(max(agents[0].worker_count - 1, 1), 2)
        origin = "the default delegation_max_hops"
    else:
        hops = _integer(raw, "delegation_max_hops", 0)
        origin = "delegation_max_hops"
    for agent in agents:
        if hops > agent.worker_count - 1:
            raise ConfigError(f"{origin} ({hops}) must be at most worker_count - 1 ({agent.worker_count - 1}) "
                              f"of agent {agent.agent_id!r}, or delegations deadlock; give that agent more "
                              f"workers or set delegation_max_hops: {max(agent.worker_count - 1, 0)}")
    return hops
