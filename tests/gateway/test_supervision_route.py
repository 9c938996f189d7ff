"""GET /api/supervision: the live tree, and a crashed worker restarted by its lanes supervisor."""

import requests

from tests.helpers import wait_until


def tree(api):
    response = api.get("/api/supervision")
    assert response.status_code == 200
    return response.json()


def child(node, child_id):
    return next(c for c in node["children"] if c["id"] == child_id)


def test_the_tree_is_inspectable_and_shows_restarts(api):
    root = tree(api)
    assert root["name"] == "root" and root["strategy"] == "rest_for_one"
    assert [c["id"] for c in root["children"]][:2] == ["store", "event_bus"]
    lanes = child(child(child(root, "agents"), "agent:default"), "lanes:default")
    assert lanes["restarts"] == 0 and all(c["alive"] for c in lanes["children"])
    worker = api.daemon.runtime.registry.lookup("worker:default:0")
    worker.stop()  # an unrequested stop is a crash for its supervisor
    wait_until(lambda: child(child(child(tree(api), "agents"), "agent:default"), "lanes:default")["restarts"] == 1,
               timeout=5, what="worker restart")
    assert api.daemon.runtime.registry.lookup("worker:default:0") is not worker


def test_the_route_needs_the_token(api):
    assert requests.get(f"{api.base}/api/supervision", timeout=5).status_code == 401
