"""Approvals across restarts (SPEC §5.5, §13): a pending approval survives kill -9 and is then decided or
expires; one that expired while the daemon was stopped is denied at start-up, before clients are served."""

import sqlite3
import time

from tests.gateway.acp_client import TOKEN, AcpClient

ENV = {"GOCLAW_AUTH_TOKEN": TOKEN}


def configure(home, timeout):
    (home / "config.yaml").write_text(f"agents: []\nworker_count: 1\ndelegation_max_hops: 0\napproval_timeout_seconds: {timeout}\n")


def query(daemon, sql, *params):
    with sqlite3.connect(daemon.db_path, timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


def request(daemon, action):
    client = AcpClient(daemon.port).hello()
    try:
        return client.call("approval.request", {"action": action})["approval_id"]
    finally:
        client.close()


def test_an_approval_that_expired_while_stopped_is_denied_at_start(home, daemons):
    configure(home, 1)
    first = daemons(home, env=ENV).start().wait_healthy()
    approval_id = request(first, "deploy")
    requested = time.monotonic()
    assert first.terminate() == 0
    time.sleep(max(0.0, 1.1 - (time.monotonic() - requested)))  # let it expire while nothing runs
    second = daemons(home, env=ENV).start().wait_healthy()
    assert query(second, "SELECT status FROM approvals") == [("DENIED",)]  # already, as soon as it serves
    assert query(second, "SELECT action, decision, reason FROM audit_log WHERE subject = ?", approval_id) == [
        ("approval.expire", "deny", "approval_timeout_default_deny")]
    assert second.terminate() == 0


def test_a_pending_approval_survives_kill_9_then_is_decided_or_expires(home, daemons):
    configure(home, 5)
    first = daemons(home, env=ENV).start().wait_healthy()
    decided, expiring = request(first, "deploy"), request(first, "migrate")
    first.kill9()
    second = daemons(home, env=ENV).start().wait_healthy()
    client = AcpClient(second.port).hello()
    try:
        assert [(item["approval_id"], item["status"]) for item in client.call("approval.list")["items"]] == [
            (decided, "PENDING"), (expiring, "PENDING")]
        assert client.call("approval.respond", {"approval_id": decided, "decision": "approve"})["status"] == "APPROVED"
        assert client.next_notification("approval.updated") == {"approval_id": decided, "status": "APPROVED"}
        assert client.next_notification("approval.updated", timeout=8) == {"approval_id": expiring,
                                                                              "status": "DENIED"}
    finally:
        client.close()
    assert query(second, "SELECT subject, reason FROM audit_log WHERE action LIKE 'approval.%' ORDER BY created_at"
                 ) == [(decided, "approval_approved"), (expiring, "approval_timeout_default_deny")]
    assert second.terminate() == 0
