"""Gateway chat plumbing on a real in-process daemon: enqueue, wait for the end, follow the stream."""

import uuid

import pytest

from goclaw_actors.errors import AgentNotFound
from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, follow_stream, wait_terminal
from goclaw_actors.processor import FALLBACK_REPLY, FALLBACK_STREAM_CHUNK
from tests.actors.daemon_fixture import ctx, daemon  # noqa: F401  (fixtures)


def test_enqueue_then_wait_gives_the_fallback_reply(ctx):
    task_id = enqueue_chat(ctx, ChatRequest("default", str(uuid.uuid4()), "hello"))
    task = wait_terminal(ctx, task_id, timeout=10)
    assert task.status == "SUCCEEDED" and FALLBACK_REPLY in task.result


def test_streaming_task_yields_its_chunk_then_done(ctx):
    task_id = enqueue_chat(ctx, ChatRequest("default", str(uuid.uuid4()), "hello", stream=True))
    items = list(follow_stream(ctx, task_id, idle_seconds=5))
    assert items[-1]["type"] == "done" and items[-1]["task"].status == "SUCCEEDED"
    tokens = [item["token"] for item in items if item["type"] == "token"]
    assert tokens in ([FALLBACK_STREAM_CHUNK], [])  # [] when the run ended before we subscribed
    # following a finished task ends at once
    again = list(follow_stream(ctx, task_id, idle_seconds=5))
    assert [item["type"] for item in again] == ["done"]


def test_unknown_agent_is_refused_and_nothing_is_written(ctx):
    with pytest.raises(AgentNotFound):
        enqueue_chat(ctx, ChatRequest("nope", str(uuid.uuid4()), "hello"))


def test_wait_times_out_on_a_task_that_does_not_end(ctx):
    assert wait_terminal(ctx, "no-such-task", timeout=0.1) is None
