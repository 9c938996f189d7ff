"""What built-in tools need from the daemon, as plain values and callables (wired in supervisors/)."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from goclaw_actors.store.api.facade import StoreApi
from goclaw_actors.tools.pinned_http import Guard
from goclaw_actors.tools.url_guard import Resolver, check_url, system_resolve


@dataclass
class ToolEnv:
    """One agent's view for its tools: home, live policy and config, environment, store writes."""

    home: Path
    agent_id: str
    policy: Callable[[], Any]  # the Policy in force now
    config: Callable[[str, Any], Any]  # `config(dotted_key, default)`
    store: StoreApi  # durable writes by noun (`store.tasks.enqueue(...)`), each committed when it returns
    environ: Mapping[str, str] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()  # values (keys, tokens) never handed to a child process
    preferred_search: str = ""
    resolve: Resolver = system_resolve
    skills: Any = None  # goclaw_actors.skills.agent_skills.AgentSkills: what use_skill may load
    links: Any = None  # goclaw_actors.delegation.links.AgentLinks: the multi-agent tools' routes to other agents

    @property
    def workspace(self) -> Path:
        """`$GOCLAW_HOME/workspace`: memory files and the default root of file tools and exec."""
        return self.home / "workspace"

    def guard(self) -> Guard:
        """The URL check under the policy in force now (SPEC §5.4)."""
        policy = self.policy()
        return lambda url: check_url(url, policy.domains, policy.allow_loopback, self.resolve)
