"""ACP with a scoped gateway API key (SPEC §9.2: error 1000, filtered listings), shutdown closing sockets
with 1001, and ACP against the daemon running as a real process."""

import uuid

import gevent
import pytest

from supervisors.daemon import Daemon
from tests.gateway.acp_client import TOKEN, AcpClient, port_of
from tests.gateway.rest_fixtures import SCOPED_KEY, SCOPED_KEY_CONFIG, running_daemon
from tests.helpers import DaemonProcess

CONFIG = "\nagents:\n  - agent_id: coder\n" + SCOPED_KEY_CONFIG
DENIED = (1000, 'api key not permitted for agent "coder"')


def test_scoped_api_key(tmp_path):
    with running_daemon(tmp_path, CONFIG) as api:
        scoped = AcpClient(port_of(api), token=SCOPED_KEY).hello()
        full = AcpClient(port_of(api)).hello()
        session = str(uuid.uuid4())
        assert [agent["agent_id"] for agent in scoped.call("agent.list")["agents"]] == ["default"]
        assert [agent["agent_id"] for agent in full.call("agent.list")["agents"]] == ["default", "coder"]
        assert [agent["agent_id"] for agent in scoped.call("system.status")["agents"]] == ["default"]
        assert scoped.error("agent.chat", {"session_id": session, "content": "x", "agent_id": "coder"}) == DENIED
        assert scoped.error("agent.status", {"agent_id": "coder"}) == DENIED
        assert scoped.error("agent.remove", {"agent_id": "coder"}) == DENIED
        assert scoped.error("cron.add", {"name": "n", "cron_expr": "* * * * *", "agent_id": "coder"}) == DENIED
        coder_task = full.call("agent.chat", {"session_id": session, "content": "x", "agent_id": "coder"})["task_id"]
        assert scoped.error("agent.abort", {"task_id": coder_task}) == DENIED
        assert scoped.error("incident.export", {"task_id": coder_task}) == DENIED
        assert "task_id" in scoped.call("agent.chat", {"session_id": session, "content": "mine"})
        contents = [item["content"] for item in scoped.call("session.history", {"session_id": session})["items"]]
        assert "mine" in contents and "x" not in contents  # the coder's turns are out of the key's scope
        scoped.close()
        full.close()


def test_shutdown_closes_sockets_with_1001(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\nbind_addr: 127.0.0.1:0\n")
    daemon = Daemon(home, {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": TOKEN}, tmp_path)
    daemon.start()
    acp = AcpClient(daemon.boot.listener.getsockname()[1]).hello()
    stopping = gevent.spawn(daemon.shutdown)
    try:
        assert acp.close_frame() == (1001, "server shutting down")
        acp.close()
    finally:
        stopping.get(timeout=30)


@pytest.mark.timeout(60)
def test_acp_against_the_daemon_process(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    daemon = DaemonProcess(home, env={"GOCLAW_AUTH_TOKEN": TOKEN}).start().wait_healthy()
    try:
        acp = AcpClient(daemon.port).hello()
        session = str(uuid.uuid4())
        response = acp.request("agent.chat.stream", {"session_id": session, "content": "hello"})
        assert "task_id" in response["result"] and acp.notifications_of("agent.chat.stream")
        replay = acp.call("session.events.subscribe", {"session_id": session, "from_event_id": 0})
        assert replay["replayed"] == 4
        acp.close()
        assert daemon.terminate() == 0
    finally:
        daemon.stop()
