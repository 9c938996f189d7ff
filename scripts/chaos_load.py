"""The chaos run's clients: a mixed load over ACP (websocket-client) and /v1/chat/completions (the `openai` SDK),
streaming and not, with tool calls that have side effects and delegations to a second agent.

A request counts as acknowledged once the client holds its task id (ACP `{task_id}`, the `chatcmpl-<task_id>`
of a /v1 answer or of a stream's first chunk). A request that fails because the daemon was killed is given up
and a new one (with a new nonce) is sent; what the lost request may have created is still checked.
"""

import itertools
import json
import random
import threading
import time
import uuid
from typing import Any, Callable

import openai
import websocket

KINDS = {"acp_chat": 25, "acp_stream": 10, "v1": 15, "v1_stream": 15, "tool": 20, "delegate": 15}
HELPER = "helper"


class Ledger:
    """What the clients saw: acknowledged task ids, the replies they received, counts by kind and failures."""

    def __init__(self, target: int):
        self.target = target
        self.acked: list[str] = []
        self.seen: dict[str, str] = {}
        self.by_kind: dict[str, int] = {kind: 0 for kind in KINDS}
        self.failed_requests = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._issued = 0

    def claim_slot(self) -> bool:
        """Reserve one of the `target` requests; False once all are reserved."""
        with self._lock:
            if self._issued >= self.target:
                return False
            self._issued += 1
            return True

    def release_slot(self) -> None:
        """Give a reserved slot back (its request failed before an acknowledgement)."""
        with self._lock:
            self._issued -= 1
            self.failed_requests += 1

    def ack(self, kind: str, task_id: str) -> None:
        """Record an acknowledged task."""
        with self._lock:
            self.acked.append(task_id)
            self.by_kind[kind] += 1

    def saw(self, task_id: str, reply: str) -> None:
        """Record the reply a client received for a task."""
        with self._lock:
            self.seen[task_id] = reply

    def error(self, text: str) -> None:
        """Record an answer that is wrong whatever the daemon's state (a contract violation)."""
        with self._lock:
            self.errors.append(text)


def tool_script(nonce: str) -> str:
    """A user message making the model call write_file, exec and memory_write (append) once each."""
    return json.dumps({"nonce": nonce, "calls": [
        ["write_file", {"path": f"chaos-files/{nonce}.txt", "content": nonce}],
        ["exec", {"command": f"mkdir -p chaos-exec && echo {nonce} >> chaos-exec/{nonce}.txt"}],
        ["memory_write", {"path": f"chaos-notes/{nonce}.txt", "content": nonce + "\n", "append": True}]]})


def delegate_script(nonce: str) -> str:
    """A user message making the model delegate to the helper agent and wait."""
    return json.dumps({"nonce": nonce, "calls": [
        ["delegate_task", {"target_agent": HELPER, "prompt": f"sub {nonce}", "timeout_sec": 120}]]})


