"""A2A (SPEC §9.7) on the real server: the card at both paths, JSON-RPC with both method spellings,
blocking and streaming sends, get/list/cancel and the error codes."""

import json
import uuid

import pytest
import requests
import sseclient

from goclaw_actors.processor import FALLBACK_REPLY, FALLBACK_STREAM_CHUNK
from goclaw_actors.version import VERSION_LABEL
from tests.gateway.rest_fixtures import running_daemon
from tests.helpers import wait_until

CONFIG = """
delegation_max_hops: 0
agents:
  - agent_id: coder
    display_name: Code Smith
    worker_count: 1
    skills_filter: [git, python]
"""
CARD_KEYS = ["name", "description", "url", "version", "protocolVersion", "preferredTransport", "capabilities",
             "defaultInputModes", "defaultOutputModes", "skills"]


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path, CONFIG) as api:
        yield api


def rpc(api, method: str, params=None, rpc_id=1) -> dict:
    body = {"jsonrpc": "2.0", "id": rpc_id, "method": method}
    if params is not None:
        body["params"] = params
    response = api.post("/a2a", json=body)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    return response.json()


def text_message(text: str, **extra) -> dict:
    return {"role": "user", "parts": [{"kind": "text", "text": text}], "messageId": str(uuid.uuid4()), **extra}


