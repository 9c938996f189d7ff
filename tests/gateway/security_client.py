"""Helpers for gateway security and metrics tests on the in-process daemon (tests/actors/daemon_fixture.py).

A test module imports `daemon` and the `daemon_config` fixture below; a test picks its config.yaml
text with `@with_config(TEXT)`.
"""

import bottle
import pytest
import requests

TOKEN = "test-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def daemon_config(request) -> str:
    """The config.yaml text a test chose with `with_config` ("" otherwise)."""
    return getattr(request, "param", "")


def with_config(text: str):
    """Run the decorated test on a daemon whose config.yaml also holds `text`."""
    def decorate(test):
        test = pytest.mark.parametrize("daemon_config", [text], indirect=True, ids=["config"])(test)
        return pytest.mark.usefixtures("daemon_config")(test)

    return decorate


def base_url(daemon) -> str:
    """http://127.0.0.1:<port> of the daemon's gateway."""
    return f"http://127.0.0.1:{daemon.boot.listener.getsockname()[1]}"


def get(daemon, path: str, **kwargs) -> requests.Response:
    """GET `path` on the daemon."""
    return requests.get(base_url(daemon) + path, timeout=30, **kwargs)


def post(daemon, path: str, **kwargs) -> requests.Response:
    """POST `path` on the daemon."""
    return requests.post(base_url(daemon) + path, timeout=30, **kwargs)


def add_probe_routes(daemon) -> None:
    """Routes under /api/test/ on the running daemon: who the caller is, and the size of a posted body."""
    from goclaw_actors.http.principal import current_principal
    from goclaw_actors.http.route_access import AGENT_DATA

    routes: bottle.Bottle = daemon.runtime.app.routes

    @routes.get("/api/test/principal", access=AGENT_DATA)
    def principal():
        caller = current_principal(bottle.request.environ)
        return {"kind": caller.kind, "key_id": caller.key_id, "agent_ids": sorted(caller.agent_ids),
                "allows_default": caller.allows("default"), "allows_other": caller.allows("other")}

    @routes.post("/api/test/echo", access=AGENT_DATA)
    def echo():
        body = bottle.request.body.read()
        return {"length": len(body), "head": body[:16].decode("latin1"),
                "transfer_encoding": bottle.request.environ.get("HTTP_TRANSFER_ENCODING", "")}
