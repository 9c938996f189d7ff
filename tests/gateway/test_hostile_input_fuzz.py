"""A bounded, reproducible hypothesis run of hostile input against the running daemon's OpenAI, REST, A2A and
ACP surfaces: bad input never gets a 5xx, a JSON-RPC -32603 (other than the documented not-found answers)
or internal exception text, and the daemon is healthy and serving afterwards.

The ACP methods that persist settings or agents (`agent.create`, `config.set`, `config.model.set`,
`policy.domain.add`) get their own run, followed by a restart from what they stored. NaN and infinite
numbers are left out of the strategies (request parameter validation and the provider circuit breaker
have their own tests).
"""

import json
import re
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from goclaw_actors.http.a2a_routes import METHODS as A2A_METHODS
from goclaw_actors.http.a2a_routes import STREAM_METHODS as A2A_STREAM_METHODS
from goclaw_actors.http.acp.routes import acp_methods
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.hostile_values import bodies, deep_values, encoded, integers, near, path_segments, texts, uuids, \
    values
from tests.gateway.rest_fixtures import AUTH, running_daemon
from tests.hypothesis_profiles import examples

FUZZ = examples(60)
PERSISTING = {"agent.create", "config.set", "config.model.set", "policy.domain.add"}  # fuzzed with a restart
NOT_FOUND = re.compile(r"^(task not found|schedule not found|plan execution not found|agent \".*\" (not found|"
                       r"already exists)|cannot remove default agent|plan \".*\" not found)")
INTERNAL_TEXT = re.compile(r"Traceback|[A-Z][a-z]+Error\b|Exception\b")

roles = st.one_of(st.just("user"), st.sampled_from(["user", "system", "developer", "assistant", "tool", "robot"]))
messages = st.lists(near({"role": roles,
                          "content": st.one_of(texts, texts, st.lists(near({"type": st.sampled_from(["text", "image"]),
                                                                            "text": texts}), max_size=2)),
                          "tool_calls": values, "tool_call_id": texts}, ("role", "content")), min_size=1, max_size=3)
# No NaN or infinity for sampling parameters: finding 5 validates them (and keeps the breaker closed).
openai_requests = near({"model": st.sampled_from(["goclaw-v1", "agent:default", "agent:coder", "agent:nope"]),
                        "messages": messages, "stream": st.booleans(), "user": texts, "max_tokens": integers,
                        "stream_options": near({"include_usage": st.booleans()}), "n": integers,
                        "response_format": values, "tools": values, "tool_choice": values}, ("messages",))
a2a_params = near({"message": near({"parts": st.lists(near({"kind": st.just("text"), "text": texts}, ("text",)),
                                                      max_size=2),
                                    "contextId": st.one_of(uuids, texts), "metadata": near({"agent_id": texts})},
                                   ("parts",)),
                   "configuration": near({"blocking": st.booleans(), "historyLength": integers}),
                   "id": st.one_of(uuids, texts), "historyLength": integers, "pageSize": integers,
                   "pageToken": st.one_of(integers.map(str), texts), "status": texts, "contextId": uuids})


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running_daemon(tmp_path_factory.mktemp("fuzz"), "agents:\n  - agent_id: coder\n") as api:
        yield api


def assert_plain(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert not INTERNAL_TEXT.search(response.text), response.text[:300]


def assert_rpc_error_is_documented(document) -> None:
    error = document.get("error") if isinstance(document, dict) else None
    if error and error.get("code") == -32603:
        assert NOT_FOUND.match(error["message"]), error


def test_openai_chat_completions(api):
    @FUZZ
    @given(body=bodies(openai_requests))
    def probe(body: bytes):
        response = api.post("/v1/chat/completions", data=body, headers={"Content-Type": "application/json"})
        assert_plain(response)

    probe()
    assert_healthy(api)


def test_rest_routes(api):
    segment = path_segments
    query = st.dictionaries(st.sampled_from(["status", "limit", "offset", "include", "agent_id", "task_id"]),
                            st.one_of(texts, integers.map(str)), max_size=4)
    requests_ = st.one_of(
        st.tuples(st.just("GET"), st.just("/api/tasks"), query),
        st.tuples(st.just("GET"), segment.map("/api/tasks/{}".format), query),
        st.tuples(st.just("POST"), segment.map("/api/tasks/{}/abort".format), query),
        st.tuples(st.just("GET"), st.just("/api/sessions"), query),
        st.tuples(st.just("GET"), segment.map("/api/sessions/{}/messages".format), query),
        st.tuples(st.just("GET"), st.just("/api/v1/task/stream"), query),
        st.tuples(st.just("GET"), segment.map("/api/plans/executions/{}".format), query),
        st.tuples(st.just("POST"), segment.map("/api/plans/{}/execute".format), query),
    )

    @FUZZ
    @given(request=requests_, body=bodies(near({"session_id": st.one_of(uuids, texts)})))
    def probe(request, body: bytes):
        method, path, params = request
        query = urlencode({name: value.encode("utf-8", "surrogatepass") for name, value in params.items()})
        response = api.http.request(method, f"{api.base}{path}?{query}", timeout=30,
                                    data=body if method == "POST" else None)
        assert_plain(response)

    probe()
    assert_healthy(api)


def test_a2a_json_rpc(api):
    methods = st.sampled_from(sorted(A2A_METHODS) + sorted(A2A_STREAM_METHODS) + ["nope"])  # the route's own table
    rpc = near({"jsonrpc": st.just("2.0"), "id": st.one_of(integers, texts), "method": methods, "params": a2a_params},
               ("jsonrpc", "id", "method", "params"))

    @FUZZ
    @given(body=bodies(rpc))
    def probe(body: bytes):
        response = api.post("/a2a", data=body)
        assert_plain(response)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            assert_rpc_error_is_documented(response.json())

    probe()
    assert_healthy(api)


def test_acp_methods(api):
    names = sorted(set(acp_methods()) - PERSISTING)
    param_names = ["session_id", "content", "text", "agent_id", "task_id", "limit", "from_event_id", "priority",
                   "approval_id", "decision", "action", "details", "name", "cron_expr", "payload", "schedule_id",
                   "parent_task_id", "key", "value"]
    params = st.dictionaries(st.sampled_from(param_names), st.one_of(values, uuids, texts, texts, deep_values),
                             max_size=5)
    client = AcpClient(port_of(api)).hello()

    @FUZZ
    @given(method=st.sampled_from(names), params=st.one_of(params, values))
    def probe(method: str, params):
        acp_probe(client, method, params)

    try:
        probe()
    finally:
        client.close()
    assert_healthy(api)


def acp_probe(client: AcpClient, method: str, params) -> dict:
    """Send one request; its answer (returned) is a result or a documented error, with no internal text."""
    request_id = next(client.ids)
    client.send(encoded({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}).decode())
    response = client.recv()
    while "id" not in response:  # notifications (e.g. of a subscription) may come first
        response = client.recv()
    if response["id"] is None:  # refused before its id was read: not JSON the daemon accepts
        assert response["error"] == {"code": -32700, "message": "parse error"}, response
        return response
    assert response["id"] == request_id, response
    assert_rpc_error_is_documented(response)
    assert not INTERNAL_TEXT.search(json.dumps(response.get("error", ""))), response
    return response


def assert_healthy(api) -> None:
    """Health answers 200 and a chat completion still goes through."""
    assert requests.get(api.base + "/healthz", timeout=10).json()["healthy"] is True
    response = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "still there?"}]},
                        headers=AUTH)
    assert response.status_code == 200 and response.json()["choices"][0]["message"]["content"]
