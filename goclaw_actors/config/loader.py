"""Reads config.yaml, applies the environment and validates (precedence env > file > defaults).

Any bad file (unreadable, not UTF-8, not YAML, nested too deep, wrong types, numbers out of range, NaN,
text that is not valid Unicode) is a ConfigError naming the key, never another exception.
"""

import copy
from pathlib import Path
from typing import Any, Mapping

import yaml

from goclaw_actors.bind_addr import parse_bind_addr
from goclaw_actors.channels.telegram_settings import apply_telegram_env, telegram_settings
from goclaw_actors.config.agent_entry import agent_from_entry, apply_entry
from goclaw_actors.config.bounds import CONTEXT_LIMIT, check_settings, number
from goclaw_actors.config.defaults import DEFAULT_AGENT_ID, DEFAULTS, ENV_OVERRIDES, KNOWN_KEYS, LOG_LEVELS
from goclaw_actors.config.embedded_model_setting import check_embedded_model
from goclaw_actors.config.hop_limit import check_hop_room
from goclaw_actors.config.model import AgentConfig, Config
from goclaw_actors.config.provider_names import check_provider_name
from goclaw_actors.config.starter_agents import STARTER_AGENTS
from goclaw_actors.config.yaml_errors import yaml_error_text
from goclaw_actors.config.storage_setting import STORAGE_ENV, apply_section_env, check_storage
from goclaw_actors.config.text_values import (MAX_NAME, check_model_name, check_text, field_label,
                                              unencodable_path)
from goclaw_actors.errors import ConfigError
from goclaw_actors.mcp.server_config import parse_servers

CONFIG_FILE = "config.yaml"
MAX_CONFIG_BYTES = 4 * 2**20
SECTIONS = ("gateway", "llm", "api_keys", "providers", "skills", "tools", "channels", "mcp", "a2a", "telemetry",
            "context_limits", "storage")
LLM_ENV = {"GOCLAW_LLM_PROVIDER": "provider", "GOCLAW_EMBEDDED_MODEL": "embedded_model"}
LLM_MODEL_KEYS = ("gemini_model", "anthropic_model", "openai_model")


