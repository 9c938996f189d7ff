"""A ToolEnv for tool tests: a real GOCLAW_HOME layout, a parsed policy, a config dict, real store writes."""

from pathlib import Path
from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.policy.policy_file import parse_policy
from goclaw_actors.tools.tool_env import ToolEnv


def lookup(config: dict[str, Any]):
    """`get(dotted, default)` over a nested dict, like Config.get."""
    def get(dotted: str, default: Any = None) -> Any:
        node: Any = config
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node
    return get


def make_env(home: Path, policy_yaml: str = "", config: dict[str, Any] | None = None, store=None,
             environ: dict[str, str] | None = None, **kwargs: Any) -> ToolEnv:
    """A ToolEnv rooted at `home` (its workspace created)."""
    (home / "workspace").mkdir(parents=True, exist_ok=True)
    policy = parse_policy(policy_yaml)
    return ToolEnv(home=home, agent_id="default", policy=lambda: policy, config=lookup(config or {}),
                   store=store, environ=environ or {}, **kwargs)


def context(task_id: str = "11111111-1111-4111-8111-111111111111", audits: list | None = None) -> ToolContext:
    """A ToolContext recording the decisions a tool audits itself."""
    audit = (lambda decision, reason: audits.append((decision, reason))) if audits is not None else None
    ctx = ToolContext(task_id, "22222222-2222-4222-8222-222222222222", "default")
    if audit:
        ctx.audit = audit
    return ctx
