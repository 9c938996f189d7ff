"""ACP `context.show` (SPEC §6): the context budget of a (session, agent) — tokens of the soul, skills,
memory, pins, shared knowledge, summaries, messages and the output reserve — against the agent's model
limit, counted as the agent's brain and compaction count them."""

from typing import Any

import pykka

from goclaw_actors.agent_memory.context_budget import context_budget
from goclaw_actors.agent_memory.prompt_blocks import prompt_blocks
from goclaw_actors.brain.history_reads import session_history
from goclaw_actors.errors import AgentNotFound
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.methods_session import required_session
from goclaw_actors.http.acp.params import agent_id
from goclaw_actors.http.route_access import Scope
from goclaw_actors.store.knowledge_reads import prompt_knowledge
from goclaw_actors.store.sqlite_reads import active_agent_ids


def _budget_reads(conn, session_id: str, agent: str):
    return active_agent_ids(conn), prompt_knowledge(conn, agent), session_history(conn, session_id, agent)


def context_show(call: Call) -> dict[str, Any]:
    """`{limit, available, components:[{name, tokens}], total, model, provider}` of `session_id` and the agent."""
    session_id = required_session(call)
    agent = agent_id(call)
    active, knowledge, history = call.ctx.read(_budget_reads, session_id, agent)
    if agent not in active:
        raise AgentNotFound(agent)
    try:
        profile = call.ctx.ask(f"agent_actor:{agent}", "prompt_profile")
    except pykka.ActorDeadError:
        raise AgentNotFound(agent) from None
    budget = context_budget(profile, prompt_blocks(knowledge), history)
    return {**budget, "model": profile.model, "provider": profile.provider}


def methods() -> dict[str, Method]:
    """`context.show`."""
    return {"context.show": Method(context_show, Scope.AGENTS)}
