"""ACP approvals against a running daemon (SPEC §5.5): deny, re-decide refused, and the expiry default-deny of
an approval requested over ACP (checked every second, audited and announced to every socket)."""

import sqlite3
import time

import pytest

from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import running_daemon
from tests.helpers import wait_until


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path, "agents: []\napproval_timeout_seconds: 1\n") as api:
        yield api


def audit_rows(api, approval_id):
    with sqlite3.connect(api.daemon.boot.db_path) as conn:
        return conn.execute("SELECT action, decision, reason FROM audit_log WHERE subject = ?",
                            (approval_id,)).fetchall()


def test_a_denied_approval_is_audited_and_cannot_be_decided_again(client, api):
    approval_id = client.call("approval.request", {"action": "deploy"})["approval_id"]
    assert client.call("approval.respond", {"approval_id": approval_id, "decision": "Deny"}) == {
        "approval_id": approval_id, "status": "DENIED"}
    assert client.next_notification("approval.updated") == {"approval_id": approval_id, "status": "DENIED"}
    for decision in ("approve", "deny"):
        assert client.error("approval.respond", {"approval_id": approval_id, "decision": decision}) == (
            1000, "approval already resolved")
    assert audit_rows(api, approval_id) == [("approval.respond", "deny", "approval_denied")]


def test_an_approval_requested_over_acp_is_denied_when_it_expires(client, api):
    watcher = AcpClient(port_of(api)).hello()  # has spoken: receives broadcasts
    try:
        started = time.monotonic()
        approval_id = client.call("approval.request", {"action": "deploy", "details": "prod"})["approval_id"]
        assert watcher.next_notification("approval.required")["approval_id"] == approval_id
        assert watcher.next_notification("approval.updated", timeout=5) == {
            "approval_id": approval_id, "status": "DENIED"}
        assert time.monotonic() - started < 3.0  # timeout 1 s, checked every second
    finally:
        watcher.close()
    assert client.error("approval.respond", {"approval_id": approval_id, "decision": "approve"}) == (
        1000, "approval already resolved")
    assert [(item["approval_id"], item["status"]) for item in client.call("approval.list")["items"]] == [
        (approval_id, "DENIED")]
    assert audit_rows(api, approval_id) == [("approval.expire", "deny", "approval_timeout_default_deny")]
    with open(api.daemon.boot.home / "logs" / "audit.jsonl", encoding="utf-8") as audit_file:
        assert any(f'"subject": "{approval_id}"' in line and "approval_timeout_default_deny" in line
                   for line in audit_file)
    wait_until(lambda: api.get("/healthz").status_code == 200, 2)
