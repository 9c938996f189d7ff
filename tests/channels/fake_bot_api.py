"""A fake Telegram Bot API on 127.0.0.1 speaking the real wire format: `POST /bot<token>/<method>` with a JSON
body, answered `{"ok": true, "result": …}` or `{"ok": false, "error_code", "description", "parameters"}`.

`getUpdates` long-polls like Telegram's: it returns the updates with `update_id >= offset` (forgetting the
ones below: they are confirmed), waiting up to `timeout` seconds for one. Sent and edited messages are
recorded with the time they arrived; failures can be scripted per method.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers import free_port, wait_until

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
OWNER = 4242  # the allowed user (a private chat has the user's id)
STRANGER = 777


@dataclass
class Call:
    """One Bot API call the fake received."""

    at: float
    method: str
    params: dict[str, Any]


@dataclass
class Failure:
    """A scripted error answer to the next call of `method`."""

    method: str
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeBotApi:
    """The fake server; use as a context manager."""

    token: str = TOKEN
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    replay_all: bool = False  # the next getUpdates answers every update ever pushed (a lost confirmation)

    def __post_init__(self):
        self.next_update_id = 100
        self.next_message_id = 1
        self.messages: dict[tuple[int, int], str] = {}
        self.delivered: list[dict[str, Any]] = []  # every update ever pushed
        self.cond = threading.Condition()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> "FakeBotApi":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- scripting ---------------------------------------------------------------------------------------

    def _push(self, body: dict[str, Any]) -> int:
        with self.cond:
            update_id = self.next_update_id
            self.next_update_id += 1
            update = {"update_id": update_id, **body}
            self.updates.append(update)
            self.delivered.append(update)
            self.cond.notify_all()
        return update_id

    def push_text(self, text: str, user_id: int = OWNER, chat_id: int | None = None) -> int:
        """A text message from `user_id` (in their private chat unless `chat_id`); returns its update_id."""
        chat_id = user_id if chat_id is None else chat_id
        with self.cond:
            message_id = self.next_message_id
            self.next_message_id += 1
        return self._push({"message": {
            "message_id": message_id, "date": int(time.time()), "text": text,
            "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
            "chat": {"id": chat_id, "type": "private" if chat_id == user_id else "group"}}})

    def push_press(self, data: str, message: dict[str, Any], user_id: int = OWNER) -> int:
        """An inline button pressed on `message` (a sendMessage call's params with its message_id)."""
        return self._push({"callback_query": {
            "id": f"cb{self.next_update_id}", "data": data, "chat_instance": "1",
            "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
            "message": {"message_id": message.get("message_id", message.get("result_message_id")),
                        "date": int(time.time()),
                        "chat": {"id": message["chat_id"], "type": "private"}, "text": message.get("text", "")}}})

    def push_other(self, user_id: int = OWNER) -> int:
        """An update the channel does not serve (a sticker)."""
        return self._push({"message": {"message_id": 9999, "date": int(time.time()), "sticker": {"file_id": "x"},
                                       "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
                                       "chat": {"id": user_id, "type": "private"}}})

    def fail(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        """Answer the next call of `method` with this error."""
        with self.cond:
            self.failures.append(Failure(method, status, description, retry_after))

    # -- what was seen -----------------------------------------------------------------------------------

    def of(self, method: str, chat_id: int | None = None) -> list[Call]:
        """The calls of `method` (to `chat_id`), in arrival order."""
        with self.cond:
            return [c for c in self.calls if c.method == method
                    and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def sent_texts(self, chat_id: int) -> list[str]:
        """Texts of the messages sent to `chat_id`."""
        return [c.params["text"] for c in self.of("sendMessage", chat_id)]

    def text_of(self, chat_id: int, message_id: int) -> str | None:
        """The current text of a message the bot sent."""
        with self.cond:
            return self.messages.get((chat_id, message_id))

    def reply_to(self, update_id: int) -> tuple[int, int]:
        """(chat_id, message_id) of the bot's reply message to the text update `update_id`."""
        update = next(u for u in self.delivered if u["update_id"] == update_id)
        original = update["message"]["message_id"]

        def found():
            for call in self.of("sendMessage"):
                if (call.params.get("reply_parameters") or {}).get("message_id") == original \
                        and "result_message_id" in call.params:
                    return call.params["chat_id"], call.params["result_message_id"]
            return None
        return wait_until(found, timeout=10, what=f"the reply to update {update_id}")

    def wait_text(self, update_id: int, predicate, timeout: float = 15.0) -> str:
        """Wait until the reply message of `update_id` shows a text matching `predicate`; returns it."""
        chat_id, message_id = self.reply_to(update_id)
        return wait_until(lambda: (lambda t: t if t is not None and predicate(t) else None)(
            self.text_of(chat_id, message_id)), timeout=timeout, what=f"reply text of update {update_id}")

    # -- the Bot API -------------------------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.cond:
            failure = next((f for f in self.failures if f.method == method), None)
            if failure is not None:
                self.failures.remove(failure)
                body = {"ok": False, "error_code": failure.status, "description": failure.description}
                if failure.retry_after is not None:
                    body["parameters"] = {"retry_after": failure.retry_after}
                return failure.status, body
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        if method == "sendMessage":
            with self.cond:
                message_id = self.next_message_id
                self.next_message_id += 1
                self.messages[(params["chat_id"], message_id)] = params["text"]
                params["result_message_id"] = message_id
            return 200, {"ok": True, "result": {"message_id": message_id, "date": int(time.time()),
                                                "chat": {"id": params["chat_id"], "type": "private"},
                                                "text": params["text"]}}
        if method == "editMessageText":
            key = (params["chat_id"], params["message_id"])
            with self.cond:
                if key not in self.messages:
                    return 400, {"ok": False, "error_code": 400,
                                 "description": "Bad Request: message to edit not found"}
                if self.messages[key] == params["text"] and "reply_markup" not in params:
                    return 400, {"ok": False, "error_code": 400, "description":
                                 "Bad Request: message is not modified: specified new message content and reply "
                                 "markup are exactly the same as a current content and reply markup of the message"}
                self.messages[key] = params["text"]
            return 200, {"ok": True, "result": {"message_id": params["message_id"], "text": params["text"]}}
        if method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset")
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self.cond:
            if self.replay_all:
                self.replay_all = False
                return list(self.delivered)
            while True:
                if offset is not None:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = list(self.updates)
                remaining = deadline - time.monotonic()
                if ready or remaining <= 0:
                    return ready
                self.cond.wait(remaining)

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    params = json.loads(raw) if raw else {}
                except ValueError:
                    params = {}
                prefix, _, method = self.path.lstrip("/").partition("/")
                if prefix != f"bot{fake.token}":
                    status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                else:
                    with fake.cond:
                        fake.calls.append(Call(time.monotonic(), method, params))
                    status, body = fake._answer(method, params)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a poll interrupted by shutdown)

        return Handler
