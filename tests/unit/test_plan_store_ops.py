"""Store operations of plan executions (SPEC §7.4): rows, step tasks with their attempts, results, progress."""

import json

import pytest

from goclaw_actors.errors import AgentNotFound, StoreError
from goclaw_actors.store.api_reads import plan_execution
from goclaw_actors.store.plan_reads import plan_step_approval, running_plan_executions, step_attempts
from goclaw_actors.store.sqlite_plans import PLAN_STEP_ACTION, plan_step_details
from tests.unit.store_fixtures import transaction

SESSION = "11111111-1111-4111-8111-111111111111"
STEPS = [
    {"step_id": "design", "step_index": 0, "wave_number": 0, "agent_id": "default", "prompt": "design it"},
    {"step_id": "build", "step_index": 1, "wave_number": 1, "agent_id": "default", "prompt": "build {design.output}"},
]


def create(conn, steps=STEPS):
    with transaction(conn) as q:
        return q.create_plan_execution("ship", SESSION, steps)


def step_rows(conn, execution_id):
    return {step["step_id"]: step for step in plan_execution(conn, execution_id)["steps"]}


def finish_task(conn, task_id, cost=0.0, error=None):
    """Run the task through the lifecycle as a worker would: succeed (with a cost), or fail once."""
    with transaction(conn) as q:
        task = q.claim_and_start("default", 30)
        assert task.id == task_id
        if error is None:
            q.succeed(task_id, task.lease_owner, {"reply": f"reply of {task_id}"},
                      usage={"prompt_tokens": 1, "completion_tokens": 2, "estimated_cost_usd": cost})
        else:
            q.fail(task_id, task.lease_owner, error)


def test_an_execution_starts_running_with_pending_steps(conn):
    created = create(conn)
    execution_id = created["execution_id"]
    assert created == {"execution_id": execution_id, "session_id": SESSION, "plan_name": "ship", "status": "running"}
    execution = plan_execution(conn, execution_id)
    assert (execution["status"], execution["total_steps"], execution["completed_steps"], execution["current_wave"],
            execution["total_cost_usd"]) == ("running", 2, 0, 0, 0)
    assert [(s["step_id"], s["wave_number"], s["status"], s["task_id"]) for s in execution["steps"]] == [
        ("design", 0, "pending", None), ("build", 1, "pending", None)]
    assert running_plan_executions(conn) == [execution_id]
    with pytest.raises(StoreError, match="no steps"), transaction(conn) as q:
        q.create_plan_execution("empty", SESSION, [])


def test_starting_a_step_enqueues_its_plan_step_task_in_the_same_transaction(conn):
    execution_id = create(conn)["execution_id"]
    design = step_rows(conn, execution_id)["design"]
    with transaction(conn) as q:
        started = q.start_plan_step(design["id"], 0, "design it", task_id="task-1")
    assert started == {"task_id": "task-1", "created": True}
    row = conn.execute("SELECT session_id, agent_id, type, status, payload FROM tasks WHERE id = 'task-1'").fetchone()
    assert row[:4] == (SESSION, "default", "plan_step", "QUEUED")
    assert json.loads(row[4]) == {"content": "design it", "source": "plan",
                                  "plan": {"execution_id": execution_id, "step_id": "design", "attempt": 0}}
    design = step_rows(conn, execution_id)["design"]
    assert (design["status"], design["task_id"]) == ("running", "task-1")
    with transaction(conn) as q:  # the same attempt again is the same task
        assert q.start_plan_step(design["id"], 0, "design it") == {"task_id": "task-1", "created": False}
    assert [a.task_id for a in step_attempts(conn, execution_id, 0)] == ["task-1"]
    assert step_attempts(conn, execution_id, 1) == []


def test_a_refused_enqueue_leaves_the_step_pending(conn):
    execution_id = create(conn, [{**STEPS[0], "agent_id": "ghost"}])["execution_id"]
    design = step_rows(conn, execution_id)["design"]
    with pytest.raises(AgentNotFound), transaction(conn) as q:
        q.start_plan_step(design["id"], 0, "x")
    assert step_rows(conn, execution_id)["design"]["status"] == "pending"
    assert conn.execute("SELECT COUNT(*) FROM tasks").fetchone() == (0,)