def read_config_file(path: Path) -> dict[str, Any]:
    """The mapping in config.yaml ({} when the file is empty or absent); raises ConfigError when unreadable."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES // 2**20} MiB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    return parse_config_text(text, str(path))


def parse_config_text(text: str, source: str = CONFIG_FILE) -> dict[str, Any]:
    """The top-level mapping of config.yaml text; ConfigError when it is not YAML or not a mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source} is not valid YAML: {yaml_error_text(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{source} is nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must hold a mapping at the top level, not {type(data).__name__}")
    bad_key = next((key for key in data if not isinstance(key, str)), None)
    if bad_key is not None:
        raise ConfigError(f"{source}: top-level key {field_label(bad_key)} is not a string")
    return data


def load_config(home: Path, environ: Mapping[str, str]) -> Config:
    """The effective, validated configuration of `home`; raises ConfigError naming the bad key."""
    return config_from_data(read_config_file(home / CONFIG_FILE), environ)


def config_from_data(data: dict[str, Any], environ: Mapping[str, str]) -> Config:
    """The validated Config of config.yaml's mapping `data` under `environ` (also used to check a file before
    it is written, so that nothing the daemon would refuse at start is ever saved). `data` is not changed."""
    try:
        return _effective(copy.deepcopy(data), environ)
    except RecursionError:
        raise ConfigError("config.yaml is nested too deeply") from None


def _effective(data: dict[str, Any], environ: Mapping[str, str]) -> Config:
    warnings = [f"config.yaml: unknown key {field_label(key)} ignored" for key in sorted(data)
                if key not in KNOWN_KEYS]
    given = {key: value for key, value in data.items() if key in KNOWN_KEYS and (value is not None or key == "agents")}
    merged = _deep_merge(copy.deepcopy(DEFAULTS), given)
    sources = {}
    for variable, key in ENV_OVERRIDES.items():
        value = environ.get(variable, "").strip()
        if value:
            merged[key] = value
            sources[key] = f"{key} (from {variable})"
    apply_section_env(merged, environ, sources, "llm", LLM_ENV)
    apply_section_env(merged, environ, sources, "storage", STORAGE_ENV)
    apply_telegram_env(merged, environ, sources)
    bad_text = unencodable_path(merged)
    if bad_text is not None:
        raise ConfigError(f"{sources.get(bad_text, bad_text)} is not valid Unicode text (lone surrogate)")
    return _validate(merged, "agents" in data, warnings, sources)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def _validate(raw: dict[str, Any], agents_given: bool, warnings: list[str], sources: dict[str, str]) -> Config:
    for section in SECTIONS:
        if raw.get(section) is not None and not isinstance(raw[section], dict):
            raise ConfigError(f"{section} must be a mapping, got {type(raw[section]).__name__}")
    check_settings(raw, sources)
    worker_count = raw["worker_count"] if raw["worker_count"] > 0 else 4
    bind_addr = check_text(raw.get("bind_addr") or "", "bind_addr", 300).strip()
    try:
        parse_bind_addr(bind_addr)
    except ValueError as exc:
        raise ConfigError(f"bind_addr: {exc}") from None
    log_level = str(raw.get("log_level")).strip().lower()[:16]
    log_level = "warn" if log_level == "warning" else log_level
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
    tick, lease = raw["engine_tick_seconds"], raw["lease_seconds"]
    if lease <= tick:
        raise ConfigError(f"lease_seconds ({lease:g}) must be greater than engine_tick_seconds ({tick:g}), "
                          "or leases expire between heartbeats")
    origins = raw.get("allow_origins") or []
    if not isinstance(origins, list):
        raise ConfigError("allow_origins must be a list of strings")
    origins = [check_text(item, f"allow_origins[{index}]", 300) for index, item in enumerate(origins)]
    _check_llm(raw.get("llm") or {}, sources)
    _check_named_values(raw)
    check_storage(raw, sources)
    parse_servers((raw.get("mcp") or {}).get("servers"), "mcp.servers")
    telegram_settings(raw, sources)
    agents = _agents(raw, agents_given, worker_count, warnings)
    return Config(worker_count=worker_count, task_timeout_seconds=raw["task_timeout_seconds"], bind_addr=bind_addr,
                  log_level=log_level, max_queue_depth=raw["max_queue_depth"],
                  drain_timeout_seconds=raw["drain_timeout_seconds"],
                  heartbeat_interval_minutes=raw["heartbeat_interval_minutes"],
                  engine_tick_seconds=tick, lease_seconds=lease, delegation_max_hops=_hops(raw, agents),
                  allow_origins=origins, agents=agents, raw=raw, warnings=warnings)


def _check_llm(llm: dict[str, Any], sources: dict[str, str]) -> None:
    """Provider names, model names and the embedded model (a name in models/, never a path)."""
    for key in ("provider",):
        if llm.get(key) is not None:
            llm[key] = check_provider_name(llm[key], sources.get(f"llm.{key}", f"llm.{key}"))
    for key in LLM_MODEL_KEYS:
        if llm.get(key) not in (None, ""):
            llm[key] = check_model_name(llm[key], f"llm.{key}")
    if llm.get("embedded_model") not in (None, ""):
        llm["embedded_model"] = check_embedded_model(llm["embedded_model"],
                                                     sources.get("llm.embedded_model", "llm.embedded_model"))
    fallbacks = llm.get("fallback_providers")
    if isinstance(fallbacks, list):
        for index, name in enumerate(fallbacks):
            check_provider_name(name, f"llm.fallback_providers[{index}]")


def _check_named_values(raw: dict[str, Any]) -> None:
    """Deprecated top-level LLM keys, `api_keys` values and `context_limits` numbers."""
    if raw.get("llm_provider") is not None:
        check_provider_name(raw["llm_provider"], "llm_provider")
    if raw.get("gemini_model") not in (None, ""):
        check_model_name(raw["gemini_model"], "gemini_model")
    for key in ("agent_name", "agent_emoji", "preferred_search"):
        if raw.get(key) is not None:
            raw[key] = check_text(raw[key], key, MAX_NAME)
    for name, value in (raw.get("api_keys") or {}).items():
        if value is not None and not isinstance(value, (int, float)):
            check_text(value, f"api_keys.{field_label(name)}", 4096)
    for model, limit in (raw.get("context_limits") or {}).items():
        number(limit, f"context_limits.{field_label(model)}", CONTEXT_LIMIT)


def _agents(raw: dict[str, Any], given: bool, worker_count: int, warnings: list[str]) -> list[AgentConfig]:
    """`default` first (from the top-level keys and an optional `default` entry), then the others."""
    entries = raw.get("agents") if given else STARTER_AGENTS
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise ConfigError(f"agents must be a list, got {type(entries).__name__}")
    default = AgentConfig(agent_id=DEFAULT_AGENT_ID, display_name=str(raw.get("agent_name") or "GoClaw"),
                          worker_count=worker_count, task_timeout_seconds=raw["task_timeout_seconds"],
                          max_queue_depth=raw["max_queue_depth"], agent_emoji=str(raw.get("agent_emoji") or ""),
                          preferred_search=str(raw.get("preferred_search") or ""))
    agents = [default]
    seen = {DEFAULT_AGENT_ID}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            warnings.append(f"agents[{index}] is not a mapping; skipped")
            continue
        agent_id = entry.get("agent_id")
        try:
            agent = agent_from_entry({"agent_id": agent_id}, f"agents[{index}]")
        except ConfigError:
            warnings.append(f"agents[{index}]: empty or invalid agent_id {field_label(agent_id)}; skipped")
            continue
        where = f"agents[{index}] ({agent.agent_id})"
        if agent.agent_id == DEFAULT_AGENT_ID:
            apply_entry(default, entry, where)
            continue
        if agent.agent_id in seen:
            warnings.append(f"agents[{index}]: duplicate agent_id {agent.agent_id!r}; skipped")
            continue
        seen.add(agent.agent_id)
        agents.append(apply_entry(agent, entry, where))
    return agents


def _hops(raw: dict[str, Any], agents: list[AgentConfig]) -> int:
    """delegation_max_hops: default min(max(worker_count−1, 1), 2). The effective value, explicit or not,
    must be ≤ worker_count−1 of every agent (SPEC §2.3)."""
    if raw.get("delegation_max_hops") is None:
        hops = min(max(agents[0].worker_count - 1, 1), 2)
        origin = "the default delegation_max_hops"
    else:
        hops = raw["delegation_max_hops"]
        origin = "delegation_max_hops"
    for agent in agents:
        check_hop_room(hops, agent.agent_id, agent.worker_count, origin)
    return hops
