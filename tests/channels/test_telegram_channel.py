"""The Telegram channel in an in-process daemon against the fake Bot API: routing through the shared chat
parser, allowed ids, progressive edits within the rate limits, approvals by button, send_alert, retries."""

import sqlite3

from goclaw_actors.channels.telegram_updates import telegram_session
from tests.channels.conftest import context, telegram_config
from tests.channels.fake_bot_api import OWNER, STRANGER
from tests.helpers import wait_until


def tasks(daemon):
    with sqlite3.connect(daemon.runtime.db_path, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM tasks ORDER BY created_at, id")]


def test_a_line_streams_into_one_reply_edited_at_most_once_a_second(bot, start_daemon):
    daemon = start_daemon(telegram_config(bot))
    update = bot.push_text("hello there")
    final = bot.wait_text(update, lambda text: text == "you said: hello there")
    assert final
    [task] = tasks(daemon)
    assert task["session_id"] == telegram_session(OWNER, "default") and task["agent_id"] == "default"
    chat_id, message_id = bot.reply_to(update)
    edits = [c for c in bot.of("editMessageText", chat_id) if c.params["message_id"] == message_id]
    sends = bot.of("sendMessage", chat_id)
    assert len(sends) == 1 and sends[0].params["text"] == "…"
    assert len(edits) >= 2, [c.params["text"] for c in edits]  # at least one partial text, then the final
    assert edits[-1].params["text"] == "you said: hello there"
    times = [sends[0].at] + [c.at for c in edits]
    assert all(b - a >= 0.9 for a, b in zip(times, times[1:])), times  # ≤ 1 message or edit per second
