"""ACP pin and share methods (SPEC §6): `pin.add`, `pin.remove`, `pin.list`, `share.add`, `share.remove`,
`share.list`. Pins and shares belong to their agent (`agent_id`, default `default`); every change is audited.

A file pin's path is relative to the workspace and must lie inside the policy's `allow_paths` roots (only
the workspace when none is listed), like the file tools' paths (SPEC §5.3); a denial is audited `path_denied`.
"""

from typing import Any

from goclaw_actors.agent_memory import pins as pin_rules
from goclaw_actors.agent_memory.core_memory import check_key
from goclaw_actors.agent_memory.sharing import ALL, EVERY_AGENT, MEMORY, PIN, SHARE_TYPES
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import invalid
from goclaw_actors.http.acp.methods_memory import audited_change, checked_input, owner
from goclaw_actors.http.acp.params import check_agent_scope, text
from goclaw_actors.http.route_access import Scope
from goclaw_actors.store.knowledge_reads import agent_memories, agent_pins, agent_shares
from goclaw_actors.store.sqlite_reads import active_agent_ids
from goclaw_actors.timeutil import rfc3339
from goclaw_actors.tools.errors import PolicyDenied
from goclaw_actors.tools.path_jail import JailedPath

def _rule(check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except pin_rules.PinError as exc:
        raise invalid(str(exc)) from None


PIN_WATCHER = "pin_watcher"


def _jailed(call: Call, path: str) -> JailedPath:
    return pin_rules.file_target(path, *pin_rules.pin_roots(call.ctx.home, call.ctx.policy().paths))


def _file_target(call: Call, path: str) -> JailedPath:
    """The pinned file's checked location; a denial is audited and answered 1000."""
    try:
        return _jailed(call, path)
    except PolicyDenied as exc:
        call.ctx.audit("deny", call.method, exc.reason, subject=path[:200],
                       trace_id=getattr(call.conn, "trace_id", None))
        raise invalid(str(exc)) from None


def _resolved(call: Call, name: str) -> str | None:
    """Where a file named `name` would be, if the path policy allows it (to match a file pin by path)."""
    try:
        return str(_jailed(call, name).path)
    except PolicyDenied:
        return None


def _pin_of(call: Call, agent: str, name: str) -> dict[str, Any] | None:
    pins = call.ctx.read(agent_pins, agent)
    found = pin_rules.find_pin(pins, name)
    return found or pin_rules.find_pin(pins, name, _resolved(call, name))


def pin_add(call: Call) -> dict[str, Any]:
    """Pin the file at `path`, or the text `text` under `label`; `shared: true` lets `share all` include it.
    Answers `{source, token_count}` (a file's source is its resolved path)."""
    agent = owner(call)
    shared = call.params.get("shared") is True
    path = call.params.get("path")
    if isinstance(path, str) and path.strip():
        pinned = _rule(pin_rules.read_file_pin, _file_target(call, path.strip()))
        pin_type, source, content, mtime = pin_rules.FILE, pinned.source, pinned.content, pinned.mtime
    elif call.params.get("label") is not None or call.params.get("text") is not None:
        source = _rule(pin_rules.check_label, call.params.get("label"))
        content, pin_type, mtime = _rule(pin_rules.check_pin_text, call.params.get("text")), pin_rules.TEXT, None
    else:
        raise invalid("path, or label and text, are required")
    tokens = pin_rules.token_count(content)
    audited_change(call, call.ctx.store.memory.pin_add, f"{agent}:{source}", agent_id=agent, pin_type=pin_type,
                   source=source, content=content, token_count=tokens, shared=shared, file_mtime=mtime)
    if pin_type == pin_rules.FILE:
        call.ctx.cast(PIN_WATCHER, "pins_changed")  # watch its directory now, not at the next poll
    return {"source": source, "token_count": tokens}


def pin_remove(call: Call) -> dict[str, Any]:
    """Remove the pin `source` (its source, file path or name); `removed: false` when there is none."""
    agent = owner(call)
    name = text(call.params, "source")
    if not name:
        raise invalid("source is required")
    pin = _pin_of(call, agent, name)
    if pin is None:
        return {"removed": False}
    return {"removed": audited_change(call, call.ctx.store.memory.pin_remove, f"{agent}:{pin['source']}",
                                      agent_id=agent, source=pin["source"])}


def pin_list(call: Call) -> dict[str, Any]:
    """The agent's pins, oldest first: `{source, pin_type, token_count, shared, last_read, created_at}`."""
    agent = owner(call)
    return {"items": [{"source": pin["source"], "pin_type": pin["pin_type"], "token_count": pin["token_count"],
                       "shared": bool(pin["shared"]), "last_read": rfc3339(pin["last_read"]),
                       "created_at": rfc3339(pin["created_at"])} for pin in call.ctx.read(agent_pins, agent)]}


def _share(call: Call) -> tuple[str, str, str, str | None]:
    """(source agent, target, share type, item key) of a share request, checked: the target is an active agent
    in the caller's scope (or `*`, for callers not limited to some agents), the named memory or pin exists."""
    agent = owner(call)
    target = text(call.params, "target_agent").lstrip("@")
    share_type = text(call.params, "share_type").lower()
    if not target:
        raise invalid("target_agent is required")
    if share_type not in SHARE_TYPES:
        raise invalid(f"share_type must be one of {', '.join(SHARE_TYPES)}")
    if target == EVERY_AGENT:
        if not call.conn.principal.daemon_wide:
            raise invalid('api key not permitted to share with "*"')
    else:
        check_agent_scope(call, target)
        if target == agent:
            raise invalid("cannot share with the same agent")
        if target not in call.ctx.read(active_agent_ids):
            raise invalid(f'agent "{target}" not found')
    if share_type == ALL:
        return agent, target, share_type, None
    name = text(call.params, "item_key")
    if not name:
        raise invalid("item_key is required for a memory or pin share")
    if share_type == MEMORY:
        key = checked_input(check_key, name)
        if call.method == "share.add" and key not in {m["key"] for m in call.ctx.read(agent_memories, agent)}:
            raise invalid(f"no memory named {key!r} for @{agent}")
        return agent, target, share_type, key
    pin = _pin_of(call, agent, name)
    if pin is None and call.method == "share.add":
        raise invalid(f"no pin named {name!r} for @{agent}")
    return agent, target, PIN, pin["source"] if pin else name


def share_add(call: Call) -> dict[str, Any]:
    """Share a memory key, a pin or `all` with `target_agent` (an agent id or `*`)."""
    agent, target, share_type, key = _share(call)
    audited_change(call, call.ctx.store.memory.share_add, f"{agent}->{target}:{share_type}:{key or ''}",
                   source_agent_id=agent, target_agent_id=target, share_type=share_type, item_key=key)
    return {"shared": True}


def share_remove(call: Call) -> dict[str, Any]:
    """Stop a share made with the same `target_agent`, `share_type` and `item_key`; `removed: false` if none."""
    agent, target, share_type, key = _share(call)
    return {"removed": audited_change(call, call.ctx.store.memory.share_remove,
                                      f"{agent}->{target}:{share_type}:{key or ''}",
                                      source_agent_id=agent, target_agent_id=target, share_type=share_type,
                                      item_key=key)}


def share_list(call: Call) -> dict[str, Any]:
    """The shares the agent gives and those it receives, oldest first."""
    agent = owner(call)
    return {"items": [{"source_agent": share["source_agent_id"], "target_agent": share["target_agent_id"],
                       "share_type": share["share_type"], "item_key": share["item_key"],
                       "created_at": rfc3339(share["created_at"])} for share in call.ctx.read(agent_shares, agent)]}


def methods() -> dict[str, Method]:
    """The pin and share methods by name."""
    return {
        "pin.add": Method(pin_add, Scope.AGENTS, mutating=True),
        "pin.remove": Method(pin_remove, Scope.AGENTS, mutating=True),
        "pin.list": Method(pin_list, Scope.AGENTS),
        "share.add": Method(share_add, Scope.AGENTS, mutating=True),
        "share.remove": Method(share_remove, Scope.AGENTS, mutating=True),
        "share.list": Method(share_list, Scope.AGENTS),
    }
