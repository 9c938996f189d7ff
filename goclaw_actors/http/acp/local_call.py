"""ACP methods called inside the daemon on a person's behalf (chat commands, SPEC §12): the same checks
(capability in the policy, the caller's agent scope) and the same code as a call over `/ws`.

    result = call_method(ctx, principal, "memory.set", {"agent_id": "coder", "key": "k", "value": "v"},
                         trace_id=task_id)     # raises AcpError with the code and message /ws would answer
"""

from dataclasses import dataclass
from typing import Any

from goclaw_actors.http.acp.dispatcher import Call
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.http.principal import Principal

CHAT_COMMAND = "chat_command"


@dataclass
class LocalConnection:
    """Stands for a `/ws` connection that has said hello: whose call it is and which task made it."""

    ctx: GatewayContext
    principal: Principal
    trace_id: str | None = None
    origin: str = CHAT_COMMAND
    hello: bool = True

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Nobody listens: notifications of a local call are dropped."""


def call_method(ctx: GatewayContext, principal: Principal, method: str, params: dict[str, Any],
                trace_id: str | None = None) -> Any:
    """Run the ACP `method` as `principal`; returns its result or raises AcpError."""
    return ctx.acp_dispatcher().serve(Call(LocalConnection(ctx, principal, trace_id), method, params))
