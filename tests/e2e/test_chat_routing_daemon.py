"""@mentions and chat commands through the real daemon (a subprocess) with two agents on a fake provider
(SPEC §7.1, §12): a mention routes to its agent over ACP, /v1 and `goclaw chat`; the session's target sticks
across surfaces; an unknown agent is answered with the agents there are; a command is answered by the daemon."""

import json
import subprocess
import sys
import uuid

import requests

from tests.brain.fake_server import FakeServer
from tests.dashboard.fake_provider import provider_env
from tests.gateway.acp_client import AcpClient
from tests.gateway.chat_fixtures import TWO_AGENTS, system_prompts, voice_reply

TOKEN = "routing-e2e-token-3f9a"
UNKNOWN = "Unknown agent: @ghost. Available: @default, @coder, @writer"


def goclaw_chat(daemon, *args):
    done = subprocess.run([sys.executable, "-m", "supervisors.cli", "chat", *args], env=daemon.env,
                          cwd=daemon.home.parent, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done
    return done.stdout


def test_mentions_route_stick_and_are_answered_on_every_surface(home, daemons):
    (home / "config.yaml").write_text("worker_count: 2\n" + TWO_AGENTS, encoding="utf-8")
    (home / "SOUL.md").write_text("DEFAULT answers.")
    with FakeServer(handler=voice_reply) as server:
        daemon = daemons(home, env={**provider_env(server), "GOCLAW_AUTH_TOKEN": TOKEN}).start().wait_healthy()
        acp = AcpClient(daemon.port, token=TOKEN).hello()
        session = str(uuid.uuid4())

        def say(line):
            task_id = acp.call("agent.chat.stream", {"session_id": session, "content": line})["task_id"]
            task = requests.get(f"{daemon.url}/api/tasks/{task_id}", timeout=10,
                                headers={"Authorization": f"Bearer {TOKEN}"}).json()
            return task["agent_id"], json.loads(task["result"])["reply"]

        assert say("@coder fix it") == ("coder", "CODER heard: fix it")
        assert say("and the tests") == ("coder", "CODER heard: and the tests")
        assert say("@ghost hi") == ("coder", UNKNOWN)
        assert say("@writer") == ("writer", "Now talking to @writer.")
        assert say("a poem") == ("writer", "WRITER heard: a poem")
        acp.close()

        assert goclaw_chat(daemon, "--session", session, "from the terminal") == "WRITER heard: from the terminal\n"
        other = str(uuid.uuid4())
        assert goclaw_chat(daemon, "--session", other, "@@coder review") == "CODER heard: review\n"
        assert goclaw_chat(daemon, "--session", other, "again") == "CODER heard: again\n"
        assert goclaw_chat(daemon, "@ghost hi") == UNKNOWN + "\n"
        assert goclaw_chat(daemon, "/remember lang Go") == "Remembered: lang = Go\n"

        def complete(messages):
            response = requests.post(f"{daemon.url}/v1/chat/completions", timeout=30,
                                     headers={"Authorization": f"Bearer {TOKEN}"},
                                     json={"model": "goclaw-v1", "messages": messages})
            assert response.status_code == 200, response.text
            return response.json()["choices"][0]["message"]["content"]

        first = complete([{"role": "user", "content": "@writer title?"}])
        assert first == "WRITER heard: title?"
        assert complete([{"role": "user", "content": "@writer title?"}, {"role": "assistant", "content": first},
                         {"role": "user", "content": "shorter"}]) == "WRITER heard: shorter"
        assert complete([{"role": "user", "content": "@ghost hi"}]) == UNKNOWN
        assert complete([{"role": "user", "content": "hello"}]) == "DEFAULT heard: hello"
        assert "<core_memory>\nlang: Go\n" in system_prompts(server)[-1]  # remembered through goclaw chat
    assert daemon.terminate() == 0
