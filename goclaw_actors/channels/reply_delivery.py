"""A task's answer delivered to Telegram (SPEC §10): one reply message, edited as the answer streams (only when
the chat's pacing allows, so at most once per second), then edited to the final text, split in several messages
past 4096 characters. Retries show a notice; only a terminal failure is reported as failed.

An answer ready at once (a chat command, a short reply) is one message.
The reply row (`telegram_replies`) is marked delivered only after the final text went out, so a reply the
daemon was delivering when it stopped is delivered again after the restart (editing the same message).
"""

import time
from typing import Any, Callable

from goclaw_actors.channels.bot_api import BotApiError
from goclaw_actors.channels.telegram_sender import TelegramSender
from goclaw_actors.channels.telegram_text import WORKING, final_text, progress_text, split_text
from goclaw_actors.http.chat_tasks import RUN_END, follow_stream
from goclaw_actors.http.context import GatewayContext
from goclaw_actors.logs.system_log import get_logger

TICK_SECONDS = 0.25  # how often a paused stream checks whether an edit may go out
FIRST_TEXT_SECONDS = 0.5  # streamed text waits this long for the first message (a quick answer needs only one)
WORKING_AFTER_SECONDS = 1.0  # a reply still without text by then is shown as "…"

log = get_logger("telegram")


def deliver_reply(ctx: GatewayContext, sender: TelegramSender, reply: dict[str, Any],
                  clock: Callable[[], float] = time.monotonic) -> None:
    """Deliver the answer of `reply` (`{task_id, chat_id, reply_to, message_id}`); raises BotApiError when the
    final text could not be sent (the reply stays pending). The reply message is created with the text streamed
    after `FIRST_TEXT_SECONDS`, or "…" after `WORKING_AFTER_SECONDS` without any; an answer ready sooner goes
    out as one message."""
    task_id, chat_id, reply_to = reply["task_id"], reply["chat_id"], reply.get("reply_to")
    message_id = reply.get("message_id")
    shown, text, retrying, ended, task = WORKING, "", False, False, None
    started = clock()
    for item in follow_stream(ctx, task_id, idle_seconds=TICK_SECONDS, run_ends=True):
        kind = item.get("type")
        if kind == "done":
            task = item["task"]
            break
        if kind == RUN_END:
            ended = True
        elif kind == "token" and isinstance(item.get("token"), str):
            if ended:  # a new attempt after a failed one: start over, with a notice
                text, retrying, ended = "", True, False
            text += item["token"]
        wanted = progress_text(text, retrying)
        if not sender.pacer.ready(chat_id) or (message_id is not None and wanted == shown):
            continue
        try:
            waited = clock() - started
            if message_id is None and ((text or retrying) and waited >= FIRST_TEXT_SECONDS
                                       or waited >= WORKING_AFTER_SECONDS):
                message_id = _first_message(ctx, sender, task_id, chat_id, reply_to, wanted)
                shown = wanted
            elif message_id is not None:
                sender.edit(chat_id, message_id, wanted)
                shown = wanted
        except BotApiError as exc:  # the final text tries again
            log.warn("telegram progress not shown", task_id=task_id, error=str(exc))
    pieces = split_text(final_text(task))
    if message_id is None:
        _first_message(ctx, sender, task_id, chat_id, reply_to, pieces[0])
    else:
        _final_edit(sender, chat_id, message_id, reply_to, pieces[0], shown)
    for piece in pieces[1:]:
        sender.send(chat_id, piece)
    ctx.store.channels.telegram_reply_delivered(task_id=task_id)


def _first_message(ctx: GatewayContext, sender: TelegramSender, task_id: str, chat_id: int, reply_to: int | None,
                   text: str) -> int:
    """Send the reply message (answering the user's line) and remember it, so a restart edits it."""
    message_id = sender.send(chat_id, text, reply_to=reply_to)
    ctx.store.channels.telegram_reply_message(task_id=task_id, message_id=message_id)
    return message_id


def _final_edit(sender: TelegramSender, chat_id: int, message_id: int, reply_to: int | None, text: str,
                shown: str) -> None:
    if text == shown:
        return
    try:
        sender.edit(chat_id, message_id, text)
    except BotApiError as exc:
        if exc.retriable:
            raise
        # the reply message is gone (deleted, too old to edit): send the answer as a new one
        log.warn("telegram reply not editable; sent anew", error=str(exc))
        sender.send(chat_id, text, reply_to=reply_to)
