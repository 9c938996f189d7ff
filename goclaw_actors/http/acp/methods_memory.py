"""ACP core-memory methods (SPEC §6): `memory.set`, `memory.delete`, `memory.clear`, `memory.list`,
`memory.search`. Memories belong to an agent (`agent_id`, default `default`): a key scoped to agents reaches
only theirs. Every change is audited (action = the method, reason = where it came from: `acp` or
`chat_command`) in the transaction that makes it.
"""

from typing import Any, Callable, TypeVar

from goclaw_actors.agent_memory.core_memory import MemoryInputError, check_key, check_value, matches
from goclaw_actors.errors import AgentNotFound
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import invalid
from goclaw_actors.http.acp.params import agent_id
from goclaw_actors.http.route_access import Scope
from goclaw_actors.store.agent_reads import agent_row
from goclaw_actors.store.knowledge_reads import agent_memories
from goclaw_actors.timeutil import rfc3339

MEMORY_SOURCE = "user"  # memories written by a person (ACP or a chat command)
R = TypeVar("R")


def owner(call: Call) -> str:
    """The agent whose knowledge the call touches: `agent_id` (default `default`), in the caller's scope and
    known to the daemon (-32603 `agent "<id>" not found` otherwise)."""
    agent = agent_id(call)
    if call.ctx.read(agent_row, agent) is None:
        raise AgentNotFound(agent)
    return agent


def audited_change(call: Call, op: Callable[..., R], subject: str, **kwargs: Any) -> R:
    """Run a store write (such as `call.ctx.store.memory.memory_set`) with its audit row (action = the method,
    trace id = the command's task if any)."""
    conn = call.conn
    return call.ctx.audited_store(op, call.method, getattr(conn, "origin", "acp"), subject=subject,
                                  trace_id=getattr(conn, "trace_id", None), **kwargs)


def checked_input(check: Any, value: Any) -> str:
    """`check(value)`, a refused key or value answered 1000 with the reason."""
    try:
        return check(value)
    except MemoryInputError as exc:
        raise invalid(str(exc)) from None


def item(memory: dict[str, Any]) -> dict[str, Any]:
    """A memory as `memory.list` shows it."""
    return {"key": memory["key"], "value": memory["value"], "relevance_score": memory["relevance_score"],
            "access_count": memory["access_count"], "updated_at": rfc3339(memory["updated_at"])}


def memory_set(call: Call) -> dict[str, Any]:
    """Remember `value` under `key` (relevance 1.0, replacing the key's value)."""
    agent = owner(call)
    key, value = checked_input(check_key, call.params.get("key")), checked_input(check_value, call.params.get("value"))
    audited_change(call, call.ctx.store.memory.memory_set, f"{agent}:{key}", agent_id=agent, key=key, value=value,
                   source=MEMORY_SOURCE)
    return {"saved": True}


def memory_delete(call: Call) -> dict[str, Any]:
    """Forget `key`; `deleted: false` when the agent had no such memory."""
    agent = owner(call)
    key = checked_input(check_key, call.params.get("key"))
    return {"deleted": audited_change(call, call.ctx.store.memory.memory_delete, f"{agent}:{key}", agent_id=agent,
                                      key=key)}


def memory_clear(call: Call) -> dict[str, Any]:
    """Forget every memory of the agent; answers how many."""
    agent = owner(call)
    return {"deleted": audited_change(call, call.ctx.store.memory.memory_clear, agent, agent_id=agent)}


def memory_list(call: Call) -> dict[str, Any]:
    """Every memory of the agent, by relevance (highest first) then key."""
    agent = owner(call)
    return {"items": [item(memory) for memory in call.ctx.read(agent_memories, agent)]}


def memory_search(call: Call) -> dict[str, Any]:
    """The memories whose key or value holds `query` (case-insensitive), by relevance then key."""
    agent = owner(call)
    query = call.params.get("query")
    if not isinstance(query, str) or not query.strip():
        raise invalid("query is required")
    return {"items": [item(memory) for memory in call.ctx.read(agent_memories, agent)
                      if matches(memory, query.strip())]}


def methods() -> dict[str, Method]:
    """The memory methods by name."""
    return {
        "memory.set": Method(memory_set, Scope.AGENTS, mutating=True),
        "memory.delete": Method(memory_delete, Scope.AGENTS, mutating=True),
        "memory.clear": Method(memory_clear, Scope.AGENTS, mutating=True),
        "memory.list": Method(memory_list, Scope.AGENTS),
        "memory.search": Method(memory_search, Scope.AGENTS),
    }
