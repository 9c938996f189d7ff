"""Two agents answered by one fake OpenAI-compatible provider: each reply names the agent whose system
prompt the request carried (`CODER heard: <message>`), so a test sees where a line went and what the
agent's prompt held."""

import contextlib
import json
import uuid
from typing import Any, Iterator

import pytest

from tests.brain.fake_server import FakeServer, Reply, Seen, json_reply
from tests.dashboard.fake_provider import provider_env, streamed_reply
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import Api, running_daemon

TWO_AGENTS = """agents:
  - agent_id: coder
    soul: CODER writes code.
  - agent_id: writer
    soul: WRITER writes prose.
"""
SOUL = "DEFAULT answers."


def voice_reply(seen: Seen) -> Reply:
    """`<first word of the system prompt> heard: <last user message>`, streamed when asked."""
    messages = seen.body["messages"]
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    text = f"{(system.split() or ['?'])[0]} heard: {messages[-1]['content']}"
    if seen.body.get("stream"):
        return streamed_reply(text, 0.0)
    return json_reply({"id": "c1", "object": "chat.completion", "model": "gpt-test",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}})


@contextlib.contextmanager
def two_agents(tmp_path, config: str = "") -> Iterator[tuple[Api, FakeServer]]:
    """A daemon (in this process) with agents default, coder and writer on one fake provider."""
    with FakeServer(handler=voice_reply) as server, \
            running_daemon(tmp_path, TWO_AGENTS + config, environ=provider_env(server)) as api:
        (api.daemon.home / "SOUL.md").write_text(SOUL)
        api.daemon.runtime.refresh_processor("default")
        yield api, server


class Chat:
    """One ACP conversation (a session) on a socket that said hello."""

    def __init__(self, api: Api, session_id: str | None = None, token: str | None = None):
        self.api = api
        self.acp = AcpClient(port_of(api), **({"token": token} if token else {})).hello()
        self.session_id = session_id or str(uuid.uuid4())

    def say(self, line: str, agent: str | None = None) -> tuple[str, str]:
        """Send a line (streamed); returns (agent that answered, its reply)."""
        params: dict[str, Any] = {"session_id": self.session_id, "content": line}
        if agent is not None:
            params["agent_id"] = agent
        task_id = self.acp.call("agent.chat.stream", params)["task_id"]
        task = self.api.get(f"/api/tasks/{task_id}").json()
        assert task["status"] == "SUCCEEDED", task
        return task["agent_id"], json.loads(task["result"])["reply"]

    def reply(self, line: str, agent: str | None = None) -> str:
        """The reply to a line."""
        return self.say(line, agent)[1]

    def close(self) -> None:
        """Close the socket."""
        self.acp.close()


def system_prompts(server: FakeServer) -> list[str]:
    """The system prompt of every request the fake provider received, in order."""
    return [seen.body["messages"][0]["content"] for seen in server.seen if seen.body]


@pytest.fixture
def daemon(request, tmp_path):
    """`two_agents` with the test module's DAEMON_CONFIG (extra config.yaml lines): (api, fake provider)."""
    with two_agents(tmp_path, getattr(request.module, "DAEMON_CONFIG", "")) as pair:
        yield pair


@pytest.fixture
def chat(daemon):
    """An ACP conversation with the daemon, as the token."""
    conversation = Chat(daemon[0])
    yield conversation
    conversation.close()
