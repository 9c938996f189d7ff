"""Agent scopes (SPEC §9.2) on REST and A2A through the real auth middleware: a gateway API key limited to
some agents sees and touches only their tasks, sessions and plans."""

import uuid

import pytest
import requests

from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, wait_terminal
from tests.gateway.rest_fixtures import SCOPED_KEY, SCOPED_KEY_CONFIG, running_daemon
from tests.gateway.test_rest_routes import PLANS_CONFIG

DENIED = {"error": 'API key not permitted for agent "coder"'}


class ScopedClient:
    """requests with the scoped API key (as X-API-Key) against the daemon."""

    def __init__(self, base: str):
        self.base = base
        self.headers = {"X-API-Key": SCOPED_KEY}

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=10, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.base + path, headers=self.headers, timeout=10, **kwargs)


@pytest.fixture
def scoped(tmp_path):
    """(daemon api with the token, client with the scoped key)."""
    with running_daemon(tmp_path, PLANS_CONFIG + SCOPED_KEY_CONFIG) as api:
        yield api, ScopedClient(api.base)


def finished(ctx, agent_id: str, session_id: str) -> str:
    task_id = enqueue_chat(ctx, ChatRequest(agent_id, session_id, f"for {agent_id}"))
    assert wait_terminal(ctx, task_id).status == "SUCCEEDED"
    return task_id


def test_scoped_key_sees_only_its_agents(scoped):
    api, key = scoped
    ctx = api.context()
    mine_session, other_session = str(uuid.uuid4()), str(uuid.uuid4())
    mine = finished(ctx, "default", mine_session)
    other = finished(ctx, "coder", other_session)
    assert api.get("/api/tasks").json()["total"] == 2  # the daemon token sees both

    body = key.get("/api/tasks").json()
    assert body["total"] == 1 and [t["id"] for t in body["tasks"]] == [mine]
    assert key.get(f"/api/tasks/{mine}").status_code == 200
    for response in (key.get(f"/api/tasks/{other}"),
                     key.post(f"/api/tasks/{other}/abort"),
                     key.get(f"/api/sessions/{other_session}/messages", params={"agent_id": "coder"}),
                     key.post("/api/plans/ship/execute")):
        assert response.status_code == 403 and response.json() == DENIED
    sessions = key.get("/api/sessions").json()["sessions"]
    assert [s["id"] for s in sessions] == [mine_session]
    assert key.get(f"/api/sessions/{other_session}/messages").json() == {"messages": []}
    assert key.get("/api/plans").json() == {"plans": []}  # every plan uses coder


def test_scoped_key_on_a2a(scoped):
    api, key = scoped
    ctx = api.context()
    mine = finished(ctx, "default", str(uuid.uuid4()))
    other = finished(ctx, "coder", str(uuid.uuid4()))

    def call(method, params):
        return key.post("/a2a", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})

    message = {"role": "user", "parts": [{"kind": "text", "text": "hi"}], "metadata": {"agent_id": "coder"}}
    for response in (call("message/send", {"message": message}), call("SendStreamingMessage", {"message": message}),
                     call("tasks/get", {"id": other}), call("CancelTask", {"id": other})):
        assert response.status_code == 403 and response.json() == DENIED
    listed = call("ListTasks", {}).json()["result"]
    assert [t["id"] for t in listed["tasks"]] == [mine] and listed["totalSize"] == 1
    assert call("GetTask", {"id": mine}).json()["result"]["id"] == mine
    assert api.get("/api/tasks").json()["total"] == 2  # the refused sends enqueued nothing
    assert requests.post(key.base + "/a2a", json={}, timeout=10).status_code == 401  # no key at all
