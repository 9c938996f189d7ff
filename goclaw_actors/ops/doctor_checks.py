"""`goclaw doctor` checks about settings and surroundings: Config, API Key, External Tools, Network.

Each check returns a Check: PASS, WARN, FAIL or SKIP, with what was found and, unless PASS, the fix.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from goclaw_actors.brain.provider_selection import (AUTO_ORDER, KEY_ENV, PROVIDER_NAMES, explicit_provider_name,
                                                    select_provider)
from goclaw_actors.config.loader import CONFIG_FILE, load_config
from goclaw_actors.config.model import Config
from goclaw_actors.errors import ConfigError, StartupError
from goclaw_actors.http.server import bind_listener
from goclaw_actors.ops.daemon_probe import FOREIGN, NONE, OTHER_GOCLAW, probe_daemon

PASS, WARN, FAIL, SKIP = "PASS", "WARN", "FAIL", "SKIP"
KEY_HINT = ("set GEMINI_API_KEY, ANTHROPIC_API_KEY, OPENAI_API_KEY or OPENROUTER_API_KEY "
            "(or `goclaw import` them from a .env file)")
NO_CONFIG = "config.yaml did not load (see Config)"


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        """`{name, status, detail}` plus `fix` when there is one."""
        body = {"name": self.name, "status": self.status, "detail": self.detail}
        if self.fix:
            body["fix"] = self.fix
        return body


def config_check(home: Path, environ: Mapping[str, str]) -> tuple[Check, Config | None]:
    """config.yaml and the environment load and validate; returns the check and the Config (None on FAIL)."""
    name, path = "Config", home / CONFIG_FILE
    try:
        config = load_config(home, environ)
    except ConfigError as exc:
        return Check(name, FAIL, str(exc), f"correct {path} (or the environment variable that overrides it)"), None
    agents = ", ".join(agent.agent_id for agent in config.agents)
    summary = f"{len(config.agents)} agents ({agents}), bind_addr {config.bind_addr}"
    if not path.is_file():
        return Check(name, WARN, f"no {path}; built-in defaults apply: {summary}",
                     "run `goclaw daemon` once: the first start writes config.yaml"), config
    if config.warnings:
        return Check(name, WARN, "; ".join(config.warnings) + f"; {summary}",
                     f"remove or correct the keys named in {path}"), config
    return Check(name, PASS, f"{path} is valid: {summary}"), config


def api_key_check(config: Config | None, environ: Mapping[str, str], embedded_ok: bool) -> Check:
    """The provider the `default` agent would use (SPEC §4.3) has what it needs; agents' api_key_env are set."""
    name = "API Key"
    if config is None:
        return Check(name, SKIP, NO_CONFIG)
    default = config.agent("default")
    explicit = explicit_provider_name(config, default)
    if explicit and explicit not in PROVIDER_NAMES:
        return Check(name, FAIL, f"llm.provider {explicit!r} is not a known provider",
                     f"use one of {', '.join(PROVIDER_NAMES)}, or leave it empty to choose automatically")
    if explicit == "none":
        return Check(name, WARN, "llm.provider is none: every chat gets the no-API-key reply",
                     "set llm.provider to a provider (or empty for automatic) and its key")
    selection = select_provider(config, default, environ, embedded_ok)
    if selection is None:
        if explicit in AUTO_ORDER:
            return Check(name, FAIL, f"llm.provider is {explicit} but no key for it is set",
                         f"set {' or '.join(KEY_ENV[explicit])} (or providers.{explicit}.api_key in config.yaml)")
        if explicit == "embedded":
            return Check(name, FAIL, "llm.provider is embedded but the embedded model is not available",
                         "see Embedded Model below")
        if explicit == "openai_compatible":
            return Check(name, FAIL, "llm.provider is openai_compatible without llm.openai_compatible_base_url "
                         "and llm.openai_model", "set both in config.yaml")
        return Check(name, WARN, "no provider key and no embedded model: chats get the \"No API key "
                     "configured\" reply", KEY_HINT)
    detail = f"{selection.name}, model {selection.model}" + (", key set" if selection.api_key else "")
    unset = sorted({agent.api_key_env.strip() for agent in config.agents
                    if agent.api_key_env.strip() and not environ.get(agent.api_key_env.strip(), "").strip()})
    if unset:
        return Check(name, WARN, f"{detail}; api_key_env variables not set: {', '.join(unset)}",
                     f"set {', '.join(unset)} (those agents fall back to the global provider)")
    if selection.name == "embedded" and not explicit:
        return Check(name, WARN, f"no provider key; the embedded model answers ({selection.model})", KEY_HINT)
    return Check(name, PASS, detail)


