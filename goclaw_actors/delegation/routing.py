"""Who a delegation goes to and how deep it is (SPEC §7.2): target or capability, no self-delegation, hop limit."""

from typing import Any

from goclaw_actors.delegation.links import AgentLinks
from goclaw_actors.store.delegation_reads import agents_by_age
from goclaw_actors.tools.errors import ToolError

SELF_DELEGATION = "cannot delegate to self"


def choose_target(links: AgentLinks, arguments: dict[str, Any], caller: str) -> str:
    """The agent named by `target_agent` (a leading @ is allowed), or the first active agent other than the
    caller (oldest first) whose capabilities hold `capability`; raises ToolError."""
    target = str(arguments.get("target_agent") or "").strip().removeprefix("@")
    capability = str(arguments.get("capability") or "").strip()
    if target and capability:
        raise ToolError("give target_agent or capability, not both")
    if capability:
        target = next((agent for agent in links.read(agents_by_age)
                       if agent != caller and capability in links.capabilities(agent)), "")
        if not target:
            raise ToolError(f'no other agent has capability "{capability}"')
    if not target:
        raise ToolError("target_agent or capability is required")
    if target == caller:
        raise ToolError(SELF_DELEGATION)
    return target


def hop_of(payload: dict[str, Any], key: str = "delegation_hop") -> int:
    """A task's hop count (`delegation_hop`, or `message_depth`) from its payload: 0 when absent or not a
    whole number."""
    value = payload.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def child_hop(parent_hop: int, max_hops: int) -> int:
    """The child's hop: one more than the parent's, which must be below `max_hops`; raises ToolError."""
    if parent_hop >= max_hops:
        raise ToolError(f"delegation hop limit exceeded (max {max_hops})")
    return parent_hop + 1
