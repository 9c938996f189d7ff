"""GET /api/v1/task/stream on a real socket, read with sseclient-py (and raw lines for pings)."""

import json

import requests
import sseclient

from goclaw_actors.processor import FALLBACK_REPLY
from tests.gateway.openai_fixtures import AUTH, gateway, script  # noqa: F401  (fixture)
from tests.helpers import wait_until

STREAM = "/api/v1/task/stream"


def open_stream(gateway, task_id):
    response = requests.get(gateway.url + STREAM, params={"task_id": task_id}, headers=AUTH, stream=True,
                            timeout=20)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    return response


def events(response):
    """Every event's data, decoded; all events are unnamed (`message`)."""
    received = []
    for event in sseclient.SSEClient(response).events():
        assert event.event == "message"
        received.append(json.loads(event.data))
    return received


def buffered(gateway, task_id):
    with gateway.ctx.watch_stream(task_id) as watch:
        return watch.replay


def wait_status(gateway, task_id, *statuses):
    return wait_until(lambda: gateway.task(task_id).status in statuses, what=f"task in {statuses}")


def test_a_queued_task_is_waited_for_then_streamed(gateway):
    blocker = gateway.enqueue(script(hold="blocker"))  # the default agent has one lane
    wait_status(gateway, blocker, "RUNNING")
    task_id = gateway.enqueue(script(emit=[{"type": "token", "token": "a"}, {"type": "tool_call", "tool_name": "exec"},
                                           {"type": "token", "token": "b"}], reply="ab"), stream=True)
    assert gateway.task(task_id).status == "QUEUED"
    response = open_stream(gateway, task_id)
    lines = response.iter_lines(decode_unicode=True)
    assert next(line for line in lines if line) == ": ping"  # subscribed, still queued
    gateway.processor.gate("blocker").set()
    received = [json.loads(line[len("data: "):]) for line in lines if line.startswith("data: ")]
    assert received == [{"type": "token", "token": "a"}, {"type": "tool_call", "tool_name": "exec"},
                        {"type": "token", "token": "b"}, {"type": "done", "status": "SUCCEEDED"}]


def test_chunks_produced_before_subscribing_are_replayed(gateway):
    task_id = gateway.enqueue(script(emit=[{"type": "token", "token": "early "}], then_hold="rest", reply="early late"),
                              stream=True)
    wait_until(lambda: buffered(gateway, task_id), what="the first chunk")
    response = open_stream(gateway, task_id)
    lines = response.iter_lines(decode_unicode=True)
    assert next(line for line in lines if line) == 'data: {"type":"token","token":"early "}'
    gateway.processor.gate("rest").set()
    assert [line for line in lines if line.startswith("data: ")] == ['data: {"type":"done","status":"SUCCEEDED"}']


def test_a_non_streaming_task_sends_its_reply_as_one_token(gateway):
    task_id = gateway.enqueue(script(hold="go", reply="the whole reply"))
    wait_status(gateway, task_id, "RUNNING")
    response = open_stream(gateway, task_id)
    gateway.processor.gate("go").set()
    assert events(response) == [{"type": "token", "token": "the whole reply"}, {"type": "done", "status": "SUCCEEDED"}]


def test_a_finished_task_yields_its_reply_and_done_at_once(gateway):
    task_id = gateway.enqueue("hello")
    wait_status(gateway, task_id, "SUCCEEDED")
    assert events(open_stream(gateway, task_id)) == [{"type": "token", "token": FALLBACK_REPLY},
                                                     {"type": "done", "status": "SUCCEEDED"}]


def test_a_canceled_task_yields_its_error_and_done(gateway):
    task_id = gateway.enqueue(script(hold="never"))
    wait_status(gateway, task_id, "RUNNING")
    response = open_stream(gateway, task_id)
    gateway.ctx.store.tasks.cancel(task_id=task_id)
    assert events(response) == [{"type": "error", "error": "aborted"}, {"type": "done", "status": "CANCELED"}]
    assert events(open_stream(gateway, task_id)) == [{"type": "error", "error": "aborted"},
                                                     {"type": "done", "status": "CANCELED"}]


def test_request_errors(gateway):
    def get(query, method="GET"):
        return requests.request(method, gateway.url + STREAM + query, headers=AUTH, timeout=10)

    missing = get("")
    assert (missing.status_code, missing.json()) == (400, {"error": "task_id query parameter is required"})
    assert get("?task_id=").status_code == 400
    unknown = get("?task_id=00000000-0000-0000-0000-000000000000")
    assert (unknown.status_code, unknown.json()) == (
        404, {"error": "task not found: 00000000-0000-0000-0000-000000000000"})
    assert get("?task_id=x", method="POST").status_code == 405
