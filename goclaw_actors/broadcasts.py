"""Broadcast notifications: what every ACP client hears (SPEC §9.3), carried by the event bus.

A producer publishes `broadcast_event(method, params)` on the bus; each ACP socket subscribes to
BROADCAST_METHODS and sends `{"jsonrpc":"2.0","method":method,"params":params}`. The dicts carry no
task, session or agent id, so subscriptions filtered on those never see them.
"""

from typing import Any

from goclaw_actors.timeutil import rfc3339

APPROVAL_REQUIRED = "approval.required"
APPROVAL_UPDATED = "approval.updated"
TOOLS_UPDATED = "tools.updated"
BROADCAST_METHODS = frozenset({APPROVAL_REQUIRED, APPROVAL_UPDATED, TOOLS_UPDATED})


def broadcast_event(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The bus event carrying one broadcast notification."""
    if method not in BROADCAST_METHODS:
        raise ValueError(f"not a broadcast notification: {method}")
    return {"event_type": method, "broadcast": True, "params": params}


def approval_item(row: dict[str, Any]) -> dict[str, Any]:
    """An approval row as clients see it (`approval.list` items and `approval.required` params)."""
    return {"approval_id": row["approval_id"], "action": row["action"], "details": row["details"] or "",
            "status": row["status"], "created_at": rfc3339(row["created_at"])}
