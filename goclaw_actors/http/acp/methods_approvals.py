"""ACP approval methods (SPEC §5.5): `approval.request`, `approval.respond`, `approval.list`.

Creating and deciding broadcast `approval.required` / `approval.updated` to every socket; the
requester's own socket gets the broadcast before its response (see connection.reply). Requests expire
after `approval_timeout_seconds` like every approval (goclaw_actors.approval_flow).
"""

import json
from typing import Any

from goclaw_actors.approval_flow import DECISIONS, approval_timeout_seconds, decide_approval, request_approval
from goclaw_actors.broadcasts import approval_item
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import invalid
from goclaw_actors.http.acp.params import text
from goclaw_actors.http.route_access import Scope
from goclaw_actors.store.approval_reads import list_approvals
from goclaw_actors.store.sqlite_approvals import ApprovalNotFound, ApprovalResolved


def request(call: Call) -> dict[str, Any]:
    """Create a PENDING approval expiring after `approval_timeout_seconds`; broadcast `approval.required`."""
    action = text(call.params, "action")
    if not action:
        raise invalid("action is required")
    details = call.params.get("details")
    if not isinstance(details, str):
        details = "" if details is None else json.dumps(details, separators=(",", ":"))
    row = request_approval(call.ctx.approvals(), action, details, approval_timeout_seconds(call.ctx.config()))
    return {"approval_id": row["approval_id"], "status": row["status"]}


def respond(call: Call) -> dict[str, Any]:
    """Decide a pending approval once (`approve` / `deny`, any case); audited, broadcast `approval.updated`."""
    decision = DECISIONS.get(text(call.params, "decision").lower())
    if decision is None:
        raise invalid("decision must be approve or deny")
    approval_id = text(call.params, "approval_id")
    if not approval_id:
        raise invalid(str(ApprovalNotFound()))
    try:
        row = decide_approval(call.ctx.approvals(), approval_id, decision)
    except (ApprovalNotFound, ApprovalResolved) as exc:
        raise invalid(str(exc)) from exc
    return {"approval_id": approval_id, "status": row["status"]}


def approval_list(call: Call) -> dict[str, Any]:
    """Every approval by creation time."""
    return {"items": [approval_item(row) for row in call.ctx.read(list_approvals)]}


def methods() -> dict[str, Method]:
    """The approval methods by name."""
    return {
        # approvals belong to no agent: deciding or reading them is daemon-wide
        "approval.request": Method(request, Scope.DAEMON, mutating=True),
        "approval.respond": Method(respond, Scope.DAEMON, mutating=True),
        "approval.list": Method(approval_list, Scope.DAEMON),
    }
