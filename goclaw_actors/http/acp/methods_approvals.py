"""ACP approval methods (SPEC §5.5): `approval.request`, `approval.respond`, `approval.list`.

Creating and deciding broadcast `approval.required` / `approval.updated` to every socket; the
requester's own socket gets the broadcast before its response (see connection.reply).
"""

import json
from typing import Any

from goclaw_actors.broadcasts import APPROVAL_REQUIRED, APPROVAL_UPDATED, approval_item
from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import invalid
from goclaw_actors.http.acp.params import text
from goclaw_actors.http.route_access import Scope
from goclaw_actors.store.approval_reads import list_approvals
from goclaw_actors.store.sqlite_approvals import APPROVED, DENIED, ApprovalNotFound, ApprovalResolved

DEFAULT_TIMEOUT_SECONDS = 60
DECISIONS = {"approve": APPROVED, "deny": DENIED}
AUDIT_ACTION = "approval.respond"
AUDIT = {APPROVED: ("allow", "approval_approved"), DENIED: ("deny", "approval_denied")}


def request(call: Call) -> dict[str, Any]:
    """Create a PENDING approval expiring after `approval_timeout_seconds`; broadcast `approval.required`."""
    action = text(call.params, "action")
    if not action:
        raise invalid("action is required")
    details = call.params.get("details")
    if not isinstance(details, str):
        details = "" if details is None else json.dumps(details, separators=(",", ":"))
    timeout = float(call.ctx.config().get("approval_timeout_seconds", DEFAULT_TIMEOUT_SECONDS))
    row = call.ctx.store("create_approval", action=action, details=details, timeout_seconds=timeout)
    call.ctx.broadcast(APPROVAL_REQUIRED, approval_item(row))
    return {"approval_id": row["approval_id"], "status": row["status"]}


def respond(call: Call) -> dict[str, Any]:
    """Decide a pending approval once (`approve` / `deny`, any case); broadcast `approval.updated`."""
    decision = DECISIONS.get(text(call.params, "decision").lower())
    if decision is None:
        raise invalid("decision must be approve or deny")
    approval_id = text(call.params, "approval_id")
    if not approval_id:
        raise invalid(str(ApprovalNotFound()))
    try:
        row = call.ctx.store("resolve_approval", approval_id=approval_id, status=decision)
    except (ApprovalNotFound, ApprovalResolved) as exc:
        raise invalid(str(exc)) from exc
    verdict, reason = AUDIT[decision]
    call.ctx.audit(verdict, AUDIT_ACTION, reason, subject=approval_id)
    call.ctx.broadcast(APPROVAL_UPDATED, {"approval_id": approval_id, "status": row["status"]})
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
