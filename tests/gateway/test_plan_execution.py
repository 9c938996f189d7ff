"""Plan execution through the running daemon (SPEC §7.4, §9.3, §9.5): waves of plan_step tasks with outputs
substituted, retries prefixed by the error then failure, approval-gated steps, the per-step time limit, a
refused enqueue retried, cancel (REST and ACP)."""

import json
import sqlite3
import uuid

import pytest

from actors.plan_runner import PlanRunner
from goclaw_actors.plans.step_retry import STEP_TIME_LIMIT_SECONDS
from goclaw_actors.processor import FALLBACK_REPLY
from supervisors.plan_wiring import plan_ports
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import running_daemon
from tests.helpers import wait_until

PLANS = """
delegation_max_hops: 0
agents:
  - agent_id: coder
    worker_count: 1
approval_timeout_seconds: {timeout}
plans:
  - name: ship
    steps:
      - {{id: design, agent_id: default, prompt: "design it"}}
      - {{id: spec, agent_id: coder, prompt: "spec it"}}
      - {{id: build, agent_id: coder, prompt: "build {{design.output}} after {{spec.output}}", depends_on: [design, spec]}}
  - name: gated
    steps:
      - {{id: draft, agent_id: default, prompt: "draft it"}}
      - {{id: deploy, agent_id: default, prompt: "deploy {{draft.output}}", depends_on: [draft], requires_approval: true}}
      - {{id: announce, agent_id: default, prompt: "announce", depends_on: [deploy]}}
  - name: relay
    steps:
      - {{id: first, agent_id: default, prompt: "start it"}}
      - {{id: second, agent_id: coder, prompt: "finish {{first.output}}", depends_on: [first]}}
"""


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path, PLANS.format(timeout=30)) as api:
        yield api


@pytest.fixture
def slow_api(tmp_path):
    """Every task takes 300 ms, so a test can abort it while it runs."""
    with running_daemon(tmp_path, PLANS.format(timeout=1), {"GOCLAW_DEBUG_TASK_DELAY_MS": "300"}) as api:
        yield api


def execution(api, execution_id):
    response = api.get(f"/api/plans/executions/{execution_id}")
    assert response.status_code == 200
    return response.json()


def ended(api, execution_id, timeout=15.0):
    """The execution once it is no longer running."""
    return wait_until(lambda: (lambda body: body if body["status"] != "running" else None)(
        execution(api, execution_id)), timeout, interval=0.02, what=f"plan execution {execution_id} to end")


def steps_of(body):
    return {step["step_id"]: step for step in body["steps"]}


def step_tasks(api, execution_id, step_index):
    """(id, status, content, error) of a step's tasks, oldest first."""
    with sqlite3.connect(api.daemon.boot.db_path) as conn:
        rows = conn.execute("SELECT id, status, payload, error FROM tasks WHERE idempotency_key LIKE ? "
                            "ORDER BY created_at", (f"plan:{execution_id}:{step_index}:%",)).fetchall()
    return [(task_id, status, json.loads(payload)["content"], error) for task_id, status, payload, error in rows]


def test_a_two_wave_plan_runs_through_rest_with_outputs_substituted(api):
    session_id = str(uuid.uuid4())
    response = api.post("/api/plans/ship/execute", json={"session_id": session_id})
    assert response.status_code == 202
    started = response.json()
    assert started == {"execution_id": started["execution_id"], "session_id": session_id, "plan_name": "ship",
                       "status": "running"}
    body = ended(api, started["execution_id"])
    assert (body["status"], body["total_steps"], body["completed_steps"], body["current_wave"]) == (
        "succeeded", 3, 3, 1)
    steps = steps_of(body)
    assert {name: (s["status"], s["wave_number"], s["result"]) for name, s in steps.items()} == {
        "design": ("succeeded", 0, FALLBACK_REPLY), "spec": ("succeeded", 0, FALLBACK_REPLY),
        "build": ("succeeded", 1, FALLBACK_REPLY)}
    build = api.get(f"/api/tasks/{steps['build']['task_id']}").json()
    assert (build["type"], build["session_id"], build["agent_id"], build["status"]) == (
        "plan_step", session_id, "coder", "SUCCEEDED")
    assert json.loads(build["payload"])["content"] == f"build {FALLBACK_REPLY} after {FALLBACK_REPLY}"
    design = api.get(f"/api/tasks/{steps['design']['task_id']}").json()
    assert design["updated_at"] <= build["created_at"]  # the second wave started after the first ended
    assert [len(step_tasks(api, started["execution_id"], index)) for index in range(3)] == [1, 1, 1]


def test_acp_plan_execute_starts_an_execution_in_a_new_session(api):
    client = AcpClient(port_of(api)).hello()
    try:
        started = client.call("plan.execute", {"name": "ship"})
        assert started["plan_name"] == "ship" and started["status"] == "running"
        uuid.UUID(started["session_id"])
        assert client.error("plan.execute", {"name": "nope"}) == (-32603, 'plan "nope" not found')
    finally:
        client.close()
    assert ended(api, started["execution_id"])["status"] == "succeeded"


