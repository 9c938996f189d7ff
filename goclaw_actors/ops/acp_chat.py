"""One chat turn through a daemon's ACP (SPEC §9.3), as `goclaw chat` sends it: `system.hello`, then
`agent.chat.stream` over a WebSocket, chunks handed to a callback as they come; the task's outcome is
then read from `GET /api/tasks/{id}`.

    outcome = chat_stream("http://127.0.0.1:18789", token, "default", session_id, "hi", on_chunk=print)
"""

import itertools
import json
from dataclasses import dataclass
from typing import Any, Callable

import requests
import websocket

CONNECT_TIMEOUT_SECONDS = 10.0
RESULT_TIMEOUT_SECONDS = 10.0
STREAM_METHOD = "agent.chat.stream"


class ChatRefused(Exception):
    """The daemon refused the request (ACP error) or could not be talked to; the message says why."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ChatOutcome:
    """The task's final state: `status` (SUCCEEDED, DEAD_LETTER, CANCELED, …), its reply or error."""

    task_id: str
    status: str
    reply: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        """Whether the task succeeded."""
        return self.status == "SUCCEEDED"


class _Socket:
    """JSON-RPC requests on one WebSocket; notifications seen while waiting go to `on_notification`."""

    def __init__(self, url: str, token: str):
        try:
            self.ws = websocket.create_connection(url, timeout=CONNECT_TIMEOUT_SECONDS, suppress_origin=True,
                                                  header=[f"Authorization: Bearer {token}"])
        except (OSError, websocket.WebSocketException) as exc:
            raise ChatRefused(f"cannot connect to {url}: {exc}") from exc
        self.ws.settimeout(None)  # a turn may take as long as the task's timeout
        self.ids = itertools.count(1)

    def request(self, method: str, params: dict[str, Any],
                on_notification: Callable[[str, dict[str, Any]], None] | None = None) -> Any:
        """Send one request and return its result; raises ChatRefused on an error answer."""
        request_id = next(self.ids)
        try:
            self.ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
            while True:
                message = json.loads(self.ws.recv())
                if message.get("id") == request_id:
                    break
                if "method" in message and on_notification is not None:
                    on_notification(message["method"], message.get("params") or {})
        except (OSError, ValueError, websocket.WebSocketException) as exc:
            raise ChatRefused(f"connection to the daemon lost: {exc or type(exc).__name__}") from exc
        if "error" in message:
            error = message["error"] or {}
            raise ChatRefused(str(error.get("message") or error), error.get("code"))
        return message.get("result")

    def close(self) -> None:
        self.ws.close()


def chat_stream(base_url: str, token: str, agent_id: str | None, session_id: str, content: str,
                on_chunk: Callable[[str], None]) -> ChatOutcome:
    """Run one streaming chat task and return its outcome; raises ChatRefused when it cannot be enqueued
    (e.g. `agent "x" not found`) or the daemon goes away. Without `agent_id` the daemon picks the agent
    (the session's @mention target, else `default`)."""
    connection = _Socket(base_url.replace("http", "ws", 1) + "/ws", token)

    def notified(method: str, params: dict[str, Any]) -> None:
        if method == STREAM_METHOD and isinstance(params.get("content"), str):
            on_chunk(params["content"])

    try:
        connection.request("system.hello", {"client": "goclaw chat"})
        params = {"session_id": session_id, "content": content}
        if agent_id is not None:
            params["agent_id"] = agent_id
        result = connection.request(STREAM_METHOD, params, on_notification=notified)
    finally:
        connection.close()
    task_id = str((result or {}).get("task_id") or "")
    return task_outcome(base_url, token, task_id)


def task_outcome(base_url: str, token: str, task_id: str) -> ChatOutcome:
    """The task's status, reply and error, from `GET /api/tasks/{id}`."""
    try:
        response = requests.get(f"{base_url}/api/tasks/{task_id}", headers={"Authorization": f"Bearer {token}"},
                                timeout=RESULT_TIMEOUT_SECONDS)
        response.raise_for_status()
        task = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ChatRefused(f"cannot read task {task_id}: {exc}") from exc
    reply = ""
    try:
        result = json.loads(task.get("result") or "{}")
        reply = (result.get("reply") or "") if isinstance(result, dict) else ""
    except ValueError:
        pass
    return ChatOutcome(task_id, str(task.get("status") or ""), reply, str(task.get("error") or ""))
