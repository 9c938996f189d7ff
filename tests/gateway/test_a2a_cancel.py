"""A2A cancel (SPEC §9.7, §3.7) of a running task: canceled at once, its lane freed, then not cancelable."""

import time
import uuid

import pytest

from tests.gateway.rest_fixtures import running_daemon
from tests.gateway.test_a2a import rpc, text_message
from tests.gateway.test_rest_abort import PROMPT_SECONDS, SLOW_ENV, lane_tasks
from tests.helpers import wait_until


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path, "agents: []\n", SLOW_ENV) as api:
        yield api


@pytest.mark.parametrize("method", ["tasks/cancel", "CancelTask"])
def test_cancel_of_a_running_task(api, method):
    task = rpc(api, "message/send", {"message": text_message("slow", contextId=str(uuid.uuid4()))})["result"]
    assert task["status"]["state"] in ("submitted", "working")
    wait_until(lambda: rpc(api, "tasks/get", {"id": task["id"]})["result"]["status"]["state"] == "working", 10,
               what="task running")
    started = time.monotonic()
    canceled = rpc(api, method, {"id": task["id"]})["result"]
    v1 = method == "CancelTask"  # answered in the v1.0 spelling
    assert canceled["id"] == task["id"]
    assert canceled["status"]["state"] == ("TASK_STATE_CANCELED" if v1 else "canceled")
    assert canceled["status"]["message"]["parts"] == [{"text": "aborted"} if v1 else {"kind": "text", "text": "aborted"}]
    assert canceled["artifacts"] == []
    wait_until(lambda: task["id"] not in lane_tasks(api), PROMPT_SECONDS, what="the attempt to be interrupted")
    assert time.monotonic() - started < PROMPT_SECONDS
    assert rpc(api, method, {"id": task["id"]})["error"] == {"code": -32002, "message": "Task cannot be canceled"}
    assert api.get(f"/api/tasks/{task['id']}").json()["status"] == "CANCELED"
