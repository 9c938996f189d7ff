"""The official `a2a-sdk` client (1.3.0) against the daemon over both its transports (SPEC §9.7): the v1.0
JSON-RPC transport chosen from /.well-known/agent-card.json, and the v0.3 one from the legacy card."""

import asyncio
import uuid

import httpx
import pytest
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types.a2a_pb2 import (CancelTaskRequest, GetTaskRequest, ListTasksRequest, Message, Part, Role,
                               SendMessageRequest, TaskState)
from a2a.utils.errors import TaskNotCancelableError, TaskNotFoundError

from tests.clients.conftest import TOKEN
from tests.clients.fake_upstream import HELLO_REPLY

pytestmark = pytest.mark.clients

CARDS = {"1.0": ("/.well-known/agent-card.json", "JsonRpcTransport"),
         "0.3": ("/.well-known/agent.json", "CompatJsonRpcTransport")}
RUNNING = (TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING)


async def connect(daemon, version: str, streaming: bool):
    """A client for the card of `version`, on an httpx client carrying the daemon token."""
    http = httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    path, transport = CARDS[version]
    card = await A2ACardResolver(http, daemon.url, agent_card_path=path).get_agent_card()
    client = ClientFactory(ClientConfig(streaming=streaming, httpx_client=http)).create(card)
    assert type(client._transport).__name__ == transport
    return client, http


def request(text: str, context_id: str = "", return_immediately: bool = False) -> SendMessageRequest:
    message = Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=text)],
                      context_id=context_id)
    send = SendMessageRequest(message=message)
    send.configuration.return_immediately = return_immediately
    return send


def reply_text(task) -> str:
    (artifact,) = task.artifacts
    return "".join(part.text for part in artifact.parts)


@pytest.mark.parametrize("version", sorted(CARDS))
def test_send_blocking_and_not_stream_get_list_cancel(daemon, upstream, version):
    async def scenario():
        client, http = await connect(daemon, version, streaming=False)
        context_id = str(uuid.uuid4())
        (event,) = [e async for e in client.send_message(request(f"hello a2a {version}", context_id))]
        done = event.task
        assert done.status.state == TaskState.TASK_STATE_COMPLETED and done.context_id == context_id
        assert reply_text(done) == HELLO_REPLY
        assert [(m.role, m.parts[0].text) for m in done.history] == [
            (Role.ROLE_USER, f"hello a2a {version}"), (Role.ROLE_AGENT, HELLO_REPLY)]

        (event,) = [e async for e in client.send_message(
            request(f"hello later a2a {version}", context_id, return_immediately=True))]
        assert event.task.status.state in RUNNING
        for _ in range(200):
            later = await client.get_task(GetTaskRequest(id=event.task.id))
            if later.status.state not in RUNNING:
                break
            await asyncio.sleep(0.05)
        assert later.status.state == TaskState.TASK_STATE_COMPLETED and reply_text(later) == HELLO_REPLY

        if version == "1.0":
            listed = await client.list_tasks(ListTasksRequest(context_id=context_id))
            assert [t.id for t in listed.tasks] == [event.task.id, done.id] and listed.total_size == 2
        else:
            with pytest.raises(NotImplementedError):  # the SDK's v0.3 transport has no ListTasks
                await client.list_tasks(ListTasksRequest(context_id=context_id))

        (event,) = [e async for e in client.send_message(request("be slow", return_immediately=True))]
        canceled = await client.cancel_task(CancelTaskRequest(id=event.task.id))
        assert canceled.status.state == TaskState.TASK_STATE_CANCELED
        assert canceled.status.message.parts[0].text == "aborted"
        with pytest.raises(TaskNotCancelableError):
            await client.cancel_task(CancelTaskRequest(id=event.task.id))
        with pytest.raises(TaskNotFoundError):
            await client.get_task(GetTaskRequest(id=str(uuid.uuid4())))
        await http.aclose()

        streaming, http = await connect(daemon, version, streaming=True)
        events = [e async for e in streaming.send_message(request(f"hello stream a2a {version}"))]
        first, *_, artifact, last = events
        assert first.task.status.state in RUNNING
        assert "".join(p.text for p in artifact.artifact_update.artifact.parts) == HELLO_REPLY
        assert last.status_update.task_id == first.task.id
        assert last.status_update.status.state == TaskState.TASK_STATE_COMPLETED
        await http.aclose()

    asyncio.run(scenario())
    assert upstream.calls(f"hello a2a {version}") == 1 and upstream.calls(f"hello stream a2a {version}") == 1
