"""Every route × every credential × odd path forms, and every ACP method × every credential (SPEC §9.1, §9.2).

The routes come from the daemon's bottle router and the methods from the ACP method table, so a route or
method added later is in the matrix without anyone listing it. A handler counts as reached when a bottle
plugin installed on the daemon's routes sees it called: a request reaches the handler of a route only with
a credential that route's declared access admits, and never through an odd spelling of its path.
"""

import functools
import re
from typing import Any

import bottle
import pytest

from goclaw_actors.http.acp.routes import acp_methods
from goclaw_actors.http.route_access import Credential, RouteAccess, Scope, declared_access
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import TOKEN, running_daemon
from tests.gateway.wsgi_client import call

KEYS = """
gateway:
  auth:
    enabled: true
    keys:
      - key: unscoped-key-0123
      - key: scoped-key-0123
        agent_ids: [default]
"""
CREDENTIALS: dict[str, dict[str, Any]] = {
    "none": {},
    "wrong token": {"headers": {"Authorization": "Bearer not-the-token"}},
    "token in query": {"query": f"api_key={TOKEN}"},
    "token": {"headers": {"Authorization": f"Bearer {TOKEN}"}},
    "unscoped key": {"headers": {"X-API-Key": "unscoped-key-0123"}},
    "scoped key": {"headers": {"X-API-Key": "scoped-key-0123"}},
}
WILDCARD = re.compile(r"<[^>]+>")


def admits(access: RouteAccess, credential: str, keys_enabled: bool) -> bool:
    """Whether `credential` should reach a handler declared with `access`."""
    if access.open or credential == "token":
        return True
    if access.credential is Credential.TOKEN or not keys_enabled:
        return False
    if credential == "unscoped key":
        return True
    return credential == "scoped key" and access.scope is Scope.AGENTS


def path_forms(path: str) -> dict[str, str]:
    """The canonical path and odd spellings of it, as raw request targets."""
    first = path[1]
    return {
        "canonical": path,
        "percent-encoded": f"/%{ord(first):02X}{path[2:]}",
        "invalid utf-8": f"/{first}%FF{path[2:]}",
        "overlong utf-8": f"/{first}%C0%AF{path[2:]}",
        "double slash": "/" + path,
        "inner double slash": path.replace("/", "//", 2).replace("//", "/", 1),
        "trailing slash": path + "/",
        "upper case": path.upper(),
    }


class Recorder:
    """A bottle plugin noting every route whose handler runs."""

    name = "reached-recorder"
    api = 2

    def __init__(self):
        self.reached: list[bottle.Route] = []

    def apply(self, callback, route):
        @functools.wraps(callback)
        def wrapper(*args, **kwargs):
            self.reached.append(route)
            return callback(*args, **kwargs)
        return wrapper


@pytest.mark.parametrize("keys_enabled", [True, False], ids=["api keys", "token only"])
def test_route_credential_matrix(tmp_path, keys_enabled):
    with running_daemon(tmp_path, "agents:\n  - agent_id: coder\n" + (KEYS if keys_enabled else "")) as api:
        app = api.daemon.runtime.app
        routes: bottle.Bottle = app.routes
        recorder = Recorder()
        routes.install(recorder)
        checked = 0
        for route in list(routes.routes):
            method = "GET" if route.method == "ANY" else route.method
            path = WILDCARD.sub("x", route.rule)
            for form, target in path_forms(path).items():
                expected_route = _route_for(routes, method, target)
                for credential, how in CREDENTIALS.items():
                    recorder.reached.clear()
                    query = how.get("query")
                    answer = call(app, method, target + (f"?{query}" if query else ""), how.get("headers"))
                    where = f"{method} {target} [{form}] with {credential}: {answer.status} {answer.body[:120]!r}"
                    if form in ("invalid utf-8", "overlong utf-8"):
                        assert answer.status == 400 and not recorder.reached, where
                        continue
                    for reached in recorder.reached:
                        assert admits(declared_access(reached), credential, keys_enabled), where
                    if expected_route is not None and admits(declared_access(expected_route), credential,
                                                             keys_enabled):
                        assert recorder.reached == [expected_route], where
                    elif expected_route is not None:
                        assert answer.status in (401, 403) and not recorder.reached, where
                    assert answer.status < 500, where
                    checked += 1
        assert checked > 500  # the matrix really ran over the whole router


def _route_for(routes: bottle.Bottle, method: str, target: str) -> bottle.Route | None:
    """The route bottle serves `target` with (None for no route, or an undecodable path)."""
    from gevent.pywsgi import unquote_latin1
    try:
        path = unquote_latin1(target).encode("latin-1").decode("utf-8")
        return routes.router.match({"REQUEST_METHOD": method, "PATH_INFO": path})[0]
    except (UnicodeError, bottle.HTTPError):
        return None


def test_acp_method_credential_matrix(tmp_path):
    """Each ACP method answers a scoped key with 1000 when daemon-wide and runs its handler otherwise; the
    socket itself opens only with a header credential."""
    with running_daemon(tmp_path, "agents:\n  - agent_id: coder\n" + KEYS) as api:
        port = port_of(api)
        for credential in ("none", "wrong token"):
            headers = CREDENTIALS[credential].get("headers", {})
            assert call(api.daemon.runtime.app, "GET", "/ws", headers).status in (401, 403), credential
        assert call(api.daemon.runtime.app, "GET", f"/ws?api_key={TOKEN}").status == 403
        clients = {"token": AcpClient(port), "unscoped key": AcpClient(port, token="unscoped-key-0123"),
                   "scoped key": AcpClient(port, token="scoped-key-0123")}
        try:
            for client in clients.values():
                client.hello()
            for name, method in sorted(acp_methods().items()):
                for credential, client in clients.items():
                    response = client.request(name, {})
                    error = response.get("error") or {}
                    refused = error.get("message") == f'api key not permitted for method "{name}"'
                    should_refuse = credential == "scoped key" and method.scope is Scope.DAEMON
                    assert refused == should_refuse, (name, credential, response)
                    assert error.get("message") != "internal error", (name, credential, response)
        finally:
            for client in clients.values():
                client.close()


# The only routes anyone may call without a credential (SPEC §9.1, §9.7): health, the agent cards, and the
# API description. A route declared open that is not here fails the test below: opening one is a decision.
PUBLIC_ROUTES = {"GET /healthz", "GET /.well-known/agent.json", "GET /.well-known/agent-card.json",
                 "GET /openapi.json"}


def test_only_the_public_routes_are_open_and_every_other_route_refuses_no_credential(tmp_path):
    with running_daemon(tmp_path, "agents:\n  - agent_id: coder\n" + KEYS) as api:
        app = api.daemon.runtime.app
        routes: bottle.Bottle = app.routes
        declared_open = {f"{route.method} {route.rule}" for route in routes.routes if declared_access(route).open}
        assert declared_open == PUBLIC_ROUTES
        for route in routes.routes:
            if declared_access(route).open:
                continue
            for method in (["GET", "POST", "PUT", "DELETE"] if route.method == "ANY" else [route.method]):
                answer = call(app, method, WILDCARD.sub("x", route.rule))
                assert answer.status == 401, (method, route.rule, answer.status, answer.body[:200])
        for name, method in acp_methods().items():  # every ACP method declares whose data it touches
            assert isinstance(method.scope, Scope), name
