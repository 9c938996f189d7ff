"""MCP server entries of config.yaml (SPEC §8.4): global `mcp.servers[]` and per-agent `agents[].mcp_servers[]`.

    servers = parse_servers(config.get("mcp.servers"), "mcp.servers")   # or ConfigError naming the field
    servers[0].transport                                                # "stdio" | "streamable-http" | "sse"

Fields: `name` (letters, digits, `_`, `.`, `-`), `command` + `args` + `env` (stdio), `url` (HTTP
transports), `transport` (default `stdio` when `command` is set, else `streamable-http`), `timeout`
(seconds for each `tools/call`, default 30) and `enabled` (default true). Values of `env` may name
variables of the daemon's environment as `${NAME}`; nothing else of that environment reaches the server
beyond the SDK's safe defaults (HOME, PATH, ...).
"""

import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

from goclaw_actors.config.bounds import MCP_TIMEOUT, number
from goclaw_actors.config.text_values import ENV_VAR_RE, check_text, field_label
from goclaw_actors.errors import ConfigError

STDIO = "stdio"
STREAMABLE_HTTP = "streamable-http"
SSE = "sse"
TRANSPORTS = (STDIO, STREAMABLE_HTTP, SSE)
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_SERVERS = 64
MAX_ARGS = 256
SERVER_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
ENV_REFERENCE_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]{0,127})\}")
KNOWN_FIELDS = frozenset({"name", "command", "args", "env", "url", "transport", "timeout", "enabled"})


@dataclass(frozen=True)
class McpServerConfig:
    """One MCP server the daemon connects to."""

    name: str
    transport: str
    command: str = ""
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str = ""
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    enabled: bool = True

    def environment(self, environ: Mapping[str, str]) -> dict[str, str]:
        """`env` with each `${NAME}` replaced by that variable of `environ` (empty when unset)."""
        return {key: ENV_REFERENCE_RE.sub(lambda match: environ.get(match.group(1), ""), value)
                for key, value in self.env}

    def describe(self) -> str:
        """Where the server is: its URL, or its command line."""
        return self.url if self.transport != STDIO else " ".join((self.command, *self.args))


def parse_servers(value: Any, where: str) -> tuple[McpServerConfig, ...]:
    """Every entry of a server list (None: none); raises ConfigError naming `<where>[i].<field>`.
    Names must be unique within the list."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list of servers")
    if len(value) > MAX_SERVERS:
        raise ConfigError(f"{where} must have at most {MAX_SERVERS} servers")
    servers = tuple(parse_server(entry, f"{where}[{index}]") for index, entry in enumerate(value))
    seen: set[str] = set()
    for index, server in enumerate(servers):
        if server.name in seen:
            raise ConfigError(f"{where}[{index}].name: duplicate server name {server.name!r}")
        seen.add(server.name)
    return servers


def parse_server(entry: Any, where: str) -> McpServerConfig:
    """One server entry; raises ConfigError naming `<where>.<field>`."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    unknown = sorted(str(key) for key in entry if key not in KNOWN_FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown field {field_label(unknown[0])}")
    name = check_text(entry.get("name"), f"{where}.name", 64).strip() if entry.get("name") is not None else ""
    if not SERVER_NAME_RE.fullmatch(name):
        raise ConfigError(f"{where}.name must be 1 to 64 letters, digits, _, . or - starting with a letter or digit")
    command = check_text(entry.get("command") or "", f"{where}.command", 4096).strip()
    url = check_text(entry.get("url") or "", f"{where}.url", 4096).strip()
    if not command and not url:
        raise ConfigError(f"{where} needs a command (stdio) or a url (streamable-http, sse)")
    transport = entry.get("transport") or (STDIO if command else STREAMABLE_HTTP)
    if transport not in TRANSPORTS:
        raise ConfigError(f"{where}.transport must be one of {', '.join(TRANSPORTS)}")
    if transport == STDIO and not command:
        raise ConfigError(f"{where}.command is required for the stdio transport")
    if transport != STDIO:
        _check_url(url, f"{where}.url")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}.enabled must be true or false")
    timeout = entry.get("timeout")
    return McpServerConfig(
        name=name, transport=transport, command=command, args=_args(entry.get("args"), f"{where}.args"),
        env=_env(entry.get("env"), f"{where}.env"), url=url, enabled=enabled,
        timeout=DEFAULT_TIMEOUT_SECONDS if timeout is None else float(number(timeout, f"{where}.timeout", MCP_TIMEOUT)))


def _check_url(url: str, key: str) -> None:
    if not url:
        raise ConfigError(f"{key} is required for HTTP transports")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key} must be an http:// or https:// URL")


def _args(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_ARGS:
        raise ConfigError(f"{key} must be a list of at most {MAX_ARGS} strings")
    return tuple(check_text(str(item) if isinstance(item, (int, float)) and not isinstance(item, bool) else item,
                            f"{key}[{index}]", 4096) for index, item in enumerate(value))


def _env(value: Any, key: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key} must be a mapping of variable names to values")
    pairs = []
    for name, text in value.items():
        if not isinstance(name, str) or not ENV_VAR_RE.fullmatch(name):
            raise ConfigError(f"{key}: {field_label(name)} is not an environment variable name")
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(text)
        pairs.append((name, check_text(text, f"{key}.{name}", 4096)))
    return tuple(sorted(pairs))
