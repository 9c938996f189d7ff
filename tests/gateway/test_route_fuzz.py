"""Hostile requests on every route of the daemon's router, in process (the WSGI app called directly, as the
server would): odd methods, hostile path segments, query strings, abused headers and bodies. Every answer is
below 500, has a status the OpenAPI description (/openapi.json) documents for the route it reached, and a
body that validates against the documented schema; no exception text reaches a client; the daemon is
healthy after, and every task a request was told was accepted exists and ends.

Routes come from the router itself, so a route added later is fuzzed without anyone listing it.
"""

import json
import re
from typing import Any

import bottle
import jsonschema
import pytest
from gevent.pywsgi import unquote_latin1
from hypothesis import given
from hypothesis import strategies as st

from goclaw_actors.http.openapi import openapi_document, openapi_path
from goclaw_actors.http.openapi_operations import OPERATIONS
from goclaw_actors.http.routing import canonical_path
from goclaw_actors.queue.states import TERMINAL
from tests.gateway.hostile_values import bodies, headers, integers, near, path_segments, texts, uuids, values, wire
from tests.gateway.rest_fixtures import TOKEN, running_daemon
from tests.gateway.wsgi_client import Answer, call
from tests.helpers import wait_until
from tests.hypothesis_profiles import examples

KEY = "fuzz-unscoped-key-0123"
SCOPED = "fuzz-scoped-key-0123"
CONFIG = f"""
agents:
  - agent_id: coder
gateway:
  rate_limit: {{requests_per_minute: 1000000, burst_size: 1000000}}
  auth:
    enabled: true
    keys:
      - key: {KEY}
      - key: {SCOPED}
        agent_ids: [coder]
"""
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "get"]
CREDENTIALS = [{"Authorization": f"Bearer {TOKEN}"}] * 4 + [
    {"X-API-Key": KEY}, {"X-API-Key": SCOPED}, {}, {"Authorization": "Bearer wrong"},
    {"Authorization": f"bearer   {TOKEN}  "}, {"X-API-Key": TOKEN + "x"}]
WILDCARD = re.compile(r"<[^>]+>")
INTERNAL_TEXT = re.compile(r"Traceback|[A-Z][a-z]+Error\b|Exception\b|File \"/")
ROUTE_FUZZ = examples(30)

rpc_methods = st.sampled_from(["SendMessage", "message/send", "GetTask", "tasks/get", "ListTasks", "tasks/list",
                               "CancelTask", "tasks/cancel", "SendStreamingMessage", "message/stream", "x"])
message = near({"role": st.sampled_from(["user", "system", "assistant", "tool", "robot"]), "content": texts},
               ("role", "content"))
BODY_TEMPLATES: dict[str, st.SearchStrategy[dict]] = {
    "/v1/chat/completions": near({"model": st.sampled_from(["goclaw-v1", "agent:coder", "agent:default", "agent:x"]),
                                  "messages": st.lists(message, min_size=1, max_size=3), "stream": st.booleans(),
                                  "user": texts, "max_tokens": integers, "temperature": values, "n": integers},
                                 ("messages",)),
    "/a2a": near({"jsonrpc": st.just("2.0"), "id": st.one_of(integers, texts), "method": rpc_methods,
                  "params": near({"message": near({"parts": st.lists(near({"kind": st.just("text"), "text": texts}),
                                                                     max_size=2),
                                                   "metadata": near({"agent_id": texts})}, ("parts",)),
                                  "configuration": near({"returnImmediately": st.booleans(),
                                                         "blocking": st.booleans()}),
                                  "id": st.one_of(uuids, texts), "pageToken": texts, "historyLength": integers})},
                 ("jsonrpc", "id", "method")),
}
words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40)
VALID_BODIES: dict[str, st.SearchStrategy[dict]] = {  # accepted requests with unusual (but valid) text
    "/v1/chat/completions": st.fixed_dictionaries(
        {"model": st.sampled_from(["goclaw-v1", "agent:coder"]),
         "messages": st.lists(st.fixed_dictionaries({"role": st.just("user"), "content": words}), min_size=1,
                              max_size=2)},
        optional={"user": words, "stream": st.booleans()}),
    "/a2a": st.fixed_dictionaries(
        {"jsonrpc": st.just("2.0"), "id": st.integers(0, 2 ** 53), "method": st.sampled_from(["message/send",
                                                                                              "SendMessage"]),
         "params": st.fixed_dictionaries({"message": st.fixed_dictionaries({
             "role": st.just("user"), "messageId": uuids, "parts": st.lists(
                 st.fixed_dictionaries({"kind": st.just("text"), "text": words}), min_size=1, max_size=2)})})}),
}
GENERIC_BODY = near({"session_id": st.one_of(uuids, texts), "name": texts})


