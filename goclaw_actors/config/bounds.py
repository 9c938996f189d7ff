"""The allowed range of every numeric setting (SPEC §2.3, §2.4), checked on every path that sets one:
config.yaml and the environment at load, ACP `agent.create`, stored `agents` rows, `goclaw pull`.

    number(raw_value, "worker_count", AGENT_BOUNDS["worker_count"])  # -> 4, or ConfigError naming the key

A value outside its range is refused, never clamped: the daemon must not start with a number the
operator did not mean (and a huge one must not hang it).
"""

import math
from dataclasses import dataclass
from typing import Any, Mapping

from goclaw_actors.errors import ConfigError

MAX_NUMBER_TEXT = 32  # characters of a number written as text (env vars, quoted YAML)


@dataclass(frozen=True)
class Bound:
    """An inclusive range; `whole` numbers only unless it is False (seconds may be fractional)."""

    minimum: float
    maximum: float
    whole: bool = True

    def describe(self) -> str:
        """`1..64` as the README writes it."""
        return f"{_plain(self.minimum)}..{_plain(self.maximum)}"


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


# Agent entries (agents[] in config.yaml, ACP agent.create, stored rows).
AGENT_BOUNDS = {
    "worker_count": Bound(1, 64),
    "task_timeout_seconds": Bound(1, 86_400),
    "max_queue_depth": Bound(0, 1_000_000),
}
# An agent's `loop` settings (0 means the default) and structured output retries.
LOOP_BOUNDS = {
    "max_steps": Bound(0, 10_000),
    "max_tokens": Bound(0, 100_000_000),
    "checkpoint_interval": Bound(0, 10_000),
}
MAX_LOOP_DURATION_SECONDS = 7 * 86_400
STRUCTURED_OUTPUT_RETRIES = Bound(0, 10)
CONTEXT_LIMIT = Bound(1, 100_000_000)
MCP_TIMEOUT = Bound(0.1, 3600, whole=False)  # `timeout` of an MCP server entry (mcp.servers[], agents[].mcp_servers[])

# Global settings by dotted key. `worker_count` keeps SPEC §2.3's rule that ≤ 0 means 4, so only its top is
# bounded; `delegation_max_hops` is also held to every agent's worker_count − 1 by the loader.
SETTING_BOUNDS = {
    "worker_count": Bound(-math.inf, 64),
    "task_timeout_seconds": AGENT_BOUNDS["task_timeout_seconds"],
    "max_queue_depth": AGENT_BOUNDS["max_queue_depth"],
    "drain_timeout_seconds": Bound(0, 3600, whole=False),
    "heartbeat_interval_minutes": Bound(0, 10_080),
    "delegation_timeout_seconds": Bound(1, 300, whole=False),
    "delegation_max_hops": Bound(0, 63),
    "approval_timeout_seconds": Bound(1, 604_800, whole=False),
    "engine_tick_seconds": Bound(0.01, 3600, whole=False),
    "lease_seconds": Bound(0.05, 86_400, whole=False),
    "retention_task_events_days": Bound(0, 36_500),
    "retention_audit_log_days": Bound(0, 36_500),
    "retention_messages_days": Bound(0, 36_500),
    "gateway.max_request_size": Bound(1, 1 << 30),
    "gateway.replay_max_events": Bound(1, 100_000),
    "gateway.sse_heartbeat_seconds": Bound(0.05, 3600, whole=False),
    "gateway.request_head_timeout_seconds": Bound(0.05, 3600, whole=False),
    "gateway.rate_limit.requests_per_minute": Bound(1, 1_000_000),
    "gateway.rate_limit.burst_size": Bound(1, 1_000_000),
    "gateway.cors.max_age": Bound(0, 604_800),
    "gateway.auth.keys[].rate_limit": Bound(0, 1_000_000),
    "llm.failover_threshold": Bound(1, 1000),
    "llm.failover_cooldown_seconds": Bound(0, 86_400, whole=False),
    "skills.wasm.fuel": Bound(1, 10**13),
    "skills.wasm.timeout_seconds": Bound(0.1, 3600, whole=False),
    "tools.max_tool_turns": Bound(0, 50),
    "tools.shell.sandbox_memory_mb": Bound(16, 1_048_576),
    "telemetry.sample_rate": Bound(0, 1, whole=False),
    "storage.postgres_connect_timeout_seconds": Bound(1, 300),
}


def number(value: Any, key: str, bound: Bound) -> int | float:
    """`value` (a number, or a number written as text) within `bound`; ConfigError naming `key` otherwise.
    NaN, infinities, booleans and fractions of a whole-number setting are refused."""
    kind = "a whole number" if bound.whole else "a number"
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be {kind}")
    if isinstance(value, str):
        value = _parse_text(value.strip(), key, kind)
    if not isinstance(value, (int, float)):
        raise ConfigError(f"{key} must be {kind}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key} must be a finite number")
    if bound.whole and isinstance(value, float):
        if not value.is_integer():
            raise ConfigError(f"{key} must be {kind}")
        value = int(value)
    if value < bound.minimum:
        raise ConfigError(f"{key} must be at least {_plain(bound.minimum)}")
    if value > bound.maximum:
        raise ConfigError(f"{key} must be at most {_plain(bound.maximum)}")
    return value


def _parse_text(text: str, key: str, kind: str) -> int | float:
    if not text or len(text) > MAX_NUMBER_TEXT or not text.isascii():
        raise ConfigError(f"{key} must be {kind}")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{key} must be {kind}") from None


def check_settings(raw: dict[str, Any], labels: Mapping[str, str] | None = None) -> None:
    """Check every numeric setting of SETTING_BOUNDS present in the merged configuration `raw` and replace
    it by its number (`a.b[].c` reaches into each item of the list `a.b`); raises ConfigError naming the
    first bad one (`labels` renames a key, e.g. to say that its value came from an environment variable)."""
    for dotted, bound in SETTING_BOUNDS.items():
        for key, parent, name in _places(raw, dotted):
            if parent[name] is not None:
                parent[name] = number(parent[name], (labels or {}).get(key, key), bound)


def _places(node: Any, dotted: str, prefix: str = "") -> list[tuple[str, dict[str, Any], str]]:
    """(full key, containing mapping, name in it) of each value at `dotted`."""
    head, _, rest = dotted.partition(".")
    listed = head.endswith("[]")
    name = head[:-2] if listed else head
    if not isinstance(node, dict) or name not in node:
        return []
    here = f"{prefix}{name}"
    value = node[name]
    if not listed:
        return [(here, node, name)] if not rest else _places(value, rest, here + ".")
    if not isinstance(value, list):
        return []  # the list's own shape is checked where it is read
    found = []
    for index, item in enumerate(value):
        found += _places(item, rest, f"{here}[{index}].")
    return found
