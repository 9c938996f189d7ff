"""What changed between the running configuration and a reloaded one (SPEC §2.7): the agents to start,
stop or reconfigure, whether every agent's brain must be rebuilt, and the changes that need a restart.

    changes = config_changes(running, reloaded)
    changes.added, changes.removed, changes.changed, changes.brains_changed, changes.restart_only
"""

from dataclasses import dataclass

from goclaw_actors.config.defaults import DEFAULT_AGENT_ID
from goclaw_actors.config.model import AgentConfig, Config

# Top-level keys every agent's brain is built from: provider selection, models, keys, tools, identity.
BRAIN_KEYS = ("llm", "llm_provider", "gemini_model", "gemini_api_key", "providers", "api_keys", "tools",
              "context_limits", "agent_name", "agent_emoji", "preferred_search", "skills", "mcp")
# Keys read once at start-up: a new value is only taken by a restart (the database path is GOCLAW_HOME's).
RESTART_ONLY_KEYS = ("bind_addr",)


@dataclass(frozen=True)
class ConfigChanges:
    """The difference between two valid configurations."""

    added: tuple[AgentConfig, ...]  # configured now and not before
    removed: tuple[str, ...]  # configured before and not now (never `default`)
    changed: tuple[AgentConfig, ...]  # configured in both, with other settings (`default` included)
    brains_changed: bool  # a BRAIN_KEYS value changed: every agent's brain is rebuilt
    restart_only: tuple[str, ...]  # RESTART_ONLY_KEYS whose value changed

    @property
    def agents_touched(self) -> bool:
        """Whether any agent is started, stopped or reconfigured."""
        return bool(self.added or self.removed or self.changed or self.brains_changed)


def config_changes(old: Config, new: Config) -> ConfigChanges:
    """The changes from `old` (running) to `new` (reloaded)."""
    before = {agent.agent_id: agent for agent in old.agents}
    after = {agent.agent_id: agent for agent in new.agents}
    return ConfigChanges(
        added=tuple(agent for agent_id, agent in after.items() if agent_id not in before),
        removed=tuple(agent_id for agent_id in before if agent_id not in after and agent_id != DEFAULT_AGENT_ID),
        changed=tuple(agent for agent_id, agent in after.items() if agent_id in before and agent != before[agent_id]),
        brains_changed=any(old.raw.get(key) != new.raw.get(key) for key in BRAIN_KEYS),
        restart_only=tuple(key for key in RESTART_ONLY_KEYS if getattr(old, key) != getattr(new, key)),
    )