def test_step_results_cost_and_execution_progress(conn):
    execution_id = create(conn)["execution_id"]
    steps = step_rows(conn, execution_id)
    with transaction(conn) as q:
        q.start_plan_step(steps["design"]["id"], 0, "design it", task_id="a0")
    finish_task(conn, "a0", error="boom")  # requeued for a retry by the queue: still one attempt
    with transaction(conn) as q:
        assert q.cancel("a0")
        q.start_plan_step(steps["design"]["id"], 1, "Previous attempt failed: aborted\n\ndesign it", task_id="a1")
    finish_task(conn, "a1", cost=0.25)
    attempts = step_attempts(conn, execution_id, 0)
    assert [(a.task_id, a.status, a.error) for a in attempts] == [("a0", "CANCELED", "aborted"),
                                                                 ("a1", "SUCCEEDED", None)]
    assert attempts[1].reply == "reply of a1"
    with transaction(conn) as q:
        progress = q.finish_plan_step(steps["design"]["id"], "succeeded", result="reply of a1")
        assert q.set_plan_execution(execution_id, current_wave=1)
    assert progress == {"completed_steps": 1, "total_cost_usd": 0.25}
    design = step_rows(conn, execution_id)["design"]
    assert (design["status"], design["result"], design["cost_usd"], design["task_id"]) == (
        "succeeded", "reply of a1", 0.25, "a1")
    with transaction(conn) as q:
        q.start_plan_step(steps["build"]["id"], 0, "build reply of a1", task_id="b0")
        assert q.cancel_plan_step_task("b0", "plan step time limit exceeded (300s)")
        assert not q.cancel_plan_step_task("b0", "again")
        q.finish_plan_step(steps["build"]["id"], "failed", error="plan step time limit exceeded (300s)")
        assert q.set_plan_execution(execution_id, status="failed")
        assert not q.set_plan_execution(execution_id, current_wave=5)  # ended: nothing changes
    assert step_attempts(conn, execution_id, 1)[0].error == "plan step time limit exceeded (300s)"
    execution = plan_execution(conn, execution_id)
    assert (execution["status"], execution["completed_steps"], execution["current_wave"],
            execution["total_cost_usd"]) == ("failed", 1, 1, 0.25)
    assert running_plan_executions(conn) == []
    with pytest.raises(StoreError, match="is failed"), transaction(conn) as q:
        q.start_plan_step(steps["build"]["id"], 1, "again")
    with pytest.raises(StoreError, match="status must be"), transaction(conn) as q:
        q.set_plan_execution(execution_id, status="running")


def test_a_gated_step_finds_its_approval_among_others(conn):
    execution_id = create(conn)["execution_id"]
    with transaction(conn) as q:
        q.create_approval("deploy", "not json at all", 60)
        q.create_approval(PLAN_STEP_ACTION, plan_step_details("other", "ship", "design", "default", "x"), 60)
        mine = q.create_approval(PLAN_STEP_ACTION, plan_step_details(execution_id, "ship", "design", "default", "x"), 60)
    assert plan_step_approval(conn, execution_id, "design")["approval_id"] == mine["approval_id"]
    assert plan_step_approval(conn, execution_id, "build") is None


def test_a_refused_enqueue_counts_as_an_attempt_in_order(conn):
    execution_id = create(conn)["execution_id"]
    step = step_rows(conn, execution_id)["design"]
    with transaction(conn) as q:
        q.refuse_plan_step(step["id"], 0, 'agent "default" not found')
        q.refuse_plan_step(step["id"], 0, "recorded once")
        started = q.start_plan_step(step["id"], 1, "design it", task_id="task-1")
    attempts = step_attempts(conn, execution_id, 0)
    assert [(a.task_id, a.status, a.error) for a in attempts] == [
        ("", "REFUSED", 'agent "default" not found'), (started["task_id"], "QUEUED", None)]


def test_canceling_an_execution_cancels_its_live_tasks_and_unfinished_steps(conn):
    execution_id = create(conn)["execution_id"]
    step = step_rows(conn, execution_id)["design"]
    with transaction(conn) as q:
        task_id = q.start_plan_step(step["id"], 0, "design it")["task_id"]
    with transaction(conn) as q:
        outcome = q.cancel_plan_execution(execution_id)
        assert q.cancel_plan_execution(execution_id) == {"execution_id": execution_id, "canceled": False,
                                                         "status": "canceled", "tasks": [], "approvals": []}
        with pytest.raises(StoreError, match="plan execution not found"):
            q.cancel_plan_execution("nope")
        with pytest.raises(StoreError, match="is canceled"):
            q.start_plan_step(step["id"], 1, "again")
    assert outcome == {"execution_id": execution_id, "canceled": True, "status": "canceled",
                       "tasks": [[task_id, "default"]], "approvals": []}
    rows = step_rows(conn, execution_id)
    assert {name: (row["status"], row["error"]) for name, row in rows.items()} == {
        "design": ("failed", "plan execution canceled"), "build": ("failed", "plan execution canceled")}
    assert conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone() == ("CANCELED",)
    assert running_plan_executions(conn) == []
