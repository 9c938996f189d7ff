"""Approval expiry in the store and the approval flow (SPEC §5.5): expired approvals are denied once,
audited `approval_timeout_default_deny` with the task as trace id and announced; a decision after the
expiry is refused."""

import time

import pytest

from goclaw_actors.approval_flow import (ApprovalPorts, approval_timeout_seconds, decide_approval,
                                         expire_due_approvals, request_approval)
from goclaw_actors.store.connection_store import connection_store
from goclaw_actors.store.sqlite_approvals import ApprovalResolved, timed_out
from tests.unit.store_fixtures import transaction


class Recorder:
    """Ports over a real database that keep what was audited and broadcast."""

    def __init__(self, conn):
        self.conn = conn
        self.audited: list[tuple] = []
        self.broadcasts: list[tuple] = []

    def ports(self) -> ApprovalPorts:
        return ApprovalPorts(store=connection_store(self.conn), audit=lambda *args, **kw: self.audited.append((*args, kw)),
                             broadcast=lambda method, params: self.broadcasts.append((method, params)))


def test_expired_approvals_are_denied_once_and_later_decisions_refused(conn):
    with transaction(conn) as q:
        due = q.create_approval("deploy", "", 0.05, task_id="task-1")
        later = q.create_approval("deploy", "", 60)
    time.sleep(0.06)
    with transaction(conn) as q:
        expired = q.expire_approvals()
    assert [row["approval_id"] for row in expired] == [due["approval_id"]]
    assert expired[0]["status"] == "DENIED" and timed_out(expired[0])
    with transaction(conn) as q:
        assert q.expire_approvals() == []
    with pytest.raises(ApprovalResolved, match="approval already resolved"):
        with transaction(conn) as q:
            q.resolve_approval(due["approval_id"], "APPROVED")
    with transaction(conn) as q:
        denied = q.resolve_approval(later["approval_id"], "DENIED")
    assert denied["status"] == "DENIED" and not timed_out(denied)


def test_a_pending_approval_past_its_expiry_cannot_be_decided_before_the_sweep(conn):
    with transaction(conn) as q:
        approval = q.create_approval("deploy", "", 0.01)
    time.sleep(0.02)
    with pytest.raises(ApprovalResolved):
        with transaction(conn) as q:
            q.resolve_approval(approval["approval_id"], "APPROVED")
    assert conn.execute("SELECT status FROM approvals").fetchone() == ("PENDING",)  # until the sweep denies it


def test_the_flow_audits_and_announces_requests_decisions_and_expiries(conn):
    recorder = Recorder(conn)
    ports = recorder.ports()
    asked = request_approval(ports, "tool.exec", '{"command":"ls"}', 0.05, task_id="task-9")
    decided = request_approval(ports, "deploy", "", 60)
    assert [method for method, _ in recorder.broadcasts] == ["approval.required", "approval.required"]
    assert recorder.broadcasts[0][1]["approval_id"] == asked["approval_id"]
    decide_approval(ports, decided["approval_id"], "DENIED")
    time.sleep(0.06)
    assert [row["approval_id"] for row in expire_due_approvals(ports)] == [asked["approval_id"]]
    assert recorder.audited == [
        ("deny", "approval.respond", "approval_denied", {"subject": decided["approval_id"], "trace_id": None}),
        ("deny", "approval.expire", "approval_timeout_default_deny",
         {"subject": asked["approval_id"], "trace_id": "task-9"}),
    ]
    assert recorder.broadcasts[2:] == [
        ("approval.updated", {"approval_id": decided["approval_id"], "status": "DENIED"}),
        ("approval.updated", {"approval_id": asked["approval_id"], "status": "DENIED"}),
    ]


def test_the_timeout_comes_from_the_configuration():
    class Config(dict):
        def get(self, key, default=None):
            return super().get(key, default)

    assert approval_timeout_seconds(Config()) == 60.0
    assert approval_timeout_seconds(Config(approval_timeout_seconds=5)) == 5.0
    assert approval_timeout_seconds(None) == 60.0
