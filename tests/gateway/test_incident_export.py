"""ACP incident.export (SPEC §9.3, §11.2, §5.6): the task, its first 1000 events in ascending order, every audit
row traced to the task (tool-call allow/deny/deduped decisions and its approvals), config_hash and exported_at,
with secrets redacted; the same decisions are in logs/audit.jsonl, redacted, with the task as trace id."""

import json
import sqlite3
import uuid

from goclaw_actors.approval_flow import decide_approval, request_approval
from goclaw_actors.http.chat_tasks import wait_terminal
from tests.gateway.acp_client import insert_events

SECRET = "sk-abcdefghijklmnopqrstuvwxyz"


def test_an_incident_export_holds_the_tasks_events_and_audit_trail_redacted(client, api):
    session = str(uuid.uuid4())
    task_id = client.call("agent.chat", {"session_id": session, "content": f'use {{"api_key": "{SECRET}"}}'})["task_id"]
    wait_terminal(api.context(), task_id, timeout=10)
    rt = api.daemon.runtime
    rt.audit_decision("allow", "tools.exec", "tool_call", subject="default", trace_id=task_id)
    rt.audit_decision("deny", "tools.read_url", "url_denied", subject=f"http://10.0.0.1/?api_key={SECRET}",
                      trace_id=task_id)
    rt.audit_decision("allow", "tools.write_file", "deduped", subject="default", trace_id=task_id)
    approval = request_approval(rt.approvals(), "tools.exec", '{"command":"make"}', 60, task_id=task_id)
    decide_approval(rt.approvals(), approval["approval_id"], "APPROVED")
    rt.audit_decision("deny", "tools.exec", "missing_capability", trace_id=str(uuid.uuid4()))  # another task's
    insert_events(api.daemon.boot.db_path, session, 1005, task_id=task_id)

    export = client.call("incident.export", {"task_id": task_id})
    assert SECRET not in json.dumps(export)
    assert export["task_id"] == task_id and export["task"]["status"] == "SUCCEEDED"
    events = export["events"]
    assert len(events) == 1000 and [event["event_id"] for event in events] == sorted(e["event_id"] for e in events)
    assert [event["event_type"] for event in events[:4]] == [
        "task.enqueued", "task.claimed", "task.running", "task.succeeded"]
    trail = [(row["action"], row["decision"], row["reason"]) for row in export["audit_trail"]]
    assert trail == [("tools.exec", "allow", "tool_call"), ("tools.read_url", "deny", "url_denied"),
                     ("tools.write_file", "allow", "deduped"), ("approval.respond", "allow", "approval_approved")]
    assert {row["trace_id"] for row in export["audit_trail"]} == {task_id}
    assert export["audit_trail"][1]["subject"] == "http://10.0.0.1/?api_key=[REDACTED]"
    assert export["config_hash"] == rt.config.config_hash and export["exported_at"].endswith("Z")

    with sqlite3.connect(api.daemon.boot.db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM audit_log WHERE subject LIKE ?", (f"%{SECRET}%",)).fetchone() == (0,)
    lines = [json.loads(line) for line in (api.daemon.boot.home / "logs" / "audit.jsonl").read_text().splitlines()]
    traced = [line for line in lines if line.get("trace_id") == task_id]
    assert [line["reason"] for line in traced] == ["tool_call", "url_denied", "deduped", "approval_approved"]
    assert all(SECRET not in json.dumps(line) for line in lines)
