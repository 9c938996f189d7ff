"""Incoming Telegram updates (SPEC §10): what each one is, and the task a text line becomes.

    item = classify(update)            # TextLine, ButtonPress or Ignored
    request, sticky = line_request(item, current="default", known=lambda: ["default", "coder"])

A line is routed by the shared chat parser (goclaw_actors.chat_commands.routing: @mentions sticky per user,
slash commands answered without the model) and enqueued in the user's session with that agent.
"""

import uuid
from dataclasses import dataclass
from typing import Any, Callable

from goclaw_actors.chat_commands.routing import route_line
from goclaw_actors.http.chat_routing import route_request
from goclaw_actors.http.chat_tasks import ChatRequest
from goclaw_actors.http.principal import TOKEN

SOURCE = "telegram"
MAX_LINE_CHARS = 16_000  # Telegram sends at most 4096; anything longer is not from Telegram
APPROVAL_PREFIX = "approval"  # callback data: approval:<approve|deny>:<approval_id>
START_ALIASES = {"/start": "/help"}  # what Telegram clients send first


@dataclass(frozen=True)
class TextLine:
    """A text message from `user_id` in `chat_id`."""

    update_id: int
    user_id: int
    chat_id: int
    message_id: int
    text: str


@dataclass(frozen=True)
class ButtonPress:
    """An inline button pressed (callback_query) by `user_id`; `message_id` is the message holding it."""

    update_id: int
    user_id: int
    chat_id: int | None
    message_id: int | None
    callback_id: str
    data: str


@dataclass(frozen=True)
class Ignored:
    """Any other update (edits, joins, stickers, …): only its offset is taken."""

    update_id: int
    user_id: int | None = None
    chat_id: int | None = None
    private: bool = False


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def classify(update: dict[str, Any]) -> TextLine | ButtonPress | Ignored | None:
    """What an update is; None when it has no usable `update_id` (not a Bot API update)."""
    update_id = _int(update.get("update_id")) if isinstance(update, dict) else None
    if update_id is None:
        return None
    message, callback = update.get("message"), update.get("callback_query")
    if isinstance(callback, dict):
        user_id = _int((callback.get("from") or {}).get("id")) if isinstance(callback.get("from"), dict) else None
        held = callback.get("message") if isinstance(callback.get("message"), dict) else {}
        chat = held.get("chat") if isinstance(held.get("chat"), dict) else {}
        if user_id is not None and isinstance(callback.get("id"), str) and isinstance(callback.get("data"), str):
            return ButtonPress(update_id, user_id, _int(chat.get("id")), _int(held.get("message_id")),
                               callback["id"], callback["data"])
        return Ignored(update_id, user_id)
    if not isinstance(message, dict):
        return Ignored(update_id)
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    user_id, chat_id, message_id = _int(sender.get("id")), _int(chat.get("id")), _int(message.get("message_id"))
    text = message.get("text")
    if None in (user_id, chat_id, message_id) or not isinstance(text, str) or not text.strip() \
            or len(text) > MAX_LINE_CHARS:
        return Ignored(update_id, user_id, chat_id, chat.get("type") == "private")
    return TextLine(update_id, user_id, chat_id, message_id, text)


def telegram_session(user_id: int, agent_id: str) -> str:
    """The durable session of a user's conversation with an agent (SPEC §10)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"goclaw:telegram:{user_id}:agent:{agent_id}"))


def command_text(text: str) -> str:
    """A line with Telegram's command forms made plain: `/cmd@MyBot args` ⇒ `/cmd args`, `/start` ⇒ `/help`."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    head, _, rest = stripped.partition(" ")
    head = head.split("@", 1)[0]
    head = START_ALIASES.get(head.lower(), head)
    return f"{head} {rest}".rstrip()


def line_request(line: TextLine, current: str, known: Callable[[], list[str]]) -> tuple[ChatRequest, str | None]:
    """The task a line becomes (a streaming turn, or a command task) and the user's new sticky target (or None):
    routed exactly as on every other chat surface (SPEC §7.1), in the user's session with the routed agent."""
    route = route_line(command_text(line.text), current, known)
    request = route_request(route, telegram_session(line.user_id, route.agent), TOKEN, SOURCE,
                            stream=not route.command)
    return request, route.sticky


def approval_data(decision: str, approval_id: str) -> str:
    """The callback data of an approve/deny button (≤ 64 bytes, as the Bot API allows)."""
    return f"{APPROVAL_PREFIX}:{decision}:{approval_id}"


def parse_approval_data(data: str) -> tuple[str, str] | None:
    """(decision, approval_id) of a button's callback data, or None when it is not an approval button."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != APPROVAL_PREFIX or parts[1] not in ("approve", "deny") or not parts[2]:
        return None
    return parts[1], parts[2]
