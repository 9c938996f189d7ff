"""kill -9 mid-plan, then restart (SPEC §7.4, §13): the execution resumes at its wave; succeeded steps are not
run again, a step whose task was in flight awaits that task, a pending approval is the one decided."""

import json
import sqlite3

import requests

from tests.gateway.acp_client import TOKEN, AcpClient
from tests.helpers import wait_until

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PLANS = """
plans:
  - name: ship
    steps:
      - {id: a1, agent_id: default, prompt: "first"}
      - {id: a2, agent_id: default, prompt: "second"}
      - {id: b, agent_id: default, prompt: "combine {a1.output} and {a2.output}", depends_on: [a1, a2]}
      - {id: c, agent_id: default, prompt: "finish {b.output}", depends_on: [b]}
  - name: gated
    steps:
      - {id: deploy, agent_id: default, prompt: "deploy", requires_approval: true}
"""


def configure(home):
    (home / "config.yaml").write_text("agents: []\nworker_count: 4\napproval_timeout_seconds: 120\n" + PLANS)


def execute(daemon, name):
    response = requests.post(f"{daemon.url}/api/plans/{name}/execute", headers=AUTH, timeout=5)
    assert response.status_code == 202, response.text
    return response.json()["execution_id"]


def execution(daemon, execution_id):
    return requests.get(f"{daemon.url}/api/plans/executions/{execution_id}", headers=AUTH, timeout=5).json()


def steps_of(body):
    return {step["step_id"]: step for step in body["steps"]}


def query(daemon, sql, *params):
    with sqlite3.connect(daemon.db_path, timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


def plan_tasks(daemon, execution_id):
    """(step attempt key, task id, status) of the execution's tasks."""
    return query(daemon, "SELECT idempotency_key, id, status FROM tasks WHERE idempotency_key LIKE ? "
                         "ORDER BY idempotency_key", f"plan:{execution_id}:%")


def test_kill9_during_the_second_wave_resumes_it_without_rerunning_anything(home, daemons):
    configure(home)
    env = {"GOCLAW_AUTH_TOKEN": TOKEN}
    first = daemons(home, env={**env, "GOCLAW_DEBUG_TASK_DELAY_MS": "1500"}).start().wait_healthy()
    execution_id = execute(first, "ship")

    def second_wave_running():
        steps = steps_of(execution(first, execution_id))
        task_id = steps["b"]["task_id"]
        if task_id and query(first, "SELECT status FROM tasks WHERE id = ?", task_id) == [("RUNNING",)]:
            return steps
        return None

    before = wait_until(second_wave_running, 15, interval=0.02, what="step b running")
    assert before["a1"]["status"] == before["a2"]["status"] == "succeeded"
    first.kill9()
    assert query(first, "SELECT status, current_wave FROM plan_executions") == [("running", 1)]

    second = daemons(home, env=env).start().wait_healthy()
    body = wait_until(lambda: (lambda b: b if b["status"] != "running" else None)(execution(second, execution_id)),
                      20, interval=0.05, what="the execution to end")
    assert (body["status"], body["completed_steps"], body["current_wave"]) == ("succeeded", 4, 2)
    after = steps_of(body)
    assert after["b"]["task_id"] == before["b"]["task_id"]  # the task in flight was awaited, not enqueued again
    assert [key.rsplit(":", 2)[1:] for key, _, _ in plan_tasks(second, execution_id)] == [
        ["0", "0"], ["1", "0"], ["2", "0"], ["3", "0"]]  # one task per step: nothing ran twice
    kinds = [kind for (kind,) in query(second, "SELECT event_type FROM task_events WHERE task_id = ? ORDER BY "
                                               "event_id", before["b"]["task_id"])]
    assert "task.recovered" in kinds and kinds[-1] == "task.succeeded"
    (payload,) = query(second, "SELECT payload FROM tasks WHERE id = ?", after["c"]["task_id"])[0]
    assert json.loads(payload)["content"] == f"finish {after['b']['result']}"
    assert any(line.get("msg") == "plan executions resumed" and line.get("count") == 1
               for line in second.json_lines())
    assert second.terminate() == 0


def test_a_step_waiting_for_approval_keeps_its_approval_across_a_crash(home, daemons):
    configure(home)
    env = {"GOCLAW_AUTH_TOKEN": TOKEN}
    first = daemons(home, env=env).start().wait_healthy()
    execution_id = execute(first, "gated")
    wait_until(lambda: query(first, "SELECT COUNT(*) FROM approvals") == [(1,)], 10, what="the approval")
    first.kill9()

    second = daemons(home, env=env).start().wait_healthy()
    client = AcpClient(second.port).hello()
    try:
        items = wait_until(lambda: client.call("approval.list")["items"], 5)
        assert [item["status"] for item in items] == ["PENDING"]
        client.call("approval.respond", {"approval_id": items[0]["approval_id"], "decision": "approve"})
    finally:
        client.close()
    body = wait_until(lambda: (lambda b: b if b["status"] != "running" else None)(execution(second, execution_id)),
                      10, interval=0.05, what="the execution to end")
    assert body["status"] == "succeeded"
    assert query(second, "SELECT COUNT(*) FROM approvals") == [(1,)]  # the resumed step asked nobody again
    assert second.terminate() == 0
