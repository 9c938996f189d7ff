"""The dashboard's client of one daemon: REST reads and ACP calls, over the daemon's own APIs only.

    api = DaemonApi(Endpoint.for_bind_addr("127.0.0.1:18789", token), on_notification)
    api.acp("agent.list")                          # on the control socket (hello said once)
    api.get("/api/tasks", limit=10)                # REST with the bearer token
    api.chat_stream("default", session, "hi", on_chunk)   # its own socket, returns the task id when done

The control socket carries short calls, the live session subscriptions and the broadcasts (approvals);
each chat stream gets a socket of its own because ACP answers a socket's requests in order.
"""

from dataclasses import dataclass
from typing import Any, Callable

import gevent.lock
import requests

from goclaw_actors.bind_addr import client_base_url
from goclaw_actors.dashboard.acp_socket import AcpError, AcpSocket, Notify

HTTP_TIMEOUT_SECONDS = 5.0
STREAM_NOTIFICATION = "agent.chat.stream"
SESSION_EVENT = "session.event"


class ApiError(Exception):
    """A REST call that failed (not reachable, or an error status)."""


@dataclass(frozen=True)
class Endpoint:
    """Where a daemon answers and the token it wants."""

    bind_addr: str
    base_url: str
    token: str

    @classmethod
    def for_bind_addr(cls, bind_addr: str, token: str) -> "Endpoint":
        """The endpoint of a daemon listening on `bind_addr`."""
        return cls(bind_addr, client_base_url(bind_addr), token)

    @property
    def ws_url(self) -> str:
        """The ACP WebSocket URL."""
        return "ws" + self.base_url[len("http"):] + "/ws"


def daemon_answers(endpoint: Endpoint, timeout: float = 1.0) -> dict[str, Any] | None:
    """The /healthz document of a goclaw daemon at `endpoint`, or None when none answers there."""
    try:
        response = requests.get(endpoint.base_url + "/healthz", timeout=timeout)
        body = response.json()
    except (requests.RequestException, ValueError):
        return None
    return body if isinstance(body, dict) and "version" in body else None


class DaemonApi:
    """REST and ACP access to one daemon; `on_notification(method, params)` hears the control socket."""

    def __init__(self, endpoint: Endpoint, on_notification: Notify | None = None):
        self.endpoint = endpoint
        self.on_notification = on_notification
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {endpoint.token}"
        self._control: AcpSocket | None = None
        self._connecting = gevent.lock.Semaphore()  # one reconnect at a time
        self._sessions: dict[str, int] = {}  # subscribed session -> last event id seen

    # --- REST -------------------------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        """GET `path` (JSON body); raises ApiError."""
        try:
            response = self.http.get(self.endpoint.base_url + path, params=params or None,
                                     timeout=HTTP_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise ApiError(f"daemon not reachable at {self.endpoint.bind_addr}: {exc}") from exc
        if response.status_code != 200:
            raise ApiError(f"GET {path}: {response.status_code} {response.text.strip()[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(f"GET {path}: not JSON") from exc

    # --- ACP --------------------------------------------------------------------------------

    def connect(self) -> AcpSocket:
        """A socket that has said hello (raises AcpError)."""
        sock = AcpSocket(self.endpoint.ws_url, self.endpoint.token, self._heard)
        try:
            sock.call("system.hello")
        except AcpError:
            sock.close()
            raise
        return sock

    def acp(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Call `method` on the control socket, reconnecting (and resubscribing) if it was lost."""
        with self._connecting:
            if self._control is None or self._control.closed:
                self._control = self.connect()
                for session_id, last_id in list(self._sessions.items()):
                    self._subscribe(session_id, last_id)
            control = self._control
        return control.call(method, params)

    def subscribe_session(self, session_id: str) -> None:
        """Receive the session's task events from now on (`session.event` notifications)."""
        if session_id in self._sessions:
            return
        latest = self.get("/api/events", limit=1)["events"]
        self._sessions[session_id] = latest[-1]["event_id"] if latest else 0
        if self._control is not None and not self._control.closed:
            self._subscribe(session_id, self._sessions[session_id])
        else:
            self.acp("system.hello")  # connects and subscribes

    def _subscribe(self, session_id: str, after_id: int) -> None:
        self._control.call("session.events.subscribe", {"session_id": session_id, "from_event_id": after_id})

    def _heard(self, method: str, params: dict[str, Any]) -> None:
        if method == SESSION_EVENT and params.get("session_id") in self._sessions:
            self._sessions[params["session_id"]] = max(self._sessions[params["session_id"]],
                                                       int(params.get("event_id") or 0))
        if self.on_notification is not None:
            self.on_notification(method, params)

    def chat_stream(self, agent_id: str, session_id: str, content: str,
                    on_chunk: Callable[[str], None]) -> str:
        """Send one chat turn through the durable queue (`agent.chat.stream`); `on_chunk` gets the reply as
        it is produced; returns the task id once the task is terminal. Raises AcpError."""
        def heard(method: str, params: dict[str, Any]) -> None:
            if method == STREAM_NOTIFICATION and isinstance(params.get("content"), str):
                on_chunk(params["content"])

        sock = AcpSocket(self.endpoint.ws_url, self.endpoint.token, heard)
        try:
            sock.call("system.hello")
            result = sock.call("agent.chat.stream", {"agent_id": agent_id, "session_id": session_id,
                                                     "content": content}, timeout=None)
        finally:
            sock.close()
        return result["task_id"]

    def close(self) -> None:
        """Close the sockets and the HTTP session."""
        if self._control is not None:
            self._control.close()
        self.http.close()