def test_rest_execute_checks_its_body(api):
    for body, error in (("[1]", "body must be a JSON object"), ("{", "Invalid JSON"),
                        ('{"session_id": 5}', "session_id must be a non-empty string")):
        response = api.post("/api/plans/ship/execute", data=body)
        assert response.status_code == 400 and response.json() == {"error": error}
    assert api.get("/api/tasks").json()["total"] == 0


def test_a_failing_step_is_retried_twice_with_the_error_then_the_execution_fails(slow_api):
    api = slow_api
    execution_id = api.post("/api/plans/ship/execute").json()["execution_id"]
    aborted: list[str] = []

    def abort_next_design_task():
        tasks = step_tasks(api, execution_id, 0)
        if len(tasks) > len(aborted) and tasks[-1][1] not in ("SUCCEEDED", "CANCELED", "DEAD_LETTER"):
            assert api.post(f"/api/tasks/{tasks[-1][0]}/abort").json() == {"aborted": True}
            aborted.append(tasks[-1][0])
        return len(aborted) == 3

    wait_until(abort_next_design_task, 10, what="three design tasks to abort")
    body = ended(api, execution_id)
    assert (body["status"], body["current_wave"], body["completed_steps"]) == ("failed", 0, 1)
    steps = steps_of(body)
    assert (steps["design"]["status"], steps["design"]["error"], steps["design"]["task_id"]) == (
        "failed", "aborted", aborted[-1])
    assert steps["spec"]["status"] == "succeeded"  # its wave finished
    assert (steps["build"]["status"], steps["build"]["task_id"]) == ("pending", None)  # the later wave never ran
    assert [content for _, _, content, _ in step_tasks(api, execution_id, 0)] == [
        "design it", "Previous attempt failed: aborted\n\ndesign it", "Previous attempt failed: aborted\n\ndesign it"]
    assert step_tasks(api, execution_id, 2) == []


def next_approval(client):
    """The params of the next approval.required notification on the socket."""
    return client.next_notification("approval.required", timeout=10)


@pytest.mark.parametrize("decision", ["approve", "deny"])
def test_an_approval_gated_step_waits_for_the_decision(api, decision):
    client = AcpClient(port_of(api)).hello()
    try:
        execution_id = client.call("plan.execute", {"name": "gated"})["execution_id"]
        required = next_approval(client)
        assert (required["action"], required["status"]) == ("plan.step", "PENDING")
        details = json.loads(required["details"])
        assert (details["execution_id"], details["step_id"], details["prompt"]) == (
            execution_id, "deploy", "deploy {draft.output}")
        body = execution(api, execution_id)
        assert steps_of(body)["draft"]["status"] == "succeeded"  # the approval is asked when the step's wave comes
        assert (steps_of(body)["deploy"]["status"], steps_of(body)["deploy"]["task_id"]) == ("pending", None)
        assert client.call("approval.respond", {"approval_id": required["approval_id"], "decision": decision}) == {
            "approval_id": required["approval_id"], "status": "APPROVED" if decision == "approve" else "DENIED"}
    finally:
        client.close()
    body = ended(api, execution_id)
    steps = steps_of(body)
    if decision == "approve":
        assert body["status"] == "succeeded" and body["completed_steps"] == 3
        task = api.get(f"/api/tasks/{steps['deploy']['task_id']}").json()
        assert json.loads(task["payload"])["content"] == f"deploy {FALLBACK_REPLY}"
    else:
        assert (body["status"], steps["deploy"]["status"], steps["deploy"]["error"]) == (
            "failed", "failed", "approval denied")
        assert steps["deploy"]["task_id"] is None and steps["announce"]["status"] == "pending"


def test_an_expired_approval_fails_the_step_and_is_denied_audited_and_announced(slow_api):
    api = slow_api  # approval_timeout_seconds: 1
    client = AcpClient(port_of(api)).hello()
    try:
        execution_id = client.call("plan.execute", {"name": "gated"})["execution_id"]
        approval_id = next_approval(client)["approval_id"]
        body = ended(api, execution_id)
        assert client.next_notification("approval.updated") == {"approval_id": approval_id, "status": "DENIED"}
    finally:
        client.close()
    assert (body["status"], steps_of(body)["deploy"]["error"]) == ("failed", "approval expired")
    with sqlite3.connect(api.daemon.boot.db_path) as conn:
        assert conn.execute("SELECT status FROM approvals WHERE approval_id = ?", (approval_id,)).fetchone() == (
            "DENIED",)
        assert conn.execute("SELECT decision, reason FROM audit_log WHERE subject = ?", (approval_id,)).fetchall() == [
            ("deny", "approval_timeout_default_deny")]


def test_a_step_over_its_time_limit_is_canceled_and_retried(slow_api):
    """A runner with a 0.1 s step limit (the daemon's own is 5 min) against 300 ms tasks."""
    assert STEP_TIME_LIMIT_SECONDS == 300
    runner = PlanRunner.start(plan_ports(slow_api.daemon.runtime), step_time_limit=0.1).proxy()
    try:
        execution_id = runner.execute("ship").get(timeout=5)["execution_id"]
        body = ended(slow_api, execution_id)
    finally:
        runner.actor_ref.stop()
    assert body["status"] == "failed"
    design = step_tasks(slow_api, execution_id, 0)
    error = "plan step time limit exceeded (0.1s)"
    assert [(status, error_text) for _, status, _, error_text in design] == [("CANCELED", error)] * 3
    assert design[1][2] == f"Previous attempt failed: {error}\n\ndesign it"
    assert steps_of(body)["design"]["error"] == error


