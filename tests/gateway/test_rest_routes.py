"""REST routes (SPEC §9.5) on the real server: listings, task JSON, abort, sessions, config, plans, errors."""

import json
import sqlite3
import uuid

import pytest

from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, wait_terminal
from goclaw_actors.processor import FALLBACK_REPLY
from tests.gateway.rest_fixtures import running_daemon

TASK_KEYS_SUCCEEDED = ["id", "session_id", "type", "status", "attempt", "max_attempts", "available_at", "payload",
                       "result", "created_at", "updated_at", "agent_id"]
PLANS_CONFIG = """
delegation_max_hops: 0
agents:
  - agent_id: coder
    worker_count: 1
plans:
  - name: ship
    steps:
      - {id: design, agent_id: default, prompt: "design it"}
      - {id: build, agent_id: coder, prompt: "build {design.output}", depends_on: [design]}
      - {id: review, agent_id: default, prompt: "review", depends_on: [build]}
  - name: loop
    steps:
      - {id: a, agent_id: default, prompt: x, depends_on: [b]}
      - {id: b, agent_id: default, prompt: y, depends_on: [a]}
  - name: stranger
    steps:
      - {id: a, agent_id: nobody, prompt: x}
  - name: solo
    steps:
      - {id: only, agent_id: coder, prompt: x}
"""


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path, PLANS_CONFIG) as api:
        yield api


def run_chat(ctx, content: str, session_id: str | None = None, agent_id: str = "default") -> str:
    task_id = enqueue_chat(ctx, ChatRequest(agent_id, session_id or str(uuid.uuid4()), content))
    assert wait_terminal(ctx, task_id, timeout=10).status == "SUCCEEDED"
    return task_id


def test_task_json_has_exactly_the_documented_fields(api):
    ctx = api.context()
    task_id = run_chat(ctx, "hello")
    response = api.get(f"/api/tasks/{task_id}")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    task = response.json()
    assert list(task) == TASK_KEYS_SUCCEEDED
    assert task["id"] == task_id and task["status"] == "SUCCEEDED" and task["type"] == "chat"
    assert task["agent_id"] == "default" and task["attempt"] == 0 and task["max_attempts"] == 3
    assert task["payload"] == '{"content":"hello"}'
    assert json.loads(task["result"])["reply"] == FALLBACK_REPLY
    for key in ("available_at", "created_at", "updated_at"):
        assert task[key].endswith("Z") and "T" in task[key]


def test_unknown_task_is_404(api):
    response = api.get("/api/tasks/no-such-task")
    assert response.status_code == 404
    assert response.json() == {"error": "task not found: no-such-task"}
    response = api.post("/api/tasks/no-such-task/abort")
    assert response.status_code == 404
    assert response.json() == {"error": "task not found: no-such-task"}


def test_tasks_list_is_newest_first_with_total_paging_and_status_filter(api):
    ctx = api.context()
    ids = [run_chat(ctx, f"task {n}") for n in range(23)]
    newest_first = list(reversed(ids))
    body = api.get("/api/tasks").json()
    assert body["total"] == 23 and [t["id"] for t in body["tasks"]] == newest_first[:20]  # default limit 20
    body = api.get("/api/tasks", params={"limit": 5, "offset": 3}).json()
    assert body["total"] == 23 and [t["id"] for t in body["tasks"]] == newest_first[3:8]
    assert len(api.get("/api/tasks", params={"limit": 101}).json()["tasks"]) == 20  # >100 ⇒ 20
    assert len(api.get("/api/tasks", params={"limit": 100}).json()["tasks"]) == 23
    body = api.get("/api/tasks", params={"status": "SUCCEEDED", "limit": 2}).json()
    assert body["total"] == 23 and [t["id"] for t in body["tasks"]] == newest_first[:2]
    assert api.get("/api/tasks", params={"status": "QUEUED"}).json() == {"tasks": [], "total": 0}
    response = api.get("/api/tasks", params={"status": "DONE"})
    assert response.status_code == 400 and response.json() == {"error": 'invalid status "DONE"'}
    assert api.get("/api/tasks", params={"offset": 40}).json() == {"tasks": [], "total": 23}


def test_abort_of_a_finished_task_reports_false_and_changes_nothing(api):
    task_id = run_chat(api.context(), "hello")
    response = api.post(f"/api/tasks/{task_id}/abort")
    assert response.status_code == 200 and response.json() == {"aborted": False}
    assert api.get(f"/api/tasks/{task_id}").json()["status"] == "SUCCEEDED"
    assert api.get(f"/api/tasks/{task_id}/abort").status_code == 405


