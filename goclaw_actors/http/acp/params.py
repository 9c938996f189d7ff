"""Reading ACP params: ids, texts, numbers and the caller's agent scope."""

import uuid
from typing import Any

from goclaw_actors.http.acp.dispatcher import Call
from goclaw_actors.http.acp.errors import invalid
from goclaw_actors.http.json_input import INT64_MAX
from goclaw_actors.store.api_reads import session_agent_ids

DEFAULT_AGENT = "default"


def as_uuid(value: Any) -> str | None:
    """`value` as a lower-case UUID string, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def text(params: dict[str, Any], *names: str) -> str:
    """The first of `names` holding a non-blank string, stripped ("" when none does)."""
    for name in names:
        value = params.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def integer(params: dict[str, Any], name: str, default: int) -> int:
    """An integer param (numbers and numeric strings accepted); 1000 when it is something else, or beyond
    what the database holds."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise invalid(f"{name} must be an integer")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise invalid(f"{name} must be an integer") from None
    if abs(number) > INT64_MAX:
        raise invalid(f"{name} must be between {-INT64_MAX} and {INT64_MAX}")
    return number


def agent_id(call: Call, name: str = "agent_id") -> str:
    """The addressed agent (`default` when absent); 1000 when the caller's API key may not address it."""
    agent = text(call.params, name) or DEFAULT_AGENT
    check_agent_scope(call, agent)
    return agent


def check_agent_scope(call: Call, agent: str) -> None:
    """1000 `api key not permitted for agent "<id>"` unless the caller may address `agent` (SPEC §9.2)."""
    if not call.conn.principal.allows(agent):
        raise invalid(f'api key not permitted for agent "{agent}"')


def check_session_scope(call: Call, session_id: str) -> None:
    """1000 unless the caller may address every agent with tasks or messages in the session (a key scoped
    to some agents cannot touch a session another agent has data in)."""
    if call.conn.principal.agent_scope is None:
        return
    for agent in sorted(call.ctx.read(session_agent_ids, session_id)):
        check_agent_scope(call, agent)