def test_a_restarted_runner_resumes_the_execution_it_was_driving(slow_api):
    api = slow_api
    registry = api.daemon.runtime.registry
    execution_id = api.post("/api/plans/ship/execute").json()["execution_id"]
    wait_until(lambda: len(step_tasks(api, execution_id, 0)) == 1, 5, what="the first wave's tasks")
    old = registry.lookup("plan_runner")
    assert old.proxy().running().get(timeout=5) == [execution_id]
    old.stop()  # the supervisor starts a new one (permanent), which finds the execution still running
    wait_until(lambda: registry.lookup("plan_runner") not in (None, old), 5, what="the runner's restart")
    body = ended(api, execution_id)
    assert body["status"] == "succeeded"
    assert [len(step_tasks(api, execution_id, index)) for index in range(3)] == [1, 1, 1]


def test_rest_cancel_stops_a_running_execution_and_its_tasks(slow_api):
    api = slow_api
    execution_id = api.post("/api/plans/ship/execute").json()["execution_id"]
    wait_until(lambda: any(status == "RUNNING" for _, status, _, _ in step_tasks(api, execution_id, 0)), 5,
               what="a first-wave task running")
    response = api.post(f"/api/plans/executions/{execution_id}/cancel")
    assert response.status_code == 200
    assert response.json() == {"execution_id": execution_id, "canceled": True, "status": "canceled"}
    assert api.context().ask("plan_runner", "running") == []  # no longer driven
    body = execution(api, execution_id)
    assert body["status"] == "canceled"
    assert {s["step_id"]: (s["status"], s["error"]) for s in body["steps"]} == {
        step: ("failed", "plan execution canceled") for step in ("design", "spec", "build")}
    assert {status for index in (0, 1) for _, status, _, _ in step_tasks(api, execution_id, index)} == {"CANCELED"}
    assert step_tasks(api, execution_id, 2) == []
    again = api.post(f"/api/plans/executions/{execution_id}/cancel").json()
    assert again == {"execution_id": execution_id, "canceled": False, "status": "canceled"}
    missing = api.post("/api/plans/executions/nope/cancel")
    assert missing.status_code == 404 and missing.json() == {"error": "plan execution not found: nope"}


def test_acp_plan_cancel(api):
    client = AcpClient(port_of(api)).hello()
    try:
        assert client.error("plan.cancel", {}) == (1000, "execution_id is required")
        assert client.error("plan.cancel", {"execution_id": "nope"}) == (-32603, "plan execution not found: nope")
        execution_id = client.call("plan.execute", {"name": "gated"})["execution_id"]
        approval_id = next_approval(client)["approval_id"]  # waiting for the gated step: still running
        assert client.call("plan.cancel", {"execution_id": execution_id}) == {
            "execution_id": execution_id, "canceled": True, "status": "canceled"}
        # the step's approval is denied with the execution, announced and audited: nothing is left pending
        assert client.next_notification("approval.updated") == {"approval_id": approval_id, "status": "DENIED"}
        assert client.error("approval.respond", {"approval_id": approval_id, "decision": "approve"})[1] == (
            "approval already resolved")
    finally:
        client.close()
    steps = steps_of(execution(api, execution_id))
    assert (steps["draft"]["status"], steps["deploy"]["error"]) == ("succeeded", "plan execution canceled")
    with sqlite3.connect(api.daemon.boot.db_path) as conn:
        assert conn.execute("SELECT decision, reason FROM audit_log WHERE subject = ?", (approval_id,)).fetchall() == [
            ("deny", "approval_denied")]


def test_a_refused_step_enqueue_is_retried_with_the_refusal_as_its_error(slow_api):
    api = slow_api
    ctx = api.context()
    execution_id = api.post("/api/plans/relay/execute").json()["execution_id"]
    wait_until(lambda: step_tasks(api, execution_id, 0), 5, what="the first wave under way")
    ctx.store.agents.set_agent_status(agent_id="coder", status="stopped")  # before the second wave's enqueue
    with sqlite3.connect(api.daemon.boot.db_path) as conn:
        def refused():
            return conn.execute("SELECT attempt, error FROM plan_step_refusals WHERE execution_id = ?",
                                (execution_id,)).fetchall()
        assert wait_until(refused, 10, what="the refused enqueue") == [(0, 'agent "coder" not found')]
    ctx.store.agents.set_agent_status(agent_id="coder", status="active")
    body = ended(api, execution_id)
    assert body["status"] == "succeeded"
    assert [(content, status) for _, status, content, _ in step_tasks(api, execution_id, 1)] == [
        (f'Previous attempt failed: agent "coder" not found\n\nfinish {FALLBACK_REPLY}', "SUCCEEDED")]
