"""An agent's built-in tools and the tool path's ports (dedup, approvals), wired to the running daemon."""

from pathlib import Path
from typing import Any, Callable, Mapping

import pykka

from actors.store_client import StoreClient
from actors.tool_approval import ToolApprovals
from actors.worker import CancelTask
from goclaw_actors.brain.tools import ToolRegistry
from goclaw_actors.config.model import AgentConfig, Config
from goclaw_actors.delegation.links import AgentLinks
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.store.sqlite_dedup import DedupDecision
from goclaw_actors.tools.builtin import builtin_tools
from goclaw_actors.secret_scrub import secret_values
from goclaw_actors.tools.shell_env import env_allow_names, refused_names
from goclaw_actors.tools.tool_env import ToolEnv
from supervisors.mcp_wiring import McpToolSource

log = get_logger("tools")


class StoreDedup:
    """Tool-call idempotency through the store (`dedup_begin` / `dedup_finish`, SPEC §3.10)."""

    def __init__(self, store: StoreClient):
        self.store = store

    def begin(self, task_id: str, tool_name: str, arguments: dict[str, Any]) -> DedupDecision:
        """Record the call PENDING (committed before the tool runs), or return its recorded result."""
        return self.store.dedup.dedup_begin(task_id=task_id, tool_name=tool_name, arguments=arguments)

    def finish(self, key: str, succeeded: bool, result: Any) -> None:
        """Record the outcome of the call. Not awaited: it commits before any later write of the task (the
        store keeps their order), so a crash before it leaves the row PENDING and the call runs again."""
        self.store.dedup.dedup_finish.send(lambda exc: log.error("tool call outcome not recorded", key=key,
                                                                 error=str(exc)),
                                           key=key, succeeded=succeeded, result=result)


def agent_tools(rt: Any, agent: AgentConfig, config: Config, home: Path,
                environ: Mapping[str, str]) -> ToolRegistry:
    """Every built-in tool for `agent` and the tools of its MCP servers and the global ones (offered and
    allowed per the policy in force at each call)."""
    refused = refused_names(env_allow_names(config.get("tools.shell.env_allow", None)))
    if refused:
        log.warn("tools.shell.env_allow names secret-looking variables; they are never passed",
                 names=",".join(refused))
    env = ToolEnv(home=home, agent_id=agent.agent_id, policy=rt.current_policy, config=config.get,
                  store=rt.store, environ=environ, secrets=secret_values(config, home, environ),
                  preferred_search=agent.preferred_search or str(config.get("preferred_search", "") or ""),
                  skills=rt.skills.agent_skills(agent.skills_filter) if getattr(rt, "skills", None) else None,
                  links=agent_links(rt))
    return builtin_tools(env, sources=[McpToolSource(rt, agent.agent_id)])


def agent_links(rt: Any) -> AgentLinks:
    """The routes delegation, messages and team runs take to the other agents of the running daemon."""
    ports = rt.daemon_ports()
    return AgentLinks(store=rt.store, read=rt.reads.run, watch_task=lambda task_id: ports.watch(task_id=task_id),
                      interrupt=lambda agent_id, task_id: interrupt_task(rt, agent_id, task_id),
                      settings=lambda: rt.config)


def interrupt_task(rt: Any, agent_id: str, task_id: str) -> None:
    """Tell every lane of the agent to kill its attempt of `task_id` (only the one running it does); for a task
    the store has already canceled."""
    for name in rt.registry.names(f"worker:{agent_id}:"):
        ref = rt.registry.lookup(name)
        if ref is None:
            continue
        try:
            ref.tell(CancelTask(task_id))
        except pykka.ActorDeadError:
            pass  # a lane that just died runs nothing; its restart claims only live tasks


def policy_allows(rt: Any) -> Callable[[str], bool]:
    """Whether the policy in force now grants a capability."""
    return lambda capability: rt.current_policy().allows(capability)


def task_audit(rt: Any, agent_id: str) -> Callable[[str, str, str, str], None]:
    """`audit(task_id, decision, capability, reason)`: a decision taken while a task runs (trace id = task)."""
    def audit(task_id: str, decision: str, capability: str, reason: str) -> None:
        rt.audit_decision(decision, capability, reason, subject=agent_id, trace_id=task_id, wait=False)

    return audit


def tool_approvals(rt: Any) -> ToolApprovals:
    """Approvals for tools listed in the policy's `require_approval`."""
    return ToolApprovals(rt.daemon_ports(), rt.current_policy)