def requests_for(rule: str, method: str) -> st.SearchStrategy[dict[str, Any]]:
    """Requests aimed at the route `method rule`: its method mostly, hostile path parameters, queries,
    headers and bodies."""
    wildcards = WILDCARD.findall(rule)
    documented = OPERATIONS.get(f"{method} {rule}")
    query_names = list(documented.query) if documented is not None else []
    template = BODY_TEMPLATES.get(rule, GENERIC_BODY)
    own = "GET" if method == "ANY" else method
    hostile = st.fixed_dictionaries({
        "method": st.one_of(st.just(own), st.just(own), st.just(own), st.sampled_from(METHODS)),
        "segments": st.lists(path_segments, min_size=len(wildcards), max_size=len(wildcards)),
        "suffix": st.sampled_from(["", "", "", "", "/", "/..", "%00", "/%2e%2e/%2e%2e/etc/passwd", ";x", "//"]),
        "query": st.dictionaries(st.sampled_from(query_names + ["api_key", "limit", "offset", "task_id", "x"]),
                                 st.one_of(texts, integers.map(str)), max_size=4),
        "credential": st.sampled_from(CREDENTIALS),
        "headers": headers,
        "body": st.one_of(bodies(template), st.just(b"")),
    })
    # Requests wrong only in their parameters and body, so that some are accepted (and must not be lost).
    plain = st.fixed_dictionaries({
        "method": st.just(own), "segments": st.lists(path_segments, min_size=len(wildcards), max_size=len(wildcards)),
        "suffix": st.just(""), "query": st.just({}), "credential": st.just(CREDENTIALS[0]), "headers": st.just({}),
        "body": st.one_of(VALID_BODIES.get(rule, template).map(json.dumps).map(str.encode), bodies(template)),
    })
    return st.one_of(plain, hostile, hostile)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running_daemon(tmp_path_factory.mktemp("route-fuzz"), CONFIG) as api:
        yield api


def target_of(rule: str, request: dict[str, Any]) -> str:
    segments = iter(request["segments"])
    path = WILDCARD.sub(lambda _: next(segments), rule) + request["suffix"]
    query = "&".join(f"{wire(name)}={wire(value)}" for name, value in request["query"].items())
    return path + (f"?{query}" if query else "")


def reached_route(routes: bottle.Bottle, method: str, target: str) -> bottle.Route | None:
    """The route bottle serves `target` with (None: no route, or a path that is not UTF-8)."""
    path = canonical_path({"PATH_INFO": unquote_latin1(target.partition("?")[0])})  # as the server hands it over
    if path is None:
        return None
    try:
        return routes.router.match({"REQUEST_METHOD": method, "PATH_INFO": path})[0]
    except bottle.HTTPError:
        return None


def documented_answer(document: dict[str, Any], route: bottle.Route | None, method: str
                      ) -> dict[str, Any] | None:
    """The documented responses of the operation `method` reaches on `route` (None: not a documented one)."""
    if route is None:
        return None
    item = document["paths"].get(openapi_path(route.rule), {})
    operation = item.get(method.lower()) or (item.get("get") if method == "HEAD" else None)
    return operation["responses"] if operation else None


def check_answer(document: dict[str, Any], responses: dict[str, Any] | None, method: str, answer: Answer,
                 where: str) -> None:
    assert answer.status < 500, where
    if answer.status >= 400:  # (an answer's data may quote anything)
        assert not INTERNAL_TEXT.search(answer.body.decode("utf-8", "replace")), where
    media = answer.headers.get("Content-Type", "").split(";")[0].strip()
    if responses is None:  # no route: a refusal, a 404 or a 405, as JSON or plain text
        assert answer.status in (400, 401, 403, 404, 405, 413, 429, 204), where
        return
    assert str(answer.status) in responses, where
    content = responses[str(answer.status)].get("content", {})
    if method == "HEAD" or answer.status == 204:
        return
    assert media in content, where
    if media == "application/json":
        schema = {**content[media]["schema"], "components": document["components"]}
        try:
            jsonschema.validate(json.loads(answer.body), schema, cls=jsonschema.Draft202012Validator)
        except (ValueError, jsonschema.ValidationError) as exc:
            raise AssertionError(f"{where}: {exc}") from None


def accepted_task_ids(route: bottle.Route | None, answer: Answer) -> list[str]:
    """The tasks an answer says were accepted (chat completions, A2A sends)."""
    if route is None or route.rule not in ("/v1/chat/completions", "/a2a") or answer.status != 200 \
            or not answer.body or not answer.headers.get("Content-Type", "").startswith("application/json"):
        return []
    document = json.loads(answer.body)
    if route.rule == "/v1/chat/completions":
        return [document["id"].removeprefix("chatcmpl-")]
    result = document.get("result") if route.rule == "/a2a" and isinstance(document, dict) else None
    task = result.get("task", result) if isinstance(result, dict) else None
    if isinstance(task, dict) and isinstance(task.get("id"), str) and task.get("kind", "task") == "task":
        return [task["id"]]
    return []


def test_every_route_answers_hostile_requests_as_documented(api):
    app = api.daemon.runtime.app
    routes: bottle.Bottle = app.routes
    document = openapi_document(routes)
    accepted: list[str] = []
    fuzzed = 0
    for route in list(routes.routes):
        @ROUTE_FUZZ
        @given(request=requests_for(route.rule, route.method))
        def probe(request: dict[str, Any]) -> None:
            method, target = request["method"], target_of(route.rule, request)
            sent = {**request["headers"], **request["credential"]} if len(request["headers"]) % 2 \
                else {**request["credential"], **request["headers"]}  # sometimes the abused header wins
            body = request["body"] if method not in ("GET", "HEAD") or request["suffix"] == "" else b""
            answer = call(app, method, target, sent, body)
            reached = reached_route(routes, method, target)
            where = f"{method} {target[:200]} {sent!r:.300} {body[:200]!r}: {answer.status} {answer.body[:300]!r}"
            check_answer(document, documented_answer(document, reached, method), method, answer, where)
            accepted.extend(accepted_task_ids(reached, answer))

        probe()
        fuzzed += 1
    assert fuzzed == len(routes.routes) >= len(OPERATIONS)

    assert accepted, "no hostile-but-valid request was accepted: the strategies have drifted"
    for task_id in accepted:  # nothing accepted is lost
        wait_until(lambda: api.get(f"/api/tasks/{task_id}").json().get("status") in TERMINAL, timeout=30,
                   what=f"task {task_id} to end")
    assert api.get("/healthz").json()["healthy"] is True
    reply = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "still there?"}]})
    assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"]
