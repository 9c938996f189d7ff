"""An in-process daemon for OpenAI/SSE gateway tests, with a scripted processor on every agent.

A task whose content is `script:<json>` runs the script: `hold` (wait until the test opens that
gate), `emit` (chunks, in order), `then_hold` (another gate), then returns `reply`, `tool_calls`,
`usage`. Any other content gets the fallback reply, as a daemon without a provider gives it.
"""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import gevent
import gevent.event
import pykka
import pytest

from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat
from goclaw_actors.processor import Emit, FallbackProcessor
from goclaw_actors.store.sqlite_reads import get_task
from goclaw_actors.store.task_row import TaskRow
from supervisors.daemon import Daemon
from supervisors.gateway_context import DaemonGatewayContext
from supervisors.health import HealthProbe

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEARTBEAT_SECONDS = 0.2
CONFIG = (f"worker_count: 1\ndelegation_max_hops: 0\nbind_addr: 127.0.0.1:0\ndrain_timeout_seconds: 0.2\n"
          f"gateway:\n  sse_heartbeat_seconds: {HEARTBEAT_SECONDS}\n"
          "agents:\n  - agent_id: writer\n    worker_count: 1\n    max_queue_depth: 1\n"
          "  - agent_id: coder\n    worker_count: 1\n")

# The choices of a stream that emitted "Hel", a server-side web_search call, then "lo": the role in the
# first delta only, the final delta empty.
HEL_TOOL_LO_CHOICES = [
    {"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None},
    {"index": 0, "delta": {"content": "", "tool_calls": [
        {"index": 0, "id": "call_web_search", "type": "function", "function": {"name": "web_search"}}]},
     "finish_reason": None},
    {"index": 0, "delta": {"content": "lo"}, "finish_reason": None},
    {"index": 0, "delta": {}, "finish_reason": "stop"}]


def script(**steps: Any) -> str:
    """Message content that makes the scripted processor run `steps`."""
    return "script:" + json.dumps(steps)


@dataclass
class ScriptedProcessor:
    """Runs `script:` tasks as told; the fallback answers the rest."""

    name: str = "scripted"
    gates: dict[str, gevent.event.Event] = field(default_factory=dict)
    fallback: FallbackProcessor = field(default_factory=FallbackProcessor)

    def gate(self, name: str) -> gevent.event.Event:
        """The gate `hold: name` waits on."""
        return self.gates.setdefault(name, gevent.event.Event())

    def process(self, task: TaskRow, emit: Emit) -> dict[str, Any]:
        content = str(task.payload.get("content") or "")
        if not content.startswith("script:"):
            return self.fallback.process(task, emit)
        steps = json.loads(content[len("script:"):])
        if steps.get("hold"):
            self.gate(steps["hold"]).wait()
        for chunk in steps.get("emit", []):
            emit(chunk)
            gevent.sleep(0)
        if steps.get("then_hold"):
            self.gate(steps["then_hold"]).wait()
        result: dict[str, Any] = {"reply": steps.get("reply", "")}
        if steps.get("tool_calls"):
            result["tool_calls"] = steps["tool_calls"]
        if steps.get("usage"):
            result["_usage"] = steps["usage"]
        return result


@dataclass
class Gateway:
    """The running daemon as a client sees it, plus what tests need to drive it."""

    daemon: Daemon
    processor: ScriptedProcessor

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.daemon.boot.listener.getsockname()[1]}"

    @property
    def ctx(self) -> DaemonGatewayContext:
        rt, boot = self.daemon.runtime, self.daemon.boot
        return DaemonGatewayContext(rt, boot.token, boot.home, HealthProbe(rt).health)

    def enqueue(self, content: str, agent_id: str = "default", stream: bool = False) -> str:
        """A chat task enqueued the way every protocol does it."""
        return enqueue_chat(self.ctx, ChatRequest(agent_id, str(uuid.uuid4()), content, stream=stream))

    def task(self, task_id: str) -> TaskRow | None:
        """The task row, or None."""
        return self.ctx.read(get_task, task_id)

    def query(self, sql: str, *args: Any) -> list[tuple]:
        """Rows of a read-only query."""
        return self.ctx.read(lambda conn: conn.execute(sql, args).fetchall())


@pytest.fixture
def gateway(tmp_path):
    """A started daemon (agents default, writer, coder; one lane each; fast SSE pings) with the
    scripted processor; every gate is opened and the daemon shut down after the test."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text(CONFIG)
    daemon = Daemon(home, {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": TOKEN}, tmp_path)
    daemon.start()
    processor = ScriptedProcessor()
    for name in daemon.runtime.registry.names("agent_actor:"):
        daemon.runtime.registry.lookup(name).proxy().set_processor(processor).get(timeout=5)
    yield Gateway(daemon, processor)
    for gate in processor.gates.values():
        gate.set()
    daemon.shutdown()
    assert not pykka.ActorRegistry.get_all(), "actors left running"
