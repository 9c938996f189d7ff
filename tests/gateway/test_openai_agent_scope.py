"""Agent scopes (SPEC §9.2) on the OpenAI API and the task stream: a key limited to `writer`.

A small WSGI layer stands in for the security middleware by putting the key's Principal in the
environ (as the middleware does); the routes are served on a real socket.
"""

import bottle
import openai
import pytest
import requests

from goclaw_actors.http.openai_routes import install_openai_routes
from goclaw_actors.http.principal import ENVIRON_KEY, Principal
from goclaw_actors.http.server import NoDelayWSGIServer
from goclaw_actors.http.sse_routes import install_sse_routes
from tests.gateway.openai_fixtures import AUTH, TOKEN, gateway  # noqa: F401  (fixture)

WRITER_ONLY = Principal("api_key", "k1", frozenset({"writer"}))


@pytest.fixture
def scoped_url(gateway):
    """Base URL of the OpenAI and SSE routes as the writer-only key sees them."""
    routes = bottle.Bottle(autojson=True)
    install_openai_routes(routes, gateway.ctx)
    install_sse_routes(routes, gateway.ctx)

    def as_scoped_key(environ, start_response):
        environ[ENVIRON_KEY] = WRITER_ONLY
        return routes(environ, start_response)

    server = NoDelayWSGIServer(("127.0.0.1", 0), as_scoped_key, log=None)
    server.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.stop(timeout=1)


def test_a_scoped_key_may_only_address_its_agents(gateway, scoped_url):
    client = openai.OpenAI(base_url=scoped_url + "/v1", api_key=TOKEN, max_retries=0, timeout=20)
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(model="goclaw-v1", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 403
    assert info.value.body == {"message": 'API key not permitted for agent "default"', "type": "permission_error",
                               "param": None, "code": "agent_not_permitted"}
    assert gateway.query("SELECT COUNT(*) FROM tasks") == [(0,)]
    allowed = client.chat.completions.create(model="agent:writer", messages=[{"role": "user", "content": "hi"}])
    assert allowed.choices[0].finish_reason == "stop"
    assert [model.id for model in client.models.list().data] == ["agent:writer"]
    client.close()


def test_a_scoped_key_cannot_follow_another_agents_task(gateway, scoped_url):
    task_id = gateway.enqueue("hello")
    response = requests.get(scoped_url + "/api/v1/task/stream", params={"task_id": task_id}, headers=AUTH, timeout=10)
    assert (response.status_code, response.json()) == (403, {"error": 'API key not permitted for agent "default"'})