# Tools the daemon may run: (command, why, needed(config, home) -> bool).
def _sandbox_on(config: Config, home: Path) -> bool:
    return bool(config.get("tools.shell.sandbox"))


def _go_skills(config: Config, home: Path) -> bool:
    dirs = [home / "skills", home / "installed", Path(str(config.get("skills.project_dir") or "./skills"))]
    return any(next(directory.rglob("*.go"), None) is not None for directory in dirs if directory.is_dir())


def _always(config: Config, home: Path) -> bool:
    return True


def _mcp_commands(config: Config) -> set[str]:
    """The `command` of every enabled stdio MCP server (global and per agent), by base name."""
    lists = [config.get("mcp.servers")] + [agent.extra.get("mcp_servers") for agent in config.agents]
    servers = [server for entries in lists if isinstance(entries, list) for server in entries]
    return {Path(str(server.get("command"))).name for server in servers
            if isinstance(server, dict) and server.get("command") and server.get("enabled", True) is not False}


def _mcp_runs(command: str):
    return lambda config, home: command in _mcp_commands(config)


TOOLS = (
    ("git", "installs and updates skills from git", _always),
    ("docker", "sandboxes exec (tools.shell.sandbox)", _sandbox_on),
    ("tinygo", "builds .go skills into WASM", _go_skills),
    ("node", "runs a configured MCP server", _mcp_runs("node")),
    ("npx", "starts a configured MCP server", _mcp_runs("npx")),
)


def external_tools_check(config: Config | None, home: Path, environ: Mapping[str, str]) -> Check:
    """git, docker, tinygo, node/npx on PATH; WARN when one that the configuration needs is missing."""
    name = "External Tools"
    if config is None:
        return Check(name, SKIP, NO_CONFIG)
    found, needed_missing, optional_missing = [], [], []
    for command, why, needed in TOOLS:
        if shutil.which(command, path=environ.get("PATH")):
            found.append(command)
        elif needed(config, home):
            needed_missing.append(f"{command} ({why})")
        else:
            optional_missing.append(command)
    parts = [f"found: {', '.join(found) or 'none'}"]
    if optional_missing:
        parts.append(f"optional, missing: {', '.join(optional_missing)}")
    if needed_missing:
        parts.append(f"missing: {', '.join(needed_missing)}")
        return Check(name, WARN, "; ".join(parts), "install the missing tools and put them on PATH")
    return Check(name, PASS, "; ".join(parts))


def network_check(config: Config | None, token: str) -> Check:
    """bind_addr is either served by our daemon (answering /healthz, accepting our token) or free to bind."""
    name = "Network"
    if config is None:
        return Check(name, SKIP, NO_CONFIG)
    address = config.bind_addr
    probe = probe_daemon(address, token)
    fix_port = "stop the program holding it, or change bind_addr (GOCLAW_BIND_ADDR)"
    if probe.state == FOREIGN:
        return Check(name, FAIL, f"{address} is used by another program ({probe.detail})", fix_port)
    if probe.state == OTHER_GOCLAW:
        return Check(name, WARN, f"a goclaw daemon at {address} {probe.detail} (another GOCLAW_HOME?)",
                     "stop that daemon, or give this home another bind_addr")
    if probe.state == NONE:
        try:
            bind_listener(address).close()
        except StartupError as exc:
            return Check(name, FAIL, f"cannot listen on {address}: {exc}", fix_port)
        return Check(name, PASS, f"{address} is free (no daemon running)")
    health: dict[str, Any] = probe.health or {}
    if not health.get("healthy"):
        return Check(name, FAIL, f"our daemon answers at {address} but is unhealthy (db_ok "
                     f"{str(health.get('db_ok')).lower()})", "see logs/system.jsonl, then restart the daemon")
    return Check(name, PASS, f"our daemon {health.get('version', '')} serves {address} and is healthy")
