"""Access is decided on the route the router matches for the canonical path (issue: bottle routed paths with
invalid UTF-8 bytes dropped while authentication looked at the raw path, so `GET /ap%FFi/tasks` reached
/api/tasks without a token). The attacks go over a real socket to the running daemon."""

import http.client
import json
import sqlite3

import bottle
import pytest

from goclaw_actors.http.principal import ANONYMOUS, current_principal
from goclaw_actors.http.route_access import AGENT_DATA, DAEMON_WIDE, check_declared, declared_access
from tests.actors.daemon_fixture import daemon  # noqa: F401  (fixture)
from tests.gateway.security_client import BEARER, daemon_config, with_config  # noqa: F401
from tests.gateway.test_gateway_auth import API_KEYS  # `full-key` (every agent) and `scoped-key`


def raw_request(daemon, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, body) of a request whose path goes on the wire exactly as given (no client normalising)."""
    port = daemon.boot.listener.getsockname()[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        sized = {"Content-Length": str(len(body))} if body is not None else {}
        for name, value in {**(headers or {}), **sized}.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def task_count(daemon) -> int:
    with sqlite3.connect(daemon.boot.db_path, timeout=5) as conn:
        return conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]


CHAT = json.dumps({"model": "goclaw-v1", "messages": [{"role": "user", "content": "spend the operator's key"}]})


def test_invalid_utf8_in_the_path_is_400_and_reaches_no_route(daemon):
    for method, path, body in [("GET", "/ap%FFi/tasks", None), ("GET", "/%FFmetrics", None),
                               ("POST", "/%FFv1/chat/completions", CHAT.encode()),
                               ("POST", "/a%C0%AF2a", b"{}"), ("GET", "/api/tasks%FF", None),
                               ("GET", "/w%FEs", None)]:
        for headers in ({}, BEARER):  # refused for what it is, with or without credentials
            status, answer = raw_request(daemon, method, path, body, headers)
            assert (status, json.loads(answer)) == (400, {"error": "invalid request path"}), (path, headers)
    assert task_count(daemon) == 0


def test_percent_encoded_paths_need_the_credentials_of_the_route_they_reach(daemon):
    assert raw_request(daemon, "GET", "/api/%74asks")[0] == 401
    assert raw_request(daemon, "GET", "/api/%74asks", headers=BEARER)[0] == 200
    assert raw_request(daemon, "POST", "/v1/chat/%63ompletions", CHAT.encode())[0] == 401
    assert raw_request(daemon, "GET", "/metric%73")[0] == 401
    assert raw_request(daemon, "GET", "/%68ealthz")[0] == 200  # open, as /healthz is
    assert task_count(daemon) == 0


def test_odd_path_forms_reach_no_protected_route_without_credentials(daemon):
    for path in ("//api/tasks", "/api//tasks", "/api/tasks/", "/API/tasks", "/Api/Tasks", "/v1//models",
                 "/./api/tasks", "/api/./tasks", "/api/../api/tasks", "/metrics/", "//metrics"):
        status, _ = raw_request(daemon, "GET", path)
        assert status in (401, 404), path  # the same route asks the same credential; no route is a 404


@with_config(API_KEYS)
def test_bypass_attempts_are_refused_with_api_keys_too(daemon):
    assert raw_request(daemon, "GET", "/ap%FFi/tasks")[0] == 400
    assert raw_request(daemon, "GET", "/api/%74asks")[0] == 401
    assert raw_request(daemon, "GET", "/api/%74asks", headers={"X-API-Key": "full-key"})[0] == 200


def test_every_route_of_the_daemon_declares_its_access(daemon):
    routes = daemon.runtime.app.routes
    check_declared(routes)  # raises on a route without a rule
    assert declared_access(next(r for r in routes.routes if r.rule == "/api/config")) is DAEMON_WIDE


def test_a_route_without_a_rule_is_refused_at_build_time_and_treated_as_daemon_wide():
    app = bottle.Bottle()
    app.get("/api/declared", callback=lambda: "", access=AGENT_DATA)
    app.get("/api/forgotten", callback=lambda: "")
    with pytest.raises(ValueError, match="GET /api/forgotten"):
        check_declared(app)
    assert declared_access(app.routes[1]) is DAEMON_WIDE


def test_current_principal_fails_closed_without_the_middleware():
    assert current_principal({}) is ANONYMOUS
    assert current_principal({"goclaw.principal": "token"}) is ANONYMOUS  # only a Principal counts
    assert not ANONYMOUS.allows("default") and ANONYMOUS.agent_scope == frozenset() and not ANONYMOUS.daemon_wide


def test_wrong_method_is_still_405_before_authentication(daemon):
    assert raw_request(daemon, "POST", "/api/tasks", b"{}")[0] == 405
    assert raw_request(daemon, "DELETE", "/metrics")[0] == 405
    assert raw_request(daemon, "POST", "/api/%74asks", b"{}")[0] == 405
