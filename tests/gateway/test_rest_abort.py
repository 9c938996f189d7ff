"""POST /api/tasks/{id}/abort (SPEC §3.7) on queued and running tasks: CANCELED at once, the lane freed promptly."""

import time
import uuid

import pytest

from actors.worker import LaneStatus
from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat
from tests.gateway.rest_fixtures import running_daemon
from tests.helpers import wait_until

SLOW_ENV = {"GOCLAW_DEBUG_TASK_DELAY_MS": "30000"}  # every attempt holds its lane for 30 s
PROMPT_SECONDS = 2.0  # well under engine_tick_seconds (10 s): the heartbeat alone could not be this fast


@pytest.fixture
def api(tmp_path):
    with running_daemon(tmp_path, "agents: []\n", SLOW_ENV) as api:
        yield api


def lane_tasks(api) -> list[str | None]:
    registry = api.daemon.runtime.registry
    return [registry.lookup(name).ask(LaneStatus(), timeout=5)["task_id"] for name in registry.names("worker:default:")]


def status_of(api, task_id: str) -> str:
    return api.get(f"/api/tasks/{task_id}").json()["status"]


def start_tasks(api, count: int) -> list[str]:
    ctx = api.context()
    return [enqueue_chat(ctx, ChatRequest("default", str(uuid.uuid4()), f"slow {n}")) for n in range(count)]


def test_abort_of_a_queued_task_cancels_it(api):
    first, second, queued = start_tasks(api, 3)  # two lanes: the third waits
    wait_until(lambda: status_of(api, first) == status_of(api, second) == "RUNNING", 10, what="two running")
    assert status_of(api, queued) == "QUEUED"
    response = api.post(f"/api/tasks/{queued}/abort")
    assert response.status_code == 200 and response.json() == {"aborted": True}
    task = api.get(f"/api/tasks/{queued}").json()
    assert task["status"] == "CANCELED" and task["error"] == "aborted" and task["last_error_code"] == "ABORTED"
    assert api.post(f"/api/tasks/{queued}/abort").json() == {"aborted": False}
    assert sorted(filter(None, lane_tasks(api))) == sorted([first, second])  # running ones untouched


def test_abort_of_a_running_task_interrupts_the_attempt(api):
    running, other = start_tasks(api, 2)
    wait_until(lambda: running in lane_tasks(api) and other in lane_tasks(api), 10, what="both running")
    started = time.monotonic()
    response = api.post(f"/api/tasks/{running}/abort")
    assert response.status_code == 200 and response.json() == {"aborted": True}
    assert status_of(api, running) == "CANCELED"
    wait_until(lambda: running not in lane_tasks(api), PROMPT_SECONDS, what="the lane to drop the aborted attempt")
    assert time.monotonic() - started < PROMPT_SECONDS
    # the freed lane takes new work, and the aborted task stays CANCELED (no outcome was recorded)
    (late,) = start_tasks(api, 1)
    wait_until(lambda: late in lane_tasks(api), PROMPT_SECONDS, what="the freed lane to claim again")
    task = api.get(f"/api/tasks/{running}").json()
    assert task["status"] == "CANCELED" and task["error"] == "aborted" and "result" not in task
    assert other in lane_tasks(api)