class AcpSocket:
    """One ACP connection (reconnected after a failure)."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.ws: websocket.WebSocket | None = None
        self.ids = itertools.count(1)

    def _connect(self) -> websocket.WebSocket:
        if self.ws is None:
            self.ws = websocket.create_connection(f"ws://127.0.0.1:{self.port}/ws", timeout=60,
                                                  header=[f"Authorization: Bearer {self.token}"],
                                                  suppress_origin=True)
            self._call("system.hello", {})
        return self.ws

    def close(self) -> None:
        """Drop the connection."""
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:  # noqa: BLE001 - it is dead anyway
                pass
        self.ws = None

    def _call(self, method: str, params: dict[str, Any],
              on_note: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        request_id = next(self.ids)
        self.ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == request_id:
                return message
            if on_note is not None and "method" in message:
                on_note(message)

    def call(self, method: str, params: dict[str, Any],
             on_note: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """The response to one request (raises OSError/WebSocketException when the daemon is gone)."""
        try:
            self._connect()
            return self._call(method, params, on_note)
        except Exception:
            self.close()
            raise


class Client:
    """One load thread: sends requests of random kinds until the ledger's target is reached."""

    def __init__(self, index: int, port: int, token: str, ledger: Ledger, seed: int):
        self.name = f"client-{index}"
        self.ledger = ledger
        self.random = random.Random(seed)
        self.acp = AcpSocket(port, token)
        self.openai = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=token, max_retries=0,
                                    timeout=120)
        self.kinds, self.weights = zip(*KINDS.items())

    def run(self) -> None:
        """Send until the target is reached."""
        while self.ledger.claim_slot():
            kind = self.random.choices(self.kinds, self.weights)[0]
            nonce = uuid.uuid4().hex[:16]
            try:
                task_id = getattr(self, kind)(nonce)
            except Exception:  # noqa: BLE001 - the daemon died under the request: send another one
                task_id = None
            if task_id is None:
                self.ledger.release_slot()
                time.sleep(0.1)  # the daemon is restarting: do not spin
        self.acp.close()

    def _acp_chat(self, kind: str, content: str, agent_id: str = "default") -> str | None:
        response = self.acp.call("agent.chat", {"session_id": str(uuid.uuid4()), "content": content,
                                                "agent_id": agent_id})
        if "result" not in response:
            self.ledger.error(f"{kind}: agent.chat answered {response}")
            return None
        self.ledger.ack(kind, response["result"]["task_id"])
        return response["result"]["task_id"]

    def acp_chat(self, nonce: str) -> str | None:
        """A chat over ACP, not waiting for its reply."""
        return self._acp_chat("acp_chat", f"chat {nonce}")

    def tool(self, nonce: str) -> str | None:
        """A chat whose model calls write_file, exec and memory_write."""
        return self._acp_chat("tool", tool_script(nonce))

    def delegate(self, nonce: str) -> str | None:
        """A chat whose model delegates to the helper agent."""
        return self._acp_chat("delegate", delegate_script(nonce))

    def acp_stream(self, nonce: str) -> str | None:
        """agent.chat.stream: chunks as notifications, then `{task_id}` once the task has ended."""
        chunks: list[str] = []

        def note(message: dict[str, Any]) -> None:
            if message["method"] == "agent.chat.stream":
                chunks.append(message["params"]["content"])

        response = self.acp.call("agent.chat.stream", {"session_id": str(uuid.uuid4()), "content": f"stream {nonce}"},
                                 note)
        if "result" not in response:
            self.ledger.error(f"acp_stream: answered {response}")
            return None
        task_id = response["result"]["task_id"]
        self.ledger.ack("acp_stream", task_id)
        self.ledger.saw(task_id, "".join(chunks))
        return task_id

    def v1(self, nonce: str) -> str | None:
        """POST /v1/chat/completions, waiting for the reply."""
        answer = self.openai.chat.completions.create(model="agent:default",
                                                     messages=[{"role": "user", "content": f"v1 {nonce}"}])
        task_id = answer.id.removeprefix("chatcmpl-")
        self.ledger.ack("v1", task_id)
        self.ledger.saw(task_id, answer.choices[0].message.content or "")
        return task_id

    def v1_stream(self, nonce: str) -> str | None:
        """A streamed /v1/chat/completions: acknowledged by its first chunk."""
        task_id, parts, finished = None, [], False
        stream = self.openai.chat.completions.create(
            model="agent:default", messages=[{"role": "user", "content": f"v1s {nonce}"}], stream=True)
        try:
            for chunk in stream:
                if task_id is None:
                    task_id = chunk.id.removeprefix("chatcmpl-")
                    self.ledger.ack("v1_stream", task_id)
                if chunk.choices:
                    parts.append(chunk.choices[0].delta.content or "")
                    finished = finished or chunk.choices[0].finish_reason is not None
        except Exception:  # noqa: BLE001 - the daemon died mid-stream: acknowledged, reply unseen
            return task_id
        if task_id is not None and finished:
            self.ledger.saw(task_id, "".join(parts))
        return task_id
