"""The validated configuration the daemon runs with (SPEC §2.3, §2.4, §2.8)."""

import json
from dataclasses import dataclass, field
from typing import Any

from goclaw_actors.fnv import fnv1a64_hex


def dotted_get(mapping: dict[str, Any], dotted: str, default: Any = None) -> Any:
    """The value at a dotted path such as `api_keys.brave_api_key` in nested mappings, or `default`."""
    node: Any = mapping
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


@dataclass
class AgentConfig:
    """One agent entry of config.yaml after validation."""

    agent_id: str
    display_name: str = ""
    provider: str = ""
    model: str = ""
    soul: str = ""
    api_key_env: str = ""
    worker_count: int = 4
    task_timeout_seconds: int = 600
    max_queue_depth: int = 0
    skills_filter: list[str] = field(default_factory=list)
    agent_emoji: str = ""
    preferred_search: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        """The columns of this agent's `agents` row."""
        return {
            "display_name": self.display_name or self.agent_id,
            "provider": self.provider or None,
            "model": self.model or None,
            "soul": self.soul or None,
            "worker_count": self.worker_count,
            "task_timeout_seconds": self.task_timeout_seconds,
            "max_queue_depth": self.max_queue_depth,
            "skills_filter": json.dumps(self.skills_filter) if self.skills_filter else None,
            "api_key_env": self.api_key_env or None,
            "agent_emoji": self.agent_emoji or None,
            "preferred_search": self.preferred_search or None,
        }


@dataclass
class Config:
    """Effective settings (env > config.yaml > defaults); `raw` keeps every merged key for `get`."""

    worker_count: int
    task_timeout_seconds: int
    bind_addr: str
    log_level: str
    max_queue_depth: int
    drain_timeout_seconds: float
    heartbeat_interval_minutes: int
    engine_tick_seconds: float
    lease_seconds: float
    delegation_max_hops: int
    allow_origins: list[str]
    agents: list[AgentConfig]
    raw: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def get(self, dotted: str, default: Any = None) -> Any:
        """The merged value at a dotted path such as `gateway.max_request_size`."""
        return dotted_get(self.raw, dotted, default)

    @property
    def default_model(self) -> str:
        """The model the `default` agent uses unless told otherwise (the embedded one when unset)."""
        llm = self.raw.get("llm") or {}
        return str(llm.get("openai_model") or llm.get("anthropic_model") or llm.get("gemini_model")
                   or llm.get("embedded_model") or "qwen2.5-coder-1.5b")

    @property
    def config_hash(self) -> str:
        """`cfg-` + FNV-1a 64 of the fingerprint fields (SPEC §2.8)."""
        text = "|".join([str(self.worker_count), str(self.task_timeout_seconds), self.bind_addr, self.log_level,
                         self.default_model, ",".join(self.allow_origins)])
        return "cfg-" + fnv1a64_hex(text)

    def agent(self, agent_id: str) -> AgentConfig | None:
        """The configured agent called `agent_id`, or None."""
        return next((agent for agent in self.agents if agent.agent_id == agent_id), None)
