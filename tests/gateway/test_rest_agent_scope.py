"""Agent scopes (SPEC §9.2) on REST and A2A: a key limited to some agents sees and touches only their tasks,
sessions and plans.

The security middleware is not part of these routes; a small WSGI layer stands in for it by putting the
key's Principal in the environ (as the middleware does), and the routes are served on a real socket.
"""

import uuid

import bottle
import pytest
import requests

from goclaw_actors.http.a2a_routes import install_a2a_routes
from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, wait_terminal
from goclaw_actors.http.principal import ENVIRON_KEY, Principal
from goclaw_actors.http.rest_routes import install_rest_routes
from goclaw_actors.http.server import NoDelayWSGIServer
from tests.gateway.rest_fixtures import running_daemon
from tests.gateway.test_rest_routes import PLANS_CONFIG

SCOPED = Principal("api_key", "k1", frozenset({"default"}))
DENIED = {"error": 'API key not permitted for agent "coder"'}


@pytest.fixture
def scoped(tmp_path):
    """(daemon api, base URL of the REST routes as the scoped key sees them)."""
    with running_daemon(tmp_path, PLANS_CONFIG) as api:
        routes = bottle.Bottle(autojson=True)
        install_rest_routes(routes, api.context())
        install_a2a_routes(routes, api.context())

        def as_scoped_key(environ, start_response):
            environ[ENVIRON_KEY] = SCOPED
            return routes(environ, start_response)

        server = NoDelayWSGIServer(("127.0.0.1", 0), as_scoped_key, log=None)
        server.start()
        try:
            yield api, f"http://127.0.0.1:{server.server_port}"
        finally:
            server.stop(timeout=1)


def finished(ctx, agent_id: str, session_id: str) -> str:
    task_id = enqueue_chat(ctx, ChatRequest(agent_id, session_id, f"for {agent_id}"))
    assert wait_terminal(ctx, task_id, timeout=10).status == "SUCCEEDED"
    return task_id


def test_scoped_key_sees_only_its_agents(scoped):
    api, base = scoped
    ctx = api.context()
    mine_session, other_session = str(uuid.uuid4()), str(uuid.uuid4())
    mine = finished(ctx, "default", mine_session)
    other = finished(ctx, "coder", other_session)
    assert api.get("/api/tasks").json()["total"] == 2  # the daemon token sees both

    body = requests.get(f"{base}/api/tasks", timeout=10).json()
    assert body["total"] == 1 and [t["id"] for t in body["tasks"]] == [mine]
    assert requests.get(f"{base}/api/tasks/{mine}", timeout=10).status_code == 200
    for response in (requests.get(f"{base}/api/tasks/{other}", timeout=10),
                     requests.post(f"{base}/api/tasks/{other}/abort", timeout=10),
                     requests.get(f"{base}/api/sessions/{other_session}/messages", params={"agent_id": "coder"},
                                  timeout=10),
                     requests.post(f"{base}/api/plans/ship/execute", timeout=10)):
        assert response.status_code == 403 and response.json() == DENIED
    sessions = requests.get(f"{base}/api/sessions", timeout=10).json()["sessions"]
    assert [s["id"] for s in sessions] == [mine_session]
    assert requests.get(f"{base}/api/sessions/{other_session}/messages", timeout=10).json() == {"messages": []}
    assert requests.get(f"{base}/api/plans", timeout=10).json() == {"plans": []}  # every plan uses coder


def test_scoped_key_on_a2a(scoped):
    api, base = scoped
    ctx = api.context()
    mine = finished(ctx, "default", str(uuid.uuid4()))
    other = finished(ctx, "coder", str(uuid.uuid4()))

    def call(method, params):
        return requests.post(f"{base}/a2a", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                             timeout=10)

    message = {"role": "user", "parts": [{"kind": "text", "text": "hi"}], "metadata": {"agent_id": "coder"}}
    for response in (call("message/send", {"message": message}), call("SendStreamingMessage", {"message": message}),
                     call("tasks/get", {"id": other}), call("CancelTask", {"id": other})):
        assert response.status_code == 403 and response.json() == DENIED
    listed = call("ListTasks", {}).json()["result"]
    assert [t["id"] for t in listed["tasks"]] == [mine] and listed["totalSize"] == 1
    assert call("GetTask", {"id": mine}).json()["result"]["id"] == mine
    assert api.get("/api/tasks").json()["total"] == 2  # the refused sends enqueued nothing
