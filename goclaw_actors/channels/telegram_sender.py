"""Sending to Telegram within its limits: every message and edit is paced (SendPacer) and retried on retriable
errors (network, 429 with retry_after, 5xx); a 429 also slows that chat down."""

from typing import Any, Callable

import gevent

from goclaw_actors.channels.bot_api import BotApi, BotApiError, call_retrying
from goclaw_actors.channels.send_pacing import SendPacer


class TelegramSender:
    """Paced, retried sends of one bot."""

    def __init__(self, api: BotApi, pacer: SendPacer, max_backoff: float = 60.0,
                 sleep: Callable[[float], Any] = gevent.sleep):
        self.api = api
        self.pacer = pacer
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.sent = 0  # messages and edits delivered since start

    def _call(self, chat_id: int, method: str, params: dict[str, Any]) -> Any:
        self.sleep(self.pacer.reserve(chat_id))
        result = call_retrying(self.api, method, params, self.sleep, self.max_backoff,
                               on_retry_after=lambda seconds: self.pacer.defer(chat_id, seconds))
        self.sent += 1
        return result

    def send(self, chat_id: int, text: str, reply_to: int | None = None,
             reply_markup: dict[str, Any] | None = None) -> int:
        """Send a message; returns its message_id. Raises BotApiError."""
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if reply_to is not None:
            params["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
        if reply_markup is not None:
            params["reply_markup"] = reply_markup
        message = self._call(chat_id, "sendMessage", params)
        return int(message["message_id"]) if isinstance(message, dict) else 0

    def edit(self, chat_id: int, message_id: int, text: str, reply_markup: dict[str, Any] | None = None) -> None:
        """Replace a message's text (and drop its buttons unless `reply_markup`); an edit that changes nothing
        is not an error. Raises BotApiError."""
        params: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id, "text": text}
        if reply_markup is not None:
            params["reply_markup"] = reply_markup
        try:
            self._call(chat_id, "editMessageText", params)
        except BotApiError as exc:
            if not exc.not_modified:
                raise

    def answer_callback(self, callback_id: str, text: str) -> None:
        """Answer a button press (the small notice the user sees); retried, not paced per chat."""
        call_retrying(self.api, "answerCallbackQuery", {"callback_query_id": callback_id, "text": text[:200]},
                      self.sleep, self.max_backoff)