def test_card_at_both_paths(api):
    port = api.base.rsplit(":", 1)[1]
    legacy = requests.get(f"{api.base}/.well-known/agent.json", timeout=10)  # open: no credentials
    assert legacy.status_code == 200 and legacy.headers["Cache-Control"] == "public, max-age=300"
    card = legacy.json()
    assert list(card) == CARD_KEYS
    assert card["name"] == "GoClaw" and card["description"] == "Multi-agent runtime with durable task execution"
    assert card["url"] == f"http://127.0.0.1:{port}/a2a" and card["version"] == VERSION_LABEL
    assert card["protocolVersion"] == "0.3.0" and card["preferredTransport"] == "JSONRPC"
    assert card["capabilities"] == {"streaming": True, "pushNotifications": False, "stateTransitionHistory": True}
    assert card["defaultInputModes"] == ["text"] and card["defaultOutputModes"] == ["text"]
    assert [(s["id"], s["name"], s["tags"]) for s in card["skills"]] == [
        ("default", "GoClaw", []), ("coder", "Code Smith", ["git", "python"])]
    assert all(set(s) == {"id", "name", "description", "tags"} for s in card["skills"])

    current = requests.get(f"{api.base}/.well-known/agent-card.json", timeout=10)
    assert current.status_code == 200 and current.headers["Cache-Control"] == "public, max-age=300"
    v1 = current.json()
    assert list(v1) == [*CARD_KEYS, "supportedInterfaces"]
    assert v1["supportedInterfaces"] == [{"url": card["url"], "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
                                         {"url": card["url"], "protocolBinding": "JSONRPC", "protocolVersion": "0.3.0"}]
    assert v1["capabilities"] == {**card["capabilities"], "extendedAgentCard": False}
    assert {k: v for k, v in v1.items() if k not in ("supportedInterfaces", "capabilities")} == {
        k: v for k, v in card.items() if k != "capabilities"}


def test_a2a_disabled_is_404(tmp_path):
    with running_daemon(tmp_path, "agents: []\na2a:\n  enabled: false\n") as api:
        for path in ("/.well-known/agent.json", "/.well-known/agent-card.json"):
            response = requests.get(api.base + path, timeout=10)
            assert response.status_code == 404 and response.json() == {"error": "not found"}
        response = api.post("/a2a", json={"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {"id": "x"}})
        assert response.status_code == 404


def test_send_returns_the_task_at_once_then_get_follows_it(api, send="message/send", get="tasks/get"):
    reply = rpc(api, send, {"message": text_message("hello")}, rpc_id="req-1")
    assert reply["jsonrpc"] == "2.0" and reply["id"] == "req-1"
    task = reply["result"]
    assert task["kind"] == "task" and str(uuid.UUID(task["contextId"])) == task["contextId"]
    assert task["status"]["state"] in ("submitted", "working", "completed")
    assert task["metadata"] == {"agent_id": "default"}
    done = wait_until(lambda: (r := rpc(api, get, {"id": task["id"]})["result"])["status"]["state"] == "completed"
                      and r, 10, what="task completed")
    assert done["id"] == task["id"] and done["contextId"] == task["contextId"]
    assert done["status"]["timestamp"].endswith("Z")
    (artifact,) = done["artifacts"]
    assert artifact["parts"] == [{"kind": "text", "text": FALLBACK_REPLY}] and uuid.UUID(artifact["artifactId"])
    assert [(m["role"], m["parts"][0]["text"]) for m in done["history"]] == [("user", "hello"),
                                                                            ("agent", FALLBACK_REPLY)]
    last = rpc(api, get, {"id": task["id"], "historyLength": 1})["result"]["history"]
    assert [m["role"] for m in last] == ["agent"]
    assert rpc(api, get, {"id": task["id"], "historyLength": 0})["result"]["history"] == []
    assert api.get(f"/api/tasks/{task['id']}").json()["status"] == "SUCCEEDED"  # the goclaw task id


def test_blocking_send_waits_and_uses_context_and_agent(api, send="message/send"):
    context_id = str(uuid.uuid4())
    message = text_message("line one", contextId=context_id, metadata={"agent_id": "coder"})
    message["parts"].append({"kind": "text", "text": "line two"})
    task = rpc(api, send, {"message": message, "configuration": {"blocking": True}})["result"]
    assert task["status"]["state"] == "completed" and task["contextId"] == context_id
    assert task["artifacts"][0]["parts"][0]["text"] == FALLBACK_REPLY
    row = api.get(f"/api/tasks/{task['id']}").json()
    assert row["agent_id"] == "coder" and row["session_id"] == context_id
    assert json.loads(row["payload"])["content"] == "line one\nline two"
    # v1.0 parts carry no `kind`; the agent may also be named in the request's metadata
    task = rpc(api, send, {"message": {"role": "ROLE_USER", "parts": [{"text": "hi"}], "messageId": "m"},
                           "metadata": {"agent_id": "coder"}, "configuration": {"blocking": True}})["result"]
    assert task["status"]["state"] == "completed" and task["metadata"] == {"agent_id": "coder"}


def stream_results(api, method: str, params: dict, rpc_id=7) -> list:
    body = {"jsonrpc": "2.0", "id": rpc_id, "method": method, "params": params}
    response = api.http.post(api.base + "/a2a", json=body, stream=True, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    replies = [json.loads(event.data) for event in sseclient.SSEClient(response).events()]
    assert all(r["jsonrpc"] == "2.0" and r["id"] == rpc_id and "result" in r for r in replies)
    return [r["result"] for r in replies]


def test_v1_methods_answer_in_v1_shapes(api):
    """SPEC §9.7: v1.0 names answer in v1.0 (ProtoJSON) shapes; a v1.0 send blocks unless returnImmediately."""
    context_id = str(uuid.uuid4())
    message = {"role": "ROLE_USER", "parts": [{"text": "hi"}], "messageId": "m1", "contextId": context_id}
    task = rpc(api, "SendMessage", {"message": message, "metadata": {"agent_id": "coder"}})["result"]["task"]
    reply_id, user_id = task["history"][1]["messageId"], task["history"][0]["messageId"]
    assert task == {
        "id": task["id"], "contextId": context_id,
        "status": {"state": "TASK_STATE_COMPLETED", "timestamp": task["status"]["timestamp"]},
        "history": [{"messageId": user_id, "contextId": context_id, "taskId": task["id"], "role": "ROLE_USER",
                     "parts": [{"text": "hi"}]},
                    {"messageId": reply_id, "contextId": context_id, "taskId": task["id"], "role": "ROLE_AGENT",
                     "parts": [{"text": FALLBACK_REPLY}]}],
        "metadata": {"agent_id": "coder"},
        "artifacts": [{"artifactId": task["artifacts"][0]["artifactId"], "name": "reply",
                       "parts": [{"text": FALLBACK_REPLY}]}]}
    assert rpc(api, "GetTask", {"id": task["id"]})["result"] == task
    at_once = rpc(api, "SendMessage", {"message": {**message, "messageId": "m2"},
                                       "configuration": {"returnImmediately": True}})["result"]["task"]
    assert at_once["status"]["state"] in ("TASK_STATE_SUBMITTED", "TASK_STATE_WORKING", "TASK_STATE_COMPLETED")
    listed = rpc(api, "ListTasks", {"contextId": context_id, "status": "TASK_STATE_COMPLETED"})["result"]
    assert task["id"] in [t["id"] for t in listed["tasks"]] and all("artifacts" not in t for t in listed["tasks"])
    with_artifacts = rpc(api, "ListTasks", {"contextId": context_id, "includeArtifacts": True})["result"]["tasks"]
    assert all("artifacts" in t for t in with_artifacts)
    first, *middle, artifact, final = stream_results(api, "SendStreamingMessage", {"message": {**message,
                                                                                               "messageId": "m3"}})
    streamed = first["task"]
    assert streamed["status"]["state"] in ("TASK_STATE_SUBMITTED", "TASK_STATE_WORKING")
    assert all(r["statusUpdate"]["status"]["state"] == "TASK_STATE_WORKING" for r in middle)
    assert artifact["artifactUpdate"]["artifact"]["parts"] == [{"text": FALLBACK_STREAM_CHUNK}]
    assert final == {"statusUpdate": {"taskId": streamed["id"], "contextId": context_id,
                                      "status": {"state": "TASK_STATE_COMPLETED",
                                                 "timestamp": final["statusUpdate"]["status"]["timestamp"]}}}


def test_streaming_send_is_sse_of_jsonrpc_results(api, method="message/stream"):
    first, *middle, artifact, final = stream_results(api, method, {"message": text_message("stream it")})
    assert first["kind"] == "task" and first["status"]["state"] in ("submitted", "working")
    assert all(r["kind"] == "status-update" and r["final"] is False and r["status"]["state"] == "working"
               for r in middle)
    assert artifact["kind"] == "artifact-update" and artifact["taskId"] == first["id"]
    assert artifact["contextId"] == first["contextId"] and artifact["lastChunk"] is True
    assert artifact["artifact"]["parts"] == [{"kind": "text", "text": FALLBACK_STREAM_CHUNK}]
    assert final == {"kind": "status-update", "taskId": first["id"], "contextId": first["contextId"],
                     "status": {"state": "completed", "timestamp": final["status"]["timestamp"]}, "final": True}


def test_list_tasks_filters_and_pages(api):
    context_id = str(uuid.uuid4())
    ids = [rpc(api, "SendMessage", {"message": text_message(f"n{n}", contextId=context_id)})["result"]["task"]["id"]
           for n in range(3)]
    rpc(api, "SendMessage", {"message": text_message("elsewhere")})
    page = rpc(api, "ListTasks", {"contextId": context_id, "pageSize": 2})["result"]
    assert [t["id"] for t in page["tasks"]] == [ids[2], ids[1]]  # newest first
    assert page["totalSize"] == 3 and page["pageSize"] == 2 and page["nextPageToken"] == "2"
    rest = rpc(api, "tasks/list", {"contextId": context_id, "pageSize": 2, "pageToken": "2"})["result"]
    assert [t["id"] for t in rest["tasks"]] == [ids[0]] and rest["nextPageToken"] == ""
    for state in ("completed", "TASK_STATE_COMPLETED"):
        assert rpc(api, "ListTasks", {"status": state})["result"]["totalSize"] == 4
    assert rpc(api, "ListTasks", {"status": "canceled"})["result"] == {
        "tasks": [], "nextPageToken": "", "pageSize": 50, "totalSize": 0}
    assert rpc(api, "ListTasks", {"status": "bogus"})["error"]["code"] == -32602


def test_cancel_of_an_ended_or_unknown_task(api):
    task = rpc(api, "message/send", {"message": text_message("quick"), "configuration": {"blocking": True}})["result"]
    for method in ("tasks/cancel", "CancelTask"):
        assert rpc(api, method, {"id": task["id"]})["error"] == {"code": -32002, "message": "Task cannot be canceled"}
        assert rpc(api, method, {"id": "nope"})["error"] == {"code": -32001, "message": "Task not found"}


def test_jsonrpc_errors(api):
    def raw(data: bytes) -> dict:
        response = api.post("/a2a", data=data, headers={"Content-Type": "application/json"})
        assert response.status_code == 200
        return response.json()

    assert raw(b"{not json") == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
    invalid = {"code": -32600, "message": "invalid JSON-RPC request"}
    assert raw(b'{"id": 3, "method": "tasks/get"}') == {"jsonrpc": "2.0", "id": 3, "error": invalid}
    assert raw(b'{"jsonrpc": "2.0", "id": 4}') == {"jsonrpc": "2.0", "id": 4, "error": invalid}
    assert raw(b'{"jsonrpc": "2.0", "method": "tasks/get"}') == {"jsonrpc": "2.0", "id": None, "error": invalid}
    assert raw(b"[1, 2]") == {"jsonrpc": "2.0", "id": None, "error": invalid}
    assert rpc(api, "tasks/resubscribe", {"id": "x"}, rpc_id=5) == {
        "jsonrpc": "2.0", "id": 5, "error": {"code": -32601, "message": "method not found: tasks/resubscribe"}}
    assert rpc(api, "tasks/get", ["x"])["error"] == {"code": -32602,
                                                    "message": "invalid params: params must be an object"}
    assert rpc(api, "GetTask", {})["error"] == {"code": -32602, "message": "invalid params: id is required"}
    assert rpc(api, "GetTask", {"id": "nope"})["error"] == {"code": -32001, "message": "Task not found"}
    assert rpc(api, "GetTask", {"id": "nope", "historyLength": -1})["error"]["code"] == -32602
    for method in ("message/send", "SendStreamingMessage"):
        assert rpc(api, method, {})["error"] == {"code": -32602,
                                                 "message": "invalid params: message with parts is required"}
        no_text = {"message": {"role": "user", "parts": [{"kind": "file", "file": {"uri": "x"}}]}}
        assert rpc(api, method, no_text)["error"] == {
            "code": -32602, "message": "invalid params: message must have a non-empty text part"}
        assert rpc(api, method, {"message": text_message("x", contextId="not-a-uuid")})["error"] == {
            "code": -32602, "message": "invalid params: contextId must be a UUID"}
        assert rpc(api, method, {"message": text_message("x", metadata={"agent_id": "ghost"})})["error"] == {
            "code": -32602, "message": 'invalid params: agent "ghost" not found'}
    bad_history = {"message": text_message("x"), "configuration": {"historyLength": "all"}}
    assert rpc(api, "SendMessage", bad_history)["error"] == {
        "code": -32602, "message": "invalid params: historyLength must be a non-negative integer"}
    assert api.get("/api/tasks").json()["total"] == 0  # no error path enqueued anything