def test_sessions_and_their_messages(api):
    ctx = api.context()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    run_chat(ctx, "one", first)
    run_chat(ctx, "two", second)
    run_chat(ctx, "three", first)
    sessions = api.get("/api/sessions").json()["sessions"]
    assert [s["id"] for s in sessions] == [second, first]  # newest first
    assert set(sessions[0]) == {"id", "created_at", "updated_at"}
    assert [s["id"] for s in api.get("/api/sessions", params={"limit": 1}).json()["sessions"]] == [second]
    messages = api.get(f"/api/sessions/{first}/messages").json()["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "one"), ("assistant", FALLBACK_REPLY), ("user", "three"), ("assistant", FALLBACK_REPLY)]
    assert list(messages[0]) == ["id", "session_id", "agent_id", "role", "content", "tokens", "created_at"]
    assert messages[0]["session_id"] == first and messages[0]["agent_id"] == "default"
    latest = api.get(f"/api/sessions/{first}/messages", params={"limit": 2}).json()["messages"]
    assert [m["content"] for m in latest] == ["three", FALLBACK_REPLY]
    assert api.get(f"/api/sessions/{uuid.uuid4()}/messages").json() == {"messages": []}


def test_other_session_routes_are_400(api):
    session_id = str(uuid.uuid4())
    base = f"/api/sessions/{session_id}"
    for path in (base, f"{base}/events", f"{base}/a/b"):
        for method in (api.get, api.post):
            response = method(path)
            assert response.status_code == 400, path
            assert response.json() == {"error": "only GET /api/sessions/{id}/messages is supported"}
    response = api.post(f"/api/sessions/{session_id}/messages")
    assert response.status_code == 405 and response.headers["Allow"] == "GET"


def test_skills_and_config_fingerprint(api):
    assert api.get("/api/skills").json() == {"skills": []}
    body = api.get("/api/config").json()
    assert body == {"config_hash": api.daemon.boot.config.config_hash,
                    "policy_version": api.daemon.boot.policy.version}
    assert body["config_hash"].startswith("cfg-") and body["policy_version"].startswith("policy-")


def test_plans_list_only_valid_plans_in_config_order(api):
    assert api.get("/api/plans").json() == {"plans": [
        {"name": "ship", "step_count": 3, "agent_ids": ["default", "coder"]},
        {"name": "solo", "step_count": 1, "agent_ids": ["coder"]},
    ]}


def test_plan_execute_unknown_plan_is_404_and_a_known_plan_starts(api):
    response = api.post("/api/plans/nope/execute", json={})
    assert response.status_code == 404 and response.json() == {"error": 'plan "nope" not found'}
    response = api.post("/api/plans/loop/execute")  # invalid plans do not exist
    assert response.status_code == 404 and response.json() == {"error": 'plan "loop" not found'}
    assert api.get("/api/tasks").json()["total"] == 0  # nothing was enqueued
    response = api.post("/api/plans/ship/execute")
    body = response.json()
    assert response.status_code == 202 and body == {"execution_id": body["execution_id"],
                                                    "session_id": body["session_id"], "plan_name": "ship",
                                                    "status": "running"}


def test_plan_execution_with_its_steps(api):
    execution_id, session_id = str(uuid.uuid4()), str(uuid.uuid4())
    response = api.get(f"/api/plans/executions/{execution_id}")
    assert response.status_code == 404 and response.json() == {"error": f"plan execution not found: {execution_id}"}
    now = "2026-03-01 10:00:00.000000"
    with sqlite3.connect(api.daemon.boot.db_path) as conn:  # as the plan runner would have written them
        conn.execute("INSERT INTO plan_executions (id, plan_name, session_id, status, total_steps, completed_steps, "
                     "current_wave, total_cost_usd, created_at, updated_at) VALUES (?, 'ship', ?, 'running', 2, 1, 1, "
                     "0.5, ?, ?)", (execution_id, session_id, now, now))
        for index, (step_id, wave, status) in enumerate([("build", 1, "running"), ("design", 0, "succeeded")]):
            conn.execute("INSERT INTO plan_execution_steps (execution_id, step_id, step_index, wave_number, agent_id, "
                         "prompt, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'default', 'p', ?, ?, ?)",
                         (execution_id, step_id, index, wave, status, now, now))
    body = api.get(f"/api/plans/executions/{execution_id}").json()
    assert {k: v for k, v in body.items() if k != "steps"} == {
        "id": execution_id, "plan_name": "ship", "session_id": session_id, "status": "running", "total_steps": 2,
        "completed_steps": 1, "current_wave": 1, "total_cost_usd": 0.5,
        "created_at": "2026-03-01T10:00:00.000000Z", "updated_at": "2026-03-01T10:00:00.000000Z"}
    assert [(s["step_id"], s["wave_number"], s["status"]) for s in body["steps"]] == [
        ("design", 0, "succeeded"), ("build", 1, "running")]
    assert set(body["steps"][0]) == {"id", "step_id", "step_index", "wave_number", "agent_id", "prompt", "task_id",
                                     "status", "result", "error", "cost_usd", "created_at", "updated_at"}
