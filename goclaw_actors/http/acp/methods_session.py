"""ACP session methods: `session.history`, `session.list`, `session.purge`."""

from typing import Any

from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import invalid
from goclaw_actors.http.acp.params import as_uuid, check_session_scope, integer
from goclaw_actors.http.route_access import Scope
from goclaw_actors.store.api_reads import list_sessions, session_messages
from goclaw_actors.timeutil import rfc3339

MAX_LIMIT = 100
DEFAULT_SESSION_LIMIT = 20
REDACTED_BY = "acp"


def required_session(call: Call) -> str:
    """The `session_id` param as a UUID; 1000 when it is not one."""
    session_id = as_uuid(call.params.get("session_id"))
    if session_id is None:
        raise invalid("session_id must be uuid")
    return session_id


def history(call: Call) -> dict[str, Any]:
    """The latest non-archived messages of the session, oldest first (`limit` ≤0 or >100 ⇒ 100); each item also
    names the agent of its conversation (`agent_id`)."""
    session_id = required_session(call)
    limit = integer(call.params, "limit", MAX_LIMIT)
    limit = MAX_LIMIT if limit <= 0 or limit > MAX_LIMIT else limit
    rows = call.ctx.read(session_messages, session_id, limit, call.conn.principal.agent_scope)
    return {"items": [{"id": row["id"], "session_id": row["session_id"], "agent_id": row["agent_id"],
                       "role": row["role"],
                       "content": row["content"], "text": row["content"], "tokens": row["tokens"],
                       "created_at": rfc3339(row["created_at"])} for row in rows]}


def session_list(call: Call) -> dict[str, Any]:
    """Sessions newest first (`limit` ≤0 ⇒ 20, at most 100)."""
    limit = integer(call.params, "limit", DEFAULT_SESSION_LIMIT)
    limit = DEFAULT_SESSION_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)
    sessions = []
    for row in call.ctx.read(list_sessions, limit, 0, call.conn.principal.agent_scope):
        entry: dict[str, Any] = {"id": row["id"]}
        if row.get("soul_hash"):
            entry["soul_hash"] = row["soul_hash"]
        entry["created_at"] = rfc3339(row["created_at"])
        sessions.append(entry)
    return {"sessions": sessions}


def purge(call: Call) -> dict[str, Any]:
    """Delete the session's messages and tombstone its tasks and events, recording the redactions (a key
    scoped to some agents only when the session holds no other agent's data)."""
    session_id = required_session(call)
    check_session_scope(call, session_id)
    return call.ctx.store.sessions.purge_session(session_id=session_id, policy_version=call.ctx.policy().version,
                                                 redacted_by=REDACTED_BY)


def methods() -> dict[str, Method]:
    """The session methods by name (`session.events.subscribe` lives in replay)."""
    return {
        "session.history": Method(history, Scope.AGENTS),
        "session.list": Method(session_list, Scope.AGENTS),
        "session.purge": Method(purge, Scope.AGENTS, mutating=True),
    }
