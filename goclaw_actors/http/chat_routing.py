"""@mentions and chat commands on the gateway's chat surfaces (SPEC §7.1, §12): which agent gets a line, and
whether it is a turn or a command task, decided by goclaw_actors.chat_commands.routing.

Where the sticky target lives:

* ACP `agent.chat` / `agent.chat.stream` (and so `goclaw chat` and the dashboard): in the session
  (`sessions.sticky_agent_id`, written with the enqueue). A line goes to the agent it mentions, else to the
  request's `agent_id`, else to the session's sticky target, else to `default`.
* `/v1/chat/completions`: in the conversation the client sends: the latest mention among its earlier user
  messages, else the `model`'s agent. Nothing is stored; the conversation is the client's.

Only the active agents the caller may address can be mentioned; any other id is answered `Unknown agent`.
"""

from dataclasses import replace
from typing import Any, Callable

from goclaw_actors.chat_commands.routing import Route, conversation_target, may_route, route_line
from goclaw_actors.config.defaults import DEFAULT_AGENT_ID
from goclaw_actors.http.chat_tasks import ChatRequest
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.openai_messages import CompletionRequest, session_for_user
from goclaw_actors.http.principal import Principal, scope_of
from goclaw_actors.queue.states import COMMAND
from goclaw_actors.store.knowledge_reads import routing_facts
from goclaw_actors.store.sqlite_reads import active_agent_ids


def _permitted(agents: list[str], principal: Principal) -> list[str]:
    return [agent for agent in agents if principal.allows(agent)]


def route_request(route: Route, session_id: str, principal: Principal, source: str,
                   extra: dict[str, Any] | None = None, **fields: Any) -> ChatRequest:
    """The ChatRequest of a routed line (every chat surface, Telegram too): a command task carries its
    sender's agent scope."""
    extra = {"source": source, **(extra or {})}
    scope = scope_of(principal)
    if route.command and scope is not None:
        extra["scope"] = scope
    return ChatRequest(route.agent, session_id, route.content, task_type=COMMAND if route.command else "chat",
                       extra=extra, sticky_agent=route.sticky, **fields)


def acp_chat_request(ctx: GatewayContext, principal: Principal, session_id: str, content: str,
                     explicit_agent: str | None, source: str, stream: bool = False, priority: int = 0) -> ChatRequest:
    """The task an ACP chat line becomes. A plain line for a named agent needs no read."""
    if explicit_agent is not None and not may_route(content):
        return ChatRequest(explicit_agent, session_id, content, stream=stream, priority=priority,
                           extra={"source": source})
    sticky, active = ctx.read(routing_facts, session_id if explicit_agent is None else None)
    known = _permitted(active, principal)
    current = explicit_agent or (sticky if sticky in known else DEFAULT_AGENT_ID)
    route = route_line(content, current, lambda: known)
    return route_request(route, session_id, principal, source, stream=stream, priority=priority)


def completion_chat_request(ctx: GatewayContext, principal: Principal, request: CompletionRequest) -> ChatRequest:
    """The task a `/v1/chat/completions` request becomes: its last user message routed from the conversation's
    target; the stored (session, agent) history becomes the conversation (without a command's line)."""
    plain = ChatRequest(request.agent_id, request.session_id, request.content, stream=request.stream,
                        extra=request.extra, history=request.messages)
    earlier = [m["content"] for m in request.messages[:-1] if m["role"] == "user"]
    if request.messages[-1]["role"] != "user" or not (may_route(request.content) or any(map(may_route, earlier))):
        return plain
    known = _lazy(lambda: _permitted(ctx.read(active_agent_ids), principal))
    route = route_line(request.content, conversation_target(earlier, request.agent_id, known), known)
    session_id = request.session_id
    if route.agent != request.agent_id and request.user:
        session_id = session_for_user(request.user, route.agent)
    if route.command:
        history = request.messages[:-1]
    else:
        history = request.messages[:-1] + [{**request.messages[-1], "content": route.content}]
    extra = {key: value for key, value in request.extra.items() if key != "source"}
    return route_request(replace(route, sticky=None), session_id, principal, request.extra.get("source", "openai"),
                          stream=request.stream, history=history, extra=extra)


def _lazy(read: Callable[[], list[str]]) -> Callable[[], list[str]]:
    """`read`, called at most once."""
    cache: list[list[str]] = []

    def known() -> list[str]:
        if not cache:
            cache.append(read())
        return cache[0]

    return known
